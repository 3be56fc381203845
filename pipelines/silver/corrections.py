"""Local corrections of Jira issues (config/corrections.yaml), applied by silver after the merge.

A data steward overrides some fields of some issues (release membership by fixVersions, parent,
Epic Link, labels, components, team) without editing Jira. Each correction names its author, its
reason and the Jira `updated` of the issue it was made against (`jira_updated`), optionally when it
was made (`made_at`, default `jira_updated`). What happens when Jira changes that field too depends
on the strategy (the correction's own, else the field's, else `default_strategy`):

| strategy | the correction is applied ... |
|---|---|
| `JIRA_WINS` | until Jira changes the field after `jira_updated` (then Jira's value stays) |
| `LOCAL_WINS` | always |
| `NEWEST_WINS` | when it is newer (`made_at`) than the field's last change in Jira's changelog |
| `MANUAL` | until Jira changes the field after `jira_updated`; then neither wins silently (see below) |

A MANUAL conflict keeps Jira's value, and lists the issue in `corrections_conflicts` and the anomalies
until the steward re-dates (`jira_updated`), changes or removes the correction.

Everything but the log is SQL views (sql/silver/int_jira__correction_outcomes.sql, int_jira__corrected_issues.sql,
corrections_conflicts.sql), so a build stays idempotent and incremental = full. This module writes the
corrections as the config tables those views read, and appends to `corrections_log` each correction whose
outcome or inputs changed since its last logged row (a build that changes nothing logs nothing).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

import duckdb

from pipelines.errors import ConfigError
from pipelines.timeutil import parse_iso

STRATEGIES = ("JIRA_WINS", "LOCAL_WINS", "NEWEST_WINS", "MANUAL")
LIST_FIELDS = ("fix_versions", "labels", "components")
TEXT_FIELDS = ("parent", "epic_link", "team")
FIELDS = LIST_FIELDS + TEXT_FIELDS
# changelog field ids / names (lower case) of each correctable field; custom field ids are added at build time
CHANGELOG = {
    "fix_versions": ("fixversions", "fix version"),
    "labels": ("labels",),
    "components": ("components", "component"),
    "parent": ("parent", "issueparentassociation", "parent link"),
    "epic_link": ("epic link",),
    "team": ("team",),
}
CUSTOM = {"epic_link": "epic_link", "team": "team_name"}  # correctable field -> its jira.silver.custom_fields entry
LOG_DDL = """
create table if not exists corrections_log (
    logged_at timestamptz, correction_id varchar, issue_key varchar, field varchar, jira_value varchar,
    local_value varchar, strategy varchar, outcome varchar, jira_changed_at timestamptz,
    jira_updated timestamptz, made_at timestamptz, author varchar, reason varchar
)
"""
# corrections_log columns (until the data dictionary lands):
#   logged_at        when a build first saw this outcome of the correction
#   correction_id    `<issue key>:<field>`
#   issue_key, field the corrected issue and field (fix_versions, labels, components, parent, epic_link, team)
#   jira_value       Jira's value of the field at that build (JSON)
#   local_value      the correction's value (JSON)
#   strategy         JIRA_WINS | LOCAL_WINS | NEWEST_WINS | MANUAL (as resolved for this correction)
#   outcome          applied | jira_changed | jira_newer | conflict | issue_not_found
#   jira_changed_at  the field's last change in Jira's changelog (null: never changed)
#   jira_updated     the issue's Jira `updated` the correction was made against
#   made_at          when the correction was made
#   author, reason   who made it and why


@dataclasses.dataclass(frozen=True)
class Correction:
    """One field of one issue, overridden locally."""

    issue: str
    field: str
    value: tuple[str, ...] | str | None
    author: str
    reason: str
    jira_updated: str
    made_at: str | None = None
    strategy: str | None = None

    def __post_init__(self) -> None:
        where = f"corrections.yaml: {self.issue} {self.field}"
        if self.field in LIST_FIELDS and not isinstance(self.value, list | tuple):
            raise ConfigError(f"{where}: value must be a list (of names)")
        if self.field in TEXT_FIELDS and not (self.value is None or isinstance(self.value, str)):
            raise ConfigError(f"{where}: value must be one text or null")
        if isinstance(self.value, list):
            object.__setattr__(self, "value", tuple(self.value))
        for key in ("jira_updated", "made_at"):
            text = getattr(self, key)
            if text is not None:
                try:
                    parse_iso(str(text))
                except ValueError:
                    raise ConfigError(f"{where}: {key} {text!r} is not an ISO-8601 timestamp") from None

    @property
    def correction_id(self) -> str:
        return f"{self.issue}:{self.field}"


@dataclasses.dataclass(frozen=True)
class CorrectionsSettings:
    """config/corrections.yaml: the strategies and the corrections."""

    default_strategy: str = "JIRA_WINS"
    field_strategies: Mapping[str, str] = dataclasses.field(default_factory=dict)
    corrections: tuple[Correction, ...] = ()

    def __post_init__(self) -> None:
        seen = set()
        for correction in self.corrections:
            if correction.correction_id in seen:
                raise ConfigError(
                    f"corrections.yaml: {correction.issue} has two corrections of {correction.field}: keep one"
                )
            seen.add(correction.correction_id)

    def strategy(self, correction: Correction) -> str:
        """The correction's strategy: its own, else its field's, else the default."""
        return correction.strategy or self.field_strategies.get(correction.field) or self.default_strategy


_STRATEGY = {"enum": list(STRATEGIES)}
CORRECTIONS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "default_strategy": _STRATEGY,
        "field_strategies": {
            "type": "object",
            "additionalProperties": False,
            "properties": dict.fromkeys(FIELDS, _STRATEGY),
        },
        "corrections": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["issue", "field", "value", "author", "reason", "jira_updated"],
                "properties": {
                    "issue": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*-[0-9]+$"},
                    "field": {"enum": list(FIELDS)},
                    "value": {"type": ["array", "string", "null"], "items": {"type": "string"}},
                    "author": {"type": "string", "minLength": 1},
                    "reason": {"type": "string", "minLength": 1},
                    "jira_updated": {"type": "string", "minLength": 10},
                    "made_at": {"type": ["string", "null"], "minLength": 10},
                    "strategy": {"type": ["string", "null"], "enum": [*STRATEGIES, None]},
                },
            },
        },
    },
}


def write_config_tables(con: duckdb.DuckDBPyConnection, settings: CorrectionsSettings, mapping: dict) -> None:
    """(Re)write `_silver_corrections` and `_silver_correction_fields` (the changelog names of each field)."""
    con.execute(
        "create or replace table _silver_corrections (correction_id varchar, issue_key varchar, field varchar, "
        "local_value varchar, author varchar, reason varchar, jira_updated timestamptz, made_at timestamptz, "
        "strategy varchar)"
    )
    rows = [
        (
            c.correction_id,
            c.issue,
            c.field,
            json.dumps(list(c.value) if isinstance(c.value, tuple) else c.value, ensure_ascii=False),
            c.author,
            c.reason,
            parse_iso(c.jira_updated),
            parse_iso(c.made_at or c.jira_updated),
            settings.strategy(c),
        )
        for c in settings.corrections
    ]
    if rows:
        con.executemany("insert into _silver_corrections values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    names = [(field, name) for field, names in CHANGELOG.items() for name in names]
    names += [(field, i.lower()) for field, column in CUSTOM.items() if column in mapping for i in mapping[column].ids]
    con.execute("create or replace table _silver_correction_fields (field varchar, changelog_field varchar)")
    con.executemany("insert into _silver_correction_fields values (?, ?)", sorted(set(names)))


def log_applications(con: duckdb.DuckDBPyConnection, settings: CorrectionsSettings) -> int:
    """Append the corrections whose outcome or inputs changed since their last logged row; how many."""
    con.execute(LOG_DDL)
    if not settings.corrections:  # the outcomes hold one row per correction: none to log (and no join to run)
        return 0
    columns = (
        "correction_id, issue_key, field, jira_value, local_value, strategy, outcome, jira_changed_at, "
        "jira_updated, made_at, author, reason"
    )
    same = " and ".join(
        f"last.{c} is not distinct from now.{c}"
        for c in ("jira_value", "local_value", "strategy", "outcome", "jira_changed_at", "jira_updated", "made_at")
    )
    inserted = con.execute(
        f"""
        insert into corrections_log
        select now(), {columns}
        from int_jira__correction_outcomes as now
        where not exists (
            select 1 from (
                select * from corrections_log
                qualify row_number() over (partition by correction_id order by logged_at desc) = 1
            ) as last
            where last.correction_id = now.correction_id and {same}
        )
        """
    ).fetchone()[0]
    return int(inserted)
