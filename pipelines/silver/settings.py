"""Silver's settings: how Jira is read (`jira.silver` in sources.yaml), delivery.yaml and identity.yaml.

Each is a frozen dataclass whose field defaults are *the* defaults, next to the JSON Schema of its
section. `pipelines/settings.py` validates the YAML against the schema and builds the dataclass.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping

import duckdb

from pipelines.errors import ConfigError
from pipelines.silver.dictionary import load_dictionary

_NAMES = {"type": "array", "items": {"type": "string"}}
_NON_EMPTY_NAMES = {"type": "array", "items": {"type": "string", "minLength": 1}}

# -- jira.silver ----------------------------------------------------------------------------------

BUILTIN_FIELDS = ("story_points", "sprint", "epic_link", "team_name")  # parsed by stg_jira__issue_records itself
COLUMN_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
CATEGORIES = ("epic", "story", "bug", "task", "subtask")
MAX_GROUP = 9


def _custom_fields() -> dict[str, tuple[str, ...]]:
    return {
        "story_points": ("Story Points", "Story point estimate"),
        "sprint": ("Sprint",),
        "epic_link": ("Epic Link",),
        "team_name": ("Team",),
    }


def _issue_types() -> dict[str, tuple[str, ...]]:
    return {
        "epic": ("Epic",),
        "story": ("Story",),
        "bug": ("Bug",),
        "task": ("Task",),
        "subtask": ("Sub-task", "Subtask"),
    }


@dataclasses.dataclass(frozen=True)
class JiraSilverSettings:
    """Custom fields by name, release label patterns and issue type groups (sources.yaml `jira.silver`)."""

    custom_fields: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=_custom_fields)
    release_label_patterns: tuple[str, ...] = ("^release-(?<version>.+)$",)
    issue_types: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=_issue_types)

    def __post_init__(self) -> None:
        for pattern in self.release_label_patterns:
            label_pattern(pattern)
        extra = [name for name in self.custom_fields if name not in BUILTIN_FIELDS]
        taken = issue_columns() if extra else frozenset()
        for name in extra:
            check_column_name(name, taken)


def check_column_name(name: str, taken: frozenset[str]) -> None:
    """A `jira.silver.custom_fields` key must be a plain SQL name that `jira_issues` does not have yet."""
    where = f"jira.silver.custom_fields: {name!r}"
    if not COLUMN_NAME.fullmatch(name):
        suggestion = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "my_field"
        raise ConfigError(
            f"{where} is not a valid column name (lowercase letters, digits and _, starting with a letter, "
            f"at most 63 characters; e.g. {suggestion!r})"
        )
    if name in sql_keywords():
        raise ConfigError(f"{where} is an SQL keyword; choose another column name (e.g. '{name}_field')")
    if name in taken:
        raise ConfigError(f"{where} is already a column of jira_issues; choose another name (e.g. '{name}_custom')")


@functools.cache
def sql_keywords() -> frozenset[str]:
    """DuckDB's reserved words (a column named `order` would need quotes in every query)."""
    with duckdb.connect() as con:
        rows = con.execute("select keyword_name from duckdb_keywords() where keyword_category = 'reserved'")
        return frozenset(row[0] for row in rows.fetchall())


def issue_columns() -> frozenset[str]:
    """Names a custom field may not take: the columns of `jira_issues` and of the models it is built from.

    Read from the data dictionary (sql/silver/schema.yml: those models' entries and the shared
    columns), which tests/silver/test_dictionary.py keeps complete for `jira_issues`.
    """
    dictionary = load_dictionary()
    names = set(dictionary.shared.get("silver", {}))
    for model in ("jira_issues", "stg_jira__issues", "stg_jira__issue_records"):
        names.update(dictionary.columns_of(model))
    return frozenset(names)


JIRA_SILVER_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        # column name -> field names or ids; names are checked by check_column_name()
        "custom_fields": {"type": "object", "additionalProperties": _NAMES},
        "release_label_patterns": _NAMES,  # checked by label_pattern(): `(?<name>...)` is not Python syntax
        "issue_types": {
            "type": "object",
            "additionalProperties": False,
            "properties": dict.fromkeys(CATEGORIES, _NAMES),
        },
    },
}


def label_pattern(text: str) -> tuple[str, int]:
    """A Python/RE2 pattern and the number of its `version` group (named `version`, else group 1)."""
    python_form = re.sub(r"\(\?<(?=[A-Za-z_])", "(?P<", text)
    try:
        compiled = re.compile(python_form)
    except re.error as exc:
        raise ConfigError(f"jira.silver.release_label_patterns: {text!r} is not a valid pattern ({exc})") from None
    group = compiled.groupindex.get("version", 1)
    if compiled.groups < 1 or group > MAX_GROUP:
        raise ConfigError(
            f"jira.silver.release_label_patterns: {text!r} needs a capturing group for the version "
            f"(`(?<version>...)` or the first group, among the first {MAX_GROUP})"
        )
    return python_form, group


# -- delivery.yaml --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Environment:
    """A deployment environment: the Jenkins jobs (globs on the full name) that deploy to it."""

    name: str
    jobs: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ChangeFailure:
    """What makes a production deployment a change failure, besides a failed result."""

    window_hours: float = 24
    rollback_jobs: tuple[str, ...] = ("*rollback*",)
    rollback_parameters: tuple[str, ...] = ("ROLLBACK",)
    hotfix_branches: tuple[str, ...] = ("hotfix/*", "hotfix-*")


@dataclasses.dataclass(frozen=True)
class DeliverySettings:
    """Traceability and DORA rules (config/delivery.yaml)."""

    environments: tuple[Environment, ...] = (
        Environment("production", ("deploy-prod*", "*/deploy-prod*")),
        Environment("staging", ("deploy-staging*", "*/deploy-staging*")),
    )
    production_environment: str = "production"
    failed_results: tuple[str, ...] = ("FAILURE", "UNSTABLE")
    skipped_results: tuple[str, ...] = ("NOT_BUILT", "ABORTED")
    dry_run_parameters: tuple[str, ...] = ("DRY_RUN",)
    change_failure: ChangeFailure = dataclasses.field(default_factory=ChangeFailure)
    incident_issue_types: tuple[str, ...] = ("Incident",)
    dora_weeks: int = 12

    def __post_init__(self) -> None:
        names = [env.name for env in self.environments]
        if self.production_environment not in names:
            raise ConfigError(
                f"delivery.yaml: production_environment {self.production_environment!r} is not one of the "
                f"environments ({', '.join(names) or 'none'})"
            )


DELIVERY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "environments": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "jobs"],
                "properties": {"name": {"type": "string", "minLength": 1}, "jobs": _NON_EMPTY_NAMES},
            },
        },
        "production_environment": {"type": "string", "minLength": 1},
        "failed_results": _NON_EMPTY_NAMES,
        "skipped_results": _NON_EMPTY_NAMES,
        "dry_run_parameters": _NON_EMPTY_NAMES,
        "change_failure": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "window_hours": {"type": "number", "minimum": 0},
                "rollback_jobs": _NON_EMPTY_NAMES,
                "rollback_parameters": _NON_EMPTY_NAMES,
                "hotfix_branches": _NON_EMPTY_NAMES,
            },
        },
        "incident_issue_types": _NON_EMPTY_NAMES,
        "dora_weeks": {"type": "integer", "minimum": 1},
    },
}

# -- identity.yaml --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Person:
    """One person and their accounts across the three systems."""

    name: str
    emails: tuple[str, ...] = ()
    jira_account_ids: tuple[str, ...] = ()
    bitbucket_uuids: tuple[str, ...] = ()
    bitbucket_nicknames: tuple[str, ...] = ()
    jenkins_user_ids: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class IdentitySettings:
    """config/identity.yaml: people across Jira, Bitbucket and Jenkins; aliases of renamed Jira keys."""

    jira_key_aliases: Mapping[str, str] = dataclasses.field(default_factory=dict)
    people: tuple[Person, ...] = ()


IDENTITY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "jira_key_aliases": {
            "type": "object",
            "additionalProperties": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]+$"},
        },
        "people": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "emails": _NAMES,
                    "jira_account_ids": _NAMES,
                    "bitbucket_uuids": _NAMES,
                    "bitbucket_nicknames": _NAMES,
                    "jenkins_user_ids": _NAMES,
                },
            },
        },
    },
}
