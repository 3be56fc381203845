"""Small Jira payloads shaped like the real API (search/jql issues, fields, versions, sprints...)."""

from __future__ import annotations

STORY_POINTS_TEAM = "customfield_10016"  # "Story point estimate" (team-managed)
STORY_POINTS = "customfield_10026"  # "Story Points" (company-managed)
SPRINT = "customfield_10020"
EPIC_LINK = "customfield_10014"

FIELDS = [
    {"id": "summary", "name": "Summary", "custom": False, "schema": {"type": "string", "system": "summary"}},
    {"id": STORY_POINTS_TEAM, "name": "Story point estimate", "custom": True, "schema": {"type": "number"}},
    {"id": STORY_POINTS, "name": "Story Points", "custom": True, "schema": {"type": "number"}},
    {"id": SPRINT, "name": "Sprint", "custom": True, "schema": {"type": "array", "items": "json"}},
    {"id": EPIC_LINK, "name": "Epic Link", "custom": True, "schema": {"type": "any"}},
]
TYPES = {
    "Epic": {"id": "10000", "name": "Epic", "subtask": False, "hierarchyLevel": 1},
    "Story": {"id": "10001", "name": "Story", "subtask": False, "hierarchyLevel": 0},
    "Task": {"id": "10002", "name": "Task", "subtask": False, "hierarchyLevel": 0},
    "Bug": {"id": "10004", "name": "Bug", "subtask": False, "hierarchyLevel": 0},
    "Sub-task": {"id": "10003", "name": "Sub-task", "subtask": True, "hierarchyLevel": -1},
}
CATEGORY = {"new": ("10000", "To Do"), "indeterminate": ("3", "In Progress"), "done": ("10001", "Done")}


def user(account_id: str | None) -> dict | None:
    if account_id is None:
        return None
    return {"accountId": account_id, "displayName": account_id.title(), "active": True, "accountType": "atlassian"}


def issue(
    issue_id: int,
    key: str,
    *,
    kind: str = "Story",
    updated: str = "2026-11-01T10:00:00.000+0000",
    category: str = "indeterminate",
    summary: str | None = None,
    parent: tuple | None = None,  # (id, key, type name)
    epic_link: str | None = None,
    labels: list | None = None,
    fix_versions: list | None = None,  # [(id, name)]
    story_points: float | None = None,
    team_points: float | None = None,
    sprints: list | None = None,
    comments: list | None = None,
    comment_total: int | None = None,
    worklogs: list | None = None,
    histories: list | None = None,
    changelog_total: int | None = None,
    assignee: str | None = "alice",
) -> dict:
    """A search/jql issue with `expand=changelog`, embedded comments and worklogs."""
    project = key.split("-")[0]
    status_id, status_name = CATEGORY[category]
    fields = {
        "summary": summary or f"summary of {key}",
        "project": {"id": str(10000 + len(project)), "key": project, "name": project.title()},
        "issuetype": TYPES[kind],
        "status": {"id": status_id, "name": status_name, "statusCategory": {"id": 2, "key": category}},
        "priority": {"id": "3", "name": "Medium"},
        "resolution": {"id": "1", "name": "Done"} if category == "done" else None,
        "assignee": user(assignee),
        "reporter": user("bob"),
        "creator": user("bob"),
        "labels": labels or [],
        "components": [{"id": "1", "name": "api"}],
        "fixVersions": [{"id": str(v), "name": n, "released": False, "archived": False} for v, n in fix_versions or []],
        "created": "2026-10-01T09:00:00.000+0200",
        "updated": updated,
        "resolutiondate": updated if category == "done" else None,
        "duedate": "2026-12-01",
        "timeoriginalestimate": 3600,
        "timeestimate": 1800,
        "timespent": 1800,
        "comment": {"comments": comments or [], "total": comment_total or len(comments or []), "maxResults": 20},
        "worklog": {"worklogs": worklogs or [], "total": len(worklogs or []), "maxResults": 20},
        STORY_POINTS: story_points,
        STORY_POINTS_TEAM: team_points,
        SPRINT: sprints,
        EPIC_LINK: epic_link,
        "customfield_10099": None,
    }
    if parent:
        pid, pkey, ptype = parent
        fields["parent"] = {"id": str(pid), "key": pkey, "fields": {"issuetype": TYPES[ptype], "summary": pkey}}
    changelog = {"startAt": 0, "maxResults": 100, "histories": histories or []}
    changelog["total"] = changelog_total or len(changelog["histories"])
    return {
        "id": str(issue_id),
        "key": key,
        "self": f"https://x/rest/api/3/issue/{issue_id}",
        "fields": fields,
        "changelog": changelog,
    }


def comment(comment_id: int, body: str = "hello", updated: str = "2026-11-01T10:00:00.000+0000") -> dict:
    return {
        "id": str(comment_id),
        "author": user("alice"),
        "updateAuthor": user("alice"),
        "body": body,
        "created": "2026-10-02T10:00:00.000+0000",
        "updated": updated,
        "jsdPublic": True,
    }


def worklog(worklog_id: int, issue_id: int, seconds: int = 3600, updated: str = "2026-11-01T10:00:00.000+0000") -> dict:
    return {
        "id": str(worklog_id),
        "issueId": str(issue_id),
        "author": user("alice"),
        "updateAuthor": user("alice"),
        "started": "2026-10-03T08:00:00.000+0000",
        "timeSpent": "1h",
        "timeSpentSeconds": seconds,
        "created": "2026-10-03T09:00:00.000+0000",
        "updated": updated,
    }


def history(history_id: int, created: str, *items: tuple) -> dict:
    """A changelog history; items are (field, from_string, to_string)."""
    return {
        "id": str(history_id),
        "author": user("alice"),
        "created": created,
        "items": [
            {"field": f, "fieldtype": "jira", "fieldId": f, "from": None, "fromString": a, "to": None, "toString": b}
            for f, a, b in items
        ],
    }


def version(version_id: int, name: str, project_id: int = 10003, released: bool = False) -> dict:
    return {
        "id": str(version_id),
        "name": name,
        "projectId": project_id,
        "released": released,
        "archived": False,
        "releaseDate": "2026-12-15",
    }


def sprint(sprint_id: int, name: str, state: str = "active", board_id: int = 8) -> dict:
    return {
        "id": sprint_id,
        "name": name,
        "state": state,
        "originBoardId": board_id,
        "startDate": "2026-11-01T00:00:00.000Z",
        "endDate": "2026-11-15T00:00:00.000Z",
        "goal": "",
    }


def sprint_ref(sprint_id: int, name: str) -> dict:
    """The form a sprint takes inside the issue's Sprint custom field (Cloud)."""
    return {"id": sprint_id, "name": name, "state": "active", "boardId": 8}
