"""Issue payloads of the Jira simulator, rendered from the compact state on each request.

Shapes follow Jira Cloud REST v3 (see ../shared/fixtures/jira): timestamps in the API user's zone
(`2026-10-31T17:00:00.000-0700`), ADF bodies, `self` URLs on the server's own base URL, ~110
`customfield_*` keys, embedded `comment` / `worklog` blocks capped at 20 entries and the
`expand=changelog` block capped at the 40 most recent histories, each with an honest `total`.
"""

from __future__ import annotations

import datetime as dt

from simulators.jira import catalog
from simulators.jira.model import Attachment, Comment, History, Issue, Link, Worklog

EMBEDDED_COMMENTS = 20
EMBEDDED_WORKLOGS = 20
EMBEDDED_HISTORIES = 40


class IssueRenderer:
    """Renders issues and their children for one base URL (shared sub-objects are cached)."""

    def __init__(self, world, base: str) -> None:
        self.world, self.base, self.tz = world, base, world.tz
        self._users: dict[int, dict] = {}
        api = f"{base}/rest/api/3"
        self.api = api
        self.statuses = [_status(api, s) for s in catalog.STATUSES]
        self.priorities = [
            {
                "self": f"{api}/priority/{p[0]}",
                "iconUrl": f"{base}/images/icons/priorities/{p[3]}.svg",
                "name": p[1],
                "id": p[0],
            }
            for p in catalog.PRIORITIES
        ]
        self.issuetypes = [_issuetype(api, t) for t in catalog.ISSUE_TYPES]
        self.projects = [_project_ref(api, p) for p in world.projects]
        self.versions = {v.id: _version_ref(api, v) for vs in world.project_versions for v in vs}
        self.nulls = {f"customfield_{spec[0]}": None for spec in world.custom_fields}
        self.item_kinds = self._item_kinds()
        self.resolution = {"self": base + catalog.RESOLUTION["self_path"],
                           **{k: v for k, v in catalog.RESOLUTION.items() if k != "self_path"}}  # fmt: skip
        self.kinds = [(f"customfield_{spec[0]}", spec[2]) for spec in world.custom_fields if spec[2] != "null"]

    # -- small pieces -----------------------------------------------------------------------

    def ts(self, ms: int | None) -> str | None:
        """A Jira timestamp in the user's zone, millisecond precision."""
        if ms is None:
            return None
        moment = dt.datetime.fromtimestamp(ms / 1000, self.tz)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}" + moment.strftime("%z")

    def user(self, index: int | None) -> dict | None:
        """The UserDetails object embedded in issues, comments, worklogs and histories."""
        if index is None:
            return None
        cached = self._users.get(index)
        if cached is None:
            u = self.world.users[index]
            cached = {"self": f"{self.api}/user?accountId={u.account_id}", "accountId": u.account_id}
            if u.email:
                cached["emailAddress"] = u.email
            initials = "".join(w[0] for w in u.name.split()[:2]).upper()
            cached["avatarUrls"] = {
                size: f"https://avatar-management.example/initials/{initials}-{index % 6}.png?s={size.split('x')[0]}"
                for size in ("48x48", "24x24", "16x16", "32x32")
            }
            cached.update(displayName=u.name, active=u.active, timeZone=u.time_zone, accountType=u.account_type)
            self._users[index] = cached
        return cached

    def issue_ref(self, issue_id: int) -> dict:
        """The short issue object used by parent, subtasks and issue links."""
        issue = self.world.issues[issue_id]
        return {
            "id": str(issue.id),
            "key": issue.key,
            "self": f"{self.api}/issue/{issue.id}",
            "fields": {
                "summary": catalog.summary(issue.summary_seed),
                "status": self.statuses[issue.status],
                "priority": self.priorities[issue.priority],
                "issuetype": self.issuetypes[issue.type],
            },
        }

    # -- children ---------------------------------------------------------------------------

    def comment(self, issue: Issue, c: Comment) -> dict:
        """A comment with an ADF body."""
        mention = self.world.users[c.author]
        body = catalog.adf(catalog.sentence(c.seed), (mention.account_id, mention.name) if c.seed % 5 == 0 else None)
        out = {
            "self": f"{self.api}/issue/{issue.id}/comment/{c.id}",
            "id": str(c.id),
            "author": self.user(c.author),
            "body": body,
            "updateAuthor": self.user(c.author),
            "created": self.ts(c.created),
            "updated": self.ts(c.updated),
            "jsdPublic": True,
        }
        if c.seed % 17 == 0:
            out["visibility"] = {"type": "role", "value": "Administrators", "identifier": "Administrators"}
        return out

    def worklog(self, issue: Issue, w: Worklog) -> dict:
        """A worklog entry."""
        hours, minutes = divmod(w.seconds // 60, 60)
        spent = " ".join(p for p in (f"{hours}h" if hours else "", f"{minutes}m" if minutes else "") if p)
        out = {
            "self": f"{self.api}/issue/{issue.id}/worklog/{w.id}",
            "author": self.user(w.author),
            "updateAuthor": self.user(w.author),
        }
        if w.seed % 3:
            out["comment"] = catalog.adf(catalog.sentence(w.seed, 1))
        out.update(
            created=self.ts(w.created),
            updated=self.ts(w.updated),
            started=self.ts(w.started),
            timeSpent=spent,
            timeSpentSeconds=w.seconds,
            id=str(w.id),
            issueId=str(issue.id),
        )
        return out

    def history(self, h: History) -> dict:
        """A changelog entry (Changelog schema)."""
        return {
            "id": str(h.id),
            "author": self.user(h.author),
            "created": self.ts(h.created),
            "items": [self.item(*item) for item in h.items],
        }

    def item(self, code: str, old, new) -> dict:
        """One changed field of a changelog entry."""
        if code == "link":
            other = self.world.issues[new[1]].key
            return {"field": "Link", "fieldtype": "jira", "from": None, "fromString": None, "to": other,
                    "toString": f"This issue relates to {other}"}  # fmt: skip
        field, fieldtype, field_id, show = self.item_kinds[code]
        (before, before_text), (after, after_text) = show(old), show(new)
        return {"field": field, "fieldtype": fieldtype, "fieldId": field_id, "from": before,
                "fromString": before_text, "to": after, "toString": after_text}  # fmt: skip

    def _item_kinds(self) -> dict:
        """code -> (field, fieldtype, fieldId, value -> (from/to id, from/to string))."""
        w, st, pr, res, versions = self.world, catalog.STATUSES, catalog.PRIORITIES, catalog.RESOLUTION, self.versions
        return {
            "status": ("status", "jira", "status", lambda v: (st[v][0], st[v][1])),
            "priority": ("priority", "jira", "priority", lambda v: (pr[v][0], pr[v][1])),
            "resolution": ("resolution", "jira", "resolution",
                           lambda v: (None, None) if v is None else (res["id"], res["name"])),
            "assignee": ("assignee", "jira", "assignee",
                         lambda v: (None, None) if v is None else (w.users[v].account_id, w.users[v].name)),
            "labels": ("labels", "jira", "labels", _text(" ".join)),
            "sprint": ("Sprint", "custom", "customfield_10020",
                       lambda v: (", ".join(map(str, v)), ", ".join(w.sprints[s].name for s in v))),
            "story_points": ("Story point estimate", "custom", "customfield_10016", _text(str)),
            "summary": ("summary", "jira", "summary", _text(catalog.summary)),
            "description": ("description", "jira", "description", _text(catalog.sentence)),
            "fix_version": ("Fix Version", "jira", "fixVersions",
                            lambda v: (str(v[0]), versions[v[0]]["name"]) if v else (None, None)),
            "rank": ("Rank", "custom", "customfield_10019", lambda v: ("", "Ranked higher" if v else "")),
        }  # fmt: skip

    def link(self, link: Link) -> dict:
        """An issue link as embedded in `fields.issuelinks`."""
        kind = catalog.LINK_TYPES[link.type]
        out = {
            "id": str(link.id),
            "self": f"{self.api}/issueLink/{link.id}",
            "type": {
                "id": kind[0],
                "name": kind[1],
                "inward": kind[2],
                "outward": kind[3],
                "self": f"{self.api}/issueLinkType/{kind[0]}",
            },
        }
        out["outwardIssue" if link.outward else "inwardIssue"] = self.issue_ref(link.other)
        return out

    def attachment(self, a: Attachment) -> dict:
        """Attachment metadata as embedded in `fields.attachment`."""
        name, mime = catalog.FILENAMES[a.file]
        out = {
            "self": f"{self.api}/attachment/{a.id}",
            "id": str(a.id),
            "filename": name,
            "author": self.user(a.author),
            "created": self.ts(a.created),
            "size": a.size,
            "mimeType": mime,
            "content": f"{self.api}/attachment/content/{a.id}",
        }
        if mime.startswith("image/"):
            out["thumbnail"] = f"{self.api}/attachment/thumbnail/{a.id}"
        return out


def _item(field, fieldtype, field_id, old, old_string, new, new_string) -> dict:
    return {
        "field": field,
        "fieldtype": fieldtype,
        "fieldId": field_id,
        "from": old,
        "fromString": old_string,
        "to": new,
        "toString": new_string,
    }


def _text(render):
    """A changelog value shown only as text: from/to null, fromString/toString rendered."""
    return lambda value: (None, None if value is None else render(value))


def _status(api: str, s: tuple) -> dict:
    cat = catalog.STATUS_CATEGORIES[s[3]]
    return {
        "self": f"{api}/status/{s[0]}",
        "description": s[2],
        "iconUrl": api.rsplit("/rest/", 1)[0] + "/",
        "name": s[1],
        "id": s[0],
        "statusCategory": {
            "self": f"{api}/statuscategory/{cat[0]}",
            "id": cat[0],
            "key": cat[1],
            "colorName": cat[2],
            "name": cat[3],
        },
    }


def _issuetype(api: str, t: tuple) -> dict:
    base = api.rsplit("/rest/", 1)[0]
    return {
        "self": f"{api}/issuetype/{t[0]}",
        "id": t[0],
        "description": t[3],
        "iconUrl": f"{base}/rest/api/2/universal_avatar/view/type/issuetype/avatar/{t[6]}?size=medium",
        "name": t[1],
        "subtask": t[4],
        "avatarId": t[6],
        "hierarchyLevel": t[5],
    }


def _project_ref(api: str, p) -> dict:
    base = api.rsplit("/rest/", 1)[0]
    avatar = f"{base}/rest/api/3/universal_avatar/view/type/project/avatar/{10400 + p.index}"
    return {
        "self": f"{api}/project/{p.id}",
        "id": str(p.id),
        "key": p.key,
        "name": p.name,
        "projectTypeKey": "software",
        "simplified": False,
        "avatarUrls": {
            "48x48": avatar,
            "24x24": avatar + "?size=small",
            "16x16": avatar + "?size=xsmall",
            "32x32": avatar + "?size=medium",
        },
    }


def _version_ref(api: str, v) -> dict:
    out = {
        "self": f"{api}/version/{v.id}",
        "id": str(v.id),
        "description": "",
        "name": v.name,
        "archived": v.archived,
        "released": v.released,
    }
    out["releaseDate"] = dt.datetime.fromtimestamp(v.release_ms / 1000, dt.UTC).strftime("%Y-%m-%d")
    return out
