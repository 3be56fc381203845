"""The JQL fields the workbench answers, and how each reads `jira_issues` (alias `i`).

A field is one of these kinds:
  - `choice`: one value per issue (status, assignee, parent ...): `column` is its SQL;
  - `multi`: a list per issue (labels, fixVersion, sprint ...): `column` is the list, elements are `e.v`;
  - `date`: an instant (created ...) or a day (due), compared in the configured zone;
  - `text`: searched with `~` / `!~` (summary, description, environment, comment, text);
  - `key`: the issue key, ordered by project and number.
`match` names how one element is compared with one value (see translate.py); `history` names the field
of `jira_issue_field_periods` / the changelog field ids that WAS and CHANGED read.
"""

from __future__ import annotations

import dataclasses

EQUALITY = ("=", "!=", "in", "not in", "is", "is not")
ORDERED = ("=", "!=", ">", ">=", "<", "<=", "in", "not in", "is", "is not")
TEXT = ("~", "!~", "is", "is not")
HISTORY = ("was", "was not", "was in", "was not in", "changed")


@dataclasses.dataclass(frozen=True)
class Field:
    name: str  # as Jira documents it
    kind: str  # choice | multi | date | text | key
    column: str = ""
    match: str = "name"  # how an element matches a value (translate.MATCHERS)
    operators: tuple[str, ...] = EQUALITY
    history: str | None = None  # field in jira_issue_field_periods (WAS/CHANGED)
    changelog: tuple[str, ...] = ()  # changelog field ids (lower case) of CHANGED
    order: str | None = None  # ORDER BY expression
    functions: tuple[str, ...] = ()  # value functions this field accepts
    day: bool = False  # a date without time (due)


CHECKED = ("project", "status", "issuetype", "priority", "version", "sprint")  # values looked up before running
USER_FUNCTIONS = ("currentuser", "membersof")
VERSION_FUNCTIONS = ("releasedversions", "unreleasedversions", "latestreleasedversion", "earliestunreleasedversion")
NAME_ORDER = "lower({})"

FIELDS = {
    "project": Field("project", "choice", "i.project_key", "project", order="i.project_key"),
    "key": Field("key", "key", "i.issue_key", "key", ORDERED),
    "issuetype": Field(
        "issuetype",
        "choice",
        "i.issue_type",
        "issuetype",
        order="lower(i.issue_type)",
        functions=("standardissuetypes", "subtaskissuetypes"),
    ),
    "status": Field(
        "status",
        "choice",
        "i.status",
        "status",
        EQUALITY + HISTORY,
        history="status",
        changelog=("status",),
        order="lower(i.status)",
    ),
    "statuscategory": Field("statusCategory", "choice", "i.status_category", "category"),
    "priority": Field(
        "priority",
        "choice",
        "i.priority",
        "priority",
        EQUALITY + HISTORY,
        history="priority",
        changelog=("priority",),
        # Jira sorts by the priority scheme's order; the warehouse has the ids (1 Highest ... 5 Lowest by default)
        order="-(select min(p.priority_id) from jira_priorities as p where p.priority_name = i.priority)",
    ),
    "resolution": Field(
        "resolution",
        "choice",
        "i.resolution",
        "resolution",
        EQUALITY + HISTORY,
        history="resolution",
        changelog=("resolution",),
        order="lower(i.resolution)",
    ),
    "assignee": Field(
        "assignee",
        "choice",
        "i.assignee_account_id",
        "user",
        EQUALITY + HISTORY,
        history="assignee",
        changelog=("assignee",),
        order="(select lower(u.display_name) from jira_users as u where u.account_id = i.assignee_account_id)",
        functions=USER_FUNCTIONS,
    ),
    "reporter": Field(
        "reporter",
        "choice",
        "i.reporter_account_id",
        "user",
        EQUALITY + HISTORY,
        history="reporter",
        changelog=("reporter",),
        order="(select lower(u.display_name) from jira_users as u where u.account_id = i.reporter_account_id)",
        functions=USER_FUNCTIONS,
    ),
    "creator": Field("creator", "choice", "i.creator_account_id", "user", functions=USER_FUNCTIONS),
    "labels": Field("labels", "multi", "i.labels", "label"),
    "component": Field("component", "multi", "i.components", "label"),
    "fixversion": Field(
        "fixVersion",
        "multi",
        "i.fix_versions",
        "version",
        EQUALITY + HISTORY,
        history="fix_version",
        changelog=("fixversions", "fix version"),
        functions=VERSION_FUNCTIONS,
    ),
    "affectedversion": Field("affectedVersion", "multi", "i.affected_versions", "version", functions=VERSION_FUNCTIONS),
    "sprint": Field(
        "sprint", "multi", "i.sprint_ids", "sprint", functions=("opensprints", "closedsprints", "futuresprints")
    ),
    "parent": Field("parent", "choice", "i.parent_issue_key", "parent", order="i.parent_issue_key"),
    "epic link": Field(
        "Epic Link",
        "choice",
        "(case when not i.is_subtask then i.epic_issue_key end)",
        "issue_key",
        order="i.epic_issue_key",
    ),
    "summary": Field("summary", "text", "i.summary", operators=TEXT, order="lower(i.summary)"),
    "description": Field("description", "text", "i.description_text", operators=TEXT),
    "environment": Field("environment", "text", "i.environment_text", operators=TEXT),
    "comment": Field("comment", "text", operators=("~", "!~")),
    "text": Field("text", "text", operators=("~", "!~")),
    "created": Field("created", "date", "i.created_at", operators=ORDERED, order="i.created_at"),
    "updated": Field("updated", "date", "i.updated_at", operators=ORDERED, order="i.updated_at"),
    "resolved": Field("resolved", "date", "i.resolved_at", operators=ORDERED, order="i.resolved_at"),
    "due": Field("due", "date", "i.due_date", operators=ORDERED, order="i.due_date", day=True),
    "statuscategorychangeddate": Field(
        "statusCategoryChangedDate", "date", "i.status_changed_at", operators=ORDERED, order="i.status_changed_at"
    ),
}
ALIASES = {
    "issuekey": "key",
    "id": "key",
    "issue": "key",
    "type": "issuetype",
    "category": "statuscategory",
    "components": "component",
    "fixversions": "fixversion",
    "affectedversions": "affectedversion",
    "createddate": "created",
    "updateddate": "updated",
    "resolutiondate": "resolved",
    "duedate": "due",
    "epiclink": "epic link",
}
# Fields Jira knows that the warehouse cannot answer: named in the error instead of matching nothing.
UNSUPPORTED = {
    "watcher",
    "watchers",
    "voter",
    "votes",
    "lastviewed",
    "level",
    "attachments",
    "issuelinktype",
    "originalestimate",
    "remainingestimate",
    "timespent",
    "workratio",
    "filter",
    "request",
    "rank",
}


def lookup(name: str) -> Field | None:
    """The built-in field a JQL name refers to (case-insensitive), or None (then it may be a custom field)."""
    key = name.strip().lower()
    return FIELDS.get(ALIASES.get(key, key))


@dataclasses.dataclass
class Lookup:
    """A value or field name to check against the warehouse before running (see run.check)."""

    kind: str  # custom_field | user | project | status | ...
    value: str
    field: str = ""  # the JQL field, for the error message
