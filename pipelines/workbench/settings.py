"""The workbench's settings (config/workbench.yaml): who "currentUser()" is, groups, the JQL time zone."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from pipelines.errors import ConfigError

OUTPUT_FIELDS = (
    "key",
    "summary",
    "status",
    "status_category",
    "issuetype",
    "priority",
    "assignee",
    "reporter",
    "project",
    "created",
    "updated",
    "resolved",
    "due",
    "labels",
    "components",
    "fix_versions",
    "sprints",
    "parent",
    "epic",
    "resolution",
    "story_points",
    "team",
)


@dataclasses.dataclass(frozen=True)
class WorkbenchSettings:
    """JQL over the warehouse and the saved queries (config/workbench.yaml)."""

    timezone: str | None = None  # JQL dates and date functions; None: time.yaml report_timezone
    week_start: str = "sunday"  # startOfWeek()/endOfWeek(), as in Jira's default (English) locale
    current_user: str | None = None  # currentUser(): an account id, e-mail or display name
    groups: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)  # membersOf()
    fields: tuple[str, ...] = ("key", "summary", "status", "assignee", "updated")  # default `jql` columns
    max_rows: int = 1000  # rows printed by `jql` and `query` (the rest is counted, not shown)

    def __post_init__(self) -> None:
        unknown = [name for name in self.fields if name not in OUTPUT_FIELDS]
        if unknown:
            raise ConfigError(
                f"workbench.yaml: fields: unknown {', '.join(unknown)} (expected some of {', '.join(OUTPUT_FIELDS)})"
            )


WORKBENCH_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "timezone": {"anyOf": [{"type": "null"}, {"type": "string", "format": "timezone"}]},
        "week_start": {"enum": ["sunday", "monday", "saturday"]},
        "current_user": {"type": ["string", "null"], "minLength": 1},
        "groups": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string", "minLength": 1}},
        },
        "fields": {"type": "array", "items": {"enum": list(OUTPUT_FIELDS)}, "minItems": 1},
        "max_rows": {"type": "integer", "minimum": 1},
    },
}
