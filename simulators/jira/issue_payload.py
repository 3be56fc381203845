"""The issue bean of the Jira simulator (`fields` with ~110 custom fields, expands) and the `/field` catalog."""

from __future__ import annotations

import datetime as dt

from simulators.jira import catalog
from simulators.jira.model import Issue
from simulators.jira.render import EMBEDDED_COMMENTS, EMBEDDED_HISTORIES, EMBEDDED_WORKLOGS, IssueRenderer

EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


def render_issue(r: IssueRenderer, issue: Issue, wanted: set[str] | None, expand: set[str]) -> dict:
    """An IssueBean; `wanted` is None for every field, else the field ids to keep."""
    out = {"expand": EXPAND, "id": str(issue.id), "self": f"{r.api}/issue/{issue.id}", "key": issue.key}
    fields = issue_fields(r, issue)
    if wanted is not None:
        fields = {k: v for k, v in fields.items() if k in wanted}
    out["fields"] = fields
    if "renderedFields" in expand:
        text = catalog.sentence(issue.desc_seed)
        out["renderedFields"] = dict.fromkeys(fields) | {
            "description": f"<p>{text}</p>" if fields.get("description") else None,
            "created": _short_date(r, issue.created),
            "updated": _short_date(r, issue.updated),
        }
    if "transitions" in expand:
        out["transitions"] = [
            {
                "id": str(11 + n),
                "name": f"→ {catalog.STATUSES[n][1]}",
                "to": r.statuses[n],
                "hasScreen": False,
                "isGlobal": True,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "looped": False,
            }
            for n in catalog.WORKFLOW[issue.status]
        ]
    if "changelog" in expand:
        recent = issue.histories[-EMBEDDED_HISTORIES:][::-1]
        out["changelog"] = {
            "startAt": 0,
            "maxResults": min(len(issue.histories), EMBEDDED_HISTORIES),
            "total": len(issue.histories),
            "histories": [r.history(h) for h in recent],
        }
    return out


def issue_fields(r: IssueRenderer, issue: Issue) -> dict:
    """Every field of an issue, system fields first, then the custom fields (most of them null)."""
    api = r.api
    fields = {
        "statuscategorychangedate": r.ts(issue.status_changed),
        "issuetype": r.issuetypes[issue.type],
        "project": r.projects[issue.project],
        "fixVersions": [r.versions[v] for v in issue.fix_versions],
        "resolution": r.resolution if issue.resolved else None,
        "resolutiondate": r.ts(issue.resolved),
        "watches": {"self": f"{api}/issue/{issue.key}/watchers", "watchCount": 1 + issue.seed % 4, "isWatching": False},
        "lastViewed": r.ts(issue.updated + 3_600_000) if issue.seed % 4 == 0 else None,
        "issuerestriction": {"issuerestrictions": {}, "shouldDisplay": False},
        "created": r.ts(issue.created),
        "priority": r.priorities[issue.priority],
        "labels": list(issue.labels),
        "versions": [],
        "issuelinks": [r.link(k) for k in issue.links],
        "assignee": r.user(issue.assignee),
        "updated": r.ts(issue.updated),
        "status": r.statuses[issue.status],
        "components": [],
        "description": catalog.adf(catalog.sentence(issue.desc_seed), bullets=(catalog.sentence(issue.desc_seed, 2),))
        if issue.desc_seed % 5
        else None,
        "security": None,
        "attachment": [r.attachment(a) for a in issue.attachments],
        "summary": catalog.summary(issue.summary_seed),
        "creator": r.user(issue.creator),
        "subtasks": [r.issue_ref(s) for s in issue.subtasks],
        "reporter": r.user(issue.reporter),
        "environment": None,
        "duedate": _date(issue.created + 30 * 86_400_000) if issue.seed % 3 == 0 else None,
        "votes": {"self": f"{api}/issue/{issue.key}/votes", "votes": issue.seed % 3, "hasVoted": False},
        **_time_tracking(issue),
        **_embedded_blocks(r, issue),
        "statusCategory": r.statuses[issue.status]["statusCategory"],
    }
    if issue.parent:
        fields["parent"] = r.issue_ref(issue.parent)
    fields.update(r.nulls)
    for field_id, kind in r.kinds:
        fields[field_id] = CUSTOM_VALUES[kind](r, issue) if kind in CUSTOM_VALUES else None
    return fields


def _time_tracking(issue: Issue) -> dict:
    spent = sum(x.seconds for x in issue.worklogs) or None
    estimate = (issue.seed % 5) * 14400 or None
    remaining = max((estimate or 0) - (spent or 0), 0) if estimate else None
    progress = {"progress": spent or 0, "total": (spent or 0) + (remaining or 0)}
    if progress["total"]:
        progress["percent"] = progress["progress"] * 100 // progress["total"]
    tracking = {"originalEstimate": f"{(estimate or 0) // 3600}h", "originalEstimateSeconds": estimate,
                "remainingEstimateSeconds": remaining}  # fmt: skip
    return {"timespent": spent, "aggregatetimespent": spent, "workratio": (spent or 0) * 100 // estimate if estimate
            else -1, "aggregatetimeoriginalestimate": estimate, "timeestimate": remaining,
            "timeoriginalestimate": estimate, "timetracking": tracking if estimate else {},
            "aggregatetimeestimate": remaining, "aggregateprogress": progress, "progress": progress}  # fmt: skip


def _embedded_blocks(r: IssueRenderer, issue: Issue) -> dict:
    """The `comment` and `worklog` fields: the first 20 entries each, with the real totals."""
    comments, worklogs = issue.comments[:EMBEDDED_COMMENTS], issue.worklogs[:EMBEDDED_WORKLOGS]
    return {
        "comment": {"comments": [r.comment(issue, c) for c in comments], "self": f"{r.api}/issue/{issue.id}/comment",
                    "maxResults": len(comments), "total": len(issue.comments), "startAt": 0},
        "worklog": {"startAt": 0, "maxResults": len(worklogs), "total": len(issue.worklogs),
                    "worklogs": [r.worklog(issue, x) for x in worklogs]},
    }  # fmt: skip


def _epic_link(r: IssueRenderer, issue: Issue) -> str | None:
    parent = r.world.issues.get(issue.parent) if issue.parent else None
    return parent.key if parent and parent.type == catalog.EPIC else None


def _team(r: IssueRenderer, issue: Issue) -> dict | None:
    team = catalog.TEAMS[issue.seed % 2]
    return {"id": team[0], "name": team[1], "avatarUrl": "", "isVisible": True, "isVerified": False,
            "title": team[1], "isShared": True} if issue.seed % 4 == 1 else None  # fmt: skip


def _severity(r: IssueRenderer, issue: Issue) -> dict | None:
    option = catalog.SEVERITIES[issue.seed % len(catalog.SEVERITIES)]
    option_json = {"self": f"{r.api}/customFieldOption/{option[0]}", "value": option[1], "id": option[0]}
    return option_json if issue.type == catalog.BUG else None


PARENT_LINK = {"hasEpicLinkFieldDependency": False, "showField": False, "nonEditableReason": {
    "reason": "EPIC_LINK_SHOULD_BE_USED", "message": "要将长篇故事设置为父项，请改为使用长篇故事链接"}}  # fmt: skip
FLAGGED = [{"value": "Impediment", "id": "10019"}]

# custom field kind (catalog.NAMED_FIELDS) -> value of an issue
CUSTOM_VALUES = {
    "story_points": lambda r, i: i.story_points,
    "sprint": lambda r, i: [_sprint_field(r.world.sprints[s]) for s in i.sprints] or None,
    "epic_link": _epic_link,
    "epic_name": lambda r, i: catalog.summary(i.summary_seed)[:30] if i.type == catalog.EPIC else None,
    "rank": lambda r, i: f"0|i{i.id:05x}:",
    "dev": lambda r, i: "{}",
    "parent_link": lambda r, i: PARENT_LINK,
    "flagged": lambda r, i: [{"self": f"{r.api}/customFieldOption/10019", **FLAGGED[0]}] if i.seed % 23 == 0 else None,
    "team": _team,
    "time_in_status": lambda r, i: f"10000_*:*_1_*:*_{i.seed % 9_999_999}_*|*_3_*:*_1_*:*_{i.seed % 777_777}",
    "user": lambda r, i: r.user(i.reviewer) if i.seed % 2 else r.user(i.assignee if i.seed % 7 == 0 else None),
    "users": lambda r, i: [r.user(u) for u in i.approvers] or None,
    "severity": _severity,
    "services": lambda r, i: [catalog.SERVICES[i.seed % len(catalog.SERVICES)]] if i.seed % 3 == 0 else None,
    "adf": lambda r, i: (
        catalog.adf("Given / When / Then: " + catalog.sentence(i.seed, 3)) if i.type == catalog.STORY else None
    ),
    "date": lambda r, i: _date(i.created + 7 * 86_400_000) if i.seed % 5 == 0 else None,
    "text": lambda r, i: f"客户 #{i.seed % 97}" if i.seed % 6 == 0 else None,
}
CUSTOM_VALUES["start_date"] = CUSTOM_VALUES["date"]


def _sprint_field(s) -> dict:
    out = {
        "id": s.id,
        "name": s.name,
        "state": s.state,
        "boardId": s.board,
        "goal": s.goal,
        "startDate": utc_z(s.start_ms),
        "endDate": utc_z(s.end_ms),
    }
    if s.complete_ms:
        out["completeDate"] = utc_z(s.complete_ms)
    return out


def utc_z(ms: int) -> str:
    """The Agile API's timestamp form: 2020-06-26T00:38:00.000Z."""
    moment = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def _date(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d")


def _short_date(r: IssueRenderer, ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, r.tz).strftime("%d/%b/%y %I:%M %p")
