"""Jira source constants: endpoints, page sizes, streams, config defaults and schema."""

from __future__ import annotations

import re

from pipelines.config import source_schema
from pipelines.dlt.streams import StreamSpec, cursor_from, id_from
from pipelines.timeutil import to_utc_iso

# -- endpoints ---------------------------------------------------------------------------------
API = "/rest/api/3"
AGILE = "/rest/agile/1.0"
MYSELF = f"{API}/myself"
PROJECT_SEARCH = f"{API}/project/search"
PROJECT_VERSIONS = API + "/project/{project}/versions"
SIMPLE_CATALOGS = {
    "fields": f"{API}/field",
    "issue_types": f"{API}/issuetype",
    "statuses": f"{API}/status",
    "priorities": f"{API}/priority",
}
SEARCH = f"{API}/search/jql"  # never /rest/api/3/search: it answers 410 Gone
COUNT = f"{API}/search/approximate-count"  # POST {"jql"}: {"count"}; asked when a search has a second page (ETA)
ISSUE_COMMENTS = API + "/issue/{issue}/comment"
ISSUE_WORKLOGS = API + "/issue/{issue}/worklog"
ISSUE_CHANGELOG = API + "/issue/{issue}/changelog"
CHANGELOG_BULK = f"{API}/changelog/bulkfetch"
WORKLOGS_UPDATED = f"{API}/worklog/updated"
WORKLOGS_DELETED = f"{API}/worklog/deleted"
WORKLOG_LIST = f"{API}/worklog/list"
USERS_BULK = f"{API}/user/bulk"
BOARDS = f"{AGILE}/board"
BOARD_SPRINTS = AGILE + "/board/{board}/sprint"

# -- page sizes (the largest each endpoint allows on Jira Cloud) -------------------------------
PAGE = {
    "projects": 100,  # /project/search
    "boards": 50,  # Agile API pages are capped at 50
    "sprints": 50,
    "search": 100,  # search/jql with fields
    "census": 5000,  # search/jql with fields=id
    "comments": 100,  # /issue/{id}/comment
    "worklogs": 5000,  # /issue/{id}/worklog
    "changelog": 100,  # /issue/{id}/changelog (fallback only)
    "bulk_issues": 1000,  # changelog/bulkfetch: issues a call
    "bulk_histories": 10000,  # changelog/bulkfetch: histories a page
    "worklog_ids": 1000,  # /worklog/updated|deleted pages
    "worklog_list": 1000,  # /worklog/list ids a call
    "users": 100,  # /user/bulk accountIds a call (maxResults defaults to 10: always send it)
}
EMBEDDED = {"comments": 20, "worklogs": 20, "histories": 40}  # what search/jql embeds at most

# -- streams -----------------------------------------------------------------------------------
ISSUE_STREAMS = ("issues", "issue_changelogs", "comments", "worklogs", "issue_links", "attachments")
EVIDENCED_CATALOGS = ("projects", "versions", "sprints")  # refreshed early when the issues show a change


def _updated_time(record: dict) -> str | None:
    value = record.get("updatedTime")
    return to_utc_iso(value) if isinstance(value, int) else None


STREAMS = {
    "projects": StreamSpec("projects", "id", id_from("id")),
    "versions": StreamSpec("versions", "id", id_from("id")),
    "fields": StreamSpec("fields", "id", id_from("id")),
    "issue_types": StreamSpec("issue_types", "id", id_from("id")),
    "statuses": StreamSpec("statuses", "id", id_from("id")),
    "priorities": StreamSpec("priorities", "id", id_from("id")),
    "boards": StreamSpec("boards", "id", id_from("id")),
    "sprints": StreamSpec("sprints", "id", id_from("id")),
    "issues": StreamSpec("issues", "id", id_from("id"), "fields.updated", cursor_from(("fields", "updated"))),
    "issue_changelogs": StreamSpec("issue_changelogs", "id", id_from("id"), "created", cursor_from(("created",))),
    "comments": StreamSpec("comments", "id", id_from("id"), "updated", cursor_from(("updated",))),
    "worklogs": StreamSpec("worklogs", "id", id_from("id"), "updated", cursor_from(("updated",))),
    "issue_links": StreamSpec("issue_links", "id", id_from("id")),
    "attachments": StreamSpec("attachments", "id", id_from("id"), "created", cursor_from(("created",))),
    "users": StreamSpec("users", "accountId", id_from("accountId")),
    "issue_census": StreamSpec("issue_census", "id", id_from("id")),
    "worklog_deletions": StreamSpec(
        "worklog_deletions", "worklogId", id_from("worklogId"), "updatedTime", _updated_time
    ),
}


def _stream(mode: str, spec: StreamSpec, **extra) -> dict:
    return {"enabled": True, "mode": mode, "primary_key": spec.primary_key, "cursor_field": spec.cursor_field, **extra}


FULL_STREAMS = ("projects", "versions", "fields", "issue_types", "statuses", "priorities", "boards", "sprints", "users")
DEFAULTS = {
    "enabled": True,
    "projects": [],  # project keys to sync; empty = every accessible project
    "exclude_projects": [],
    "streams": {
        name: _stream("FULL" if name in FULL_STREAMS else "INCREMENTAL", spec) for name, spec in STREAMS.items()
    },
}
DEFAULTS["streams"]["projects"]["expand"] = "description,lead,url,insight"
DEFAULTS["streams"]["issues"].update(jql="", project_jql={}, fields=["*all"], expand=["changelog"])

PROJECT_KEY = {"type": "string", "pattern": "^[A-Z][A-Z0-9_]+$"}
PROJECT_KEY_RE = re.compile(PROJECT_KEY["pattern"])
EXPANDS = ["renderedFields", "transitions", "operations", "editmeta", "changelog", "versionedRepresentations"]
# search/jql answers `names` and `schema` once, at the top level of the response, not inside each issue:
# the issue pages (the records) would never carry them, so asking for them only costs bytes.
TOP_LEVEL_EXPANDS = ["names", "schema"]
EXPAND_ITEM = {
    "if": {"enum": TOP_LEVEL_EXPANDS},
    "then": {
        "const": "no names or schema: search/jql returns them at the top level of its response, not in the "
        "issues, so they would never reach bronze (the `fields` stream maps field ids to names)"
    },
    "else": {"enum": EXPANDS},
}
CONFIG_SCHEMA = source_schema(
    {
        "projects": {"type": "array", "items": PROJECT_KEY, "uniqueItems": True},
        "exclude_projects": {"type": "array", "items": PROJECT_KEY, "uniqueItems": True},
    },
    {
        **dict.fromkeys(STREAMS),
        "projects": {"expand": {"type": "string"}},
        "issues": {
            "jql": {"type": "string"},
            "project_jql": {"type": "object", "propertyNames": PROJECT_KEY, "additionalProperties": {"type": "string"}},
            "fields": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
            "expand": {"type": "array", "items": EXPAND_ITEM, "uniqueItems": True},
        },
    },
)
