"""Jira specifics of silver: custom fields mapped by name, release label patterns, issue type groups.

Configured in config/sources.yaml under `jira.silver` (`JiraSilverSettings` in settings.py).
Each mapped custom field is added to the typed payload of `jira_issues` (as JSON), and
`stg_jira__issue_records.sql` reads it through a temporary macro `jira_cf_<name>(fields)`
(the first non-null of that name's field ids). The story points and team fields and the
`searchable_custom_fields` are also kept whole, by field id, in `custom_fields` (macro
`jira_cf_searchable(fields)`: a JSON object), which `jira_issue_custom_fields` unnests for JQL.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import duckdb

from pipelines.bronze.ledger import BronzeFile
from pipelines.errors import ConfigError
from pipelines.silver.bronze import read_json_sql
from pipelines.silver.settings import CATEGORIES, CUSTOM_FIELDS, JiraSilverSettings, label_pattern

FIELD_ID = re.compile(r"customfield_\d+")
SEARCHABLE = "searchable"  # key of the mapping holding the ids kept whole in `custom_fields`
KEPT_WHOLE = ("story_points", "team", SEARCHABLE)


def latest_fields(con: duckdb.DuckDBPyConnection, bronze_dir: Path, files: list[BronzeFile]) -> list[tuple]:
    """(field id, name) pairs of the most recent run of the `fields` stream."""
    fields = [f for f in files if f.source == "jira" and f.stream == "fields"]
    if not fields:
        return []
    latest = max(fields, key=lambda f: (f.written_at, f.run_id)).run_id
    paths = [f.path for f in fields if f.run_id == latest]
    sql = f"select distinct payload->>'id', payload->>'name' from ({read_json_sql(bronze_dir, paths)})"
    return con.execute(sql).fetchall()


def resolve_custom_fields(config: JiraSilverSettings, fields: list[tuple]) -> dict[str, list[str]]:
    """Field ids per logical name: configured `customfield_N` ids as is, names matched case-insensitively."""
    by_name: dict[str, list[str]] = {}
    for field_id, name in fields:
        if field_id and name:
            by_name.setdefault(name.casefold(), []).append(field_id)
    mapping = {}
    for logical in CUSTOM_FIELDS:
        mapping[logical] = _ids(config.custom_fields.get(logical, ()), by_name)
    mapping[SEARCHABLE] = _ids(config.searchable_custom_fields, by_name)
    return mapping


def _ids(names, by_name: dict[str, list[str]]) -> list[str]:
    ids: list[str] = []
    for name in names:
        found = [name] if FIELD_ID.fullmatch(name) else sorted(by_name.get(name.casefold(), []))
        ids.extend(i for i in found if i not in ids)
    return ids


def define_custom_field_macros(con: duckdb.DuckDBPyConnection, mapping: dict[str, list[str]]) -> None:
    """Create the temporary macros `jira_cf_<name>(fields)` for the resolved mapping."""
    con.execute(custom_field_macros_sql(mapping))


def custom_field_macros_sql(mapping: dict[str, list[str]]) -> str:
    """SQL defining `jira_cf_<name>(fields)`: the first non-null of that name's fields, as JSON."""
    statements = []
    for logical in CUSTOM_FIELDS:
        picks = [f"fields.{field_id}" for field_id in mapping.get(logical, [])]
        body = f"coalesce({', '.join(picks)})" if picks else "null::json"
        statements.append(f"create or replace temp macro jira_cf_{logical}(fields) as {body}")
    kept = sorted({field_id for logical in KEPT_WHOLE for field_id in mapping.get(logical, [])})
    pairs = ", ".join(f"'{field_id}', fields.{field_id}" for field_id in kept)
    body = f"json_object({pairs})" if kept else "null::json"
    statements.append(f"create or replace temp macro jira_cf_searchable(fields) as {body}")
    return ";\n".join(statements) + ";"


def with_custom_fields(shapes: dict, mapping: dict[str, list[str]]) -> dict:
    """The payload shapes with every mapped custom field added to `jira_issues.fields` as JSON."""
    shapes = copy.deepcopy(shapes)
    fields = shapes.setdefault("jira_issues", {}).setdefault("fields", {})
    for ids in mapping.values():
        for field_id in ids:
            fields[field_id] = "json"
    return shapes


def write_config_tables(con: duckdb.DuckDBPyConnection, config: JiraSilverSettings) -> None:
    """(Re)write `_silver_jira_release_label_patterns` and `_silver_jira_issue_type_categories`."""
    patterns = [(order, *label_pattern(text)) for order, text in enumerate(config.release_label_patterns, 1)]
    for _, pattern, _ in patterns:  # DuckDB uses RE2, stricter than Python (no look-arounds, no backreferences)
        try:
            con.execute("select regexp_matches('', ?)", [pattern])
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0]
            raise ConfigError(
                f"jira.silver.release_label_patterns: {pattern!r} is not RE2 syntax ({message})"
            ) from None
    con.execute(
        "create or replace table _silver_jira_release_label_patterns "
        "(pattern_order integer, pattern varchar, version_group integer)"
    )
    if patterns:
        con.executemany("insert into _silver_jira_release_label_patterns values (?, ?, ?)", patterns)
    categories = {}
    for category in CATEGORIES:
        for name in config.issue_types.get(category, ()):
            categories.setdefault(name.casefold(), category)
    con.execute(
        "create or replace table _silver_jira_issue_type_categories (issue_type_name varchar, issue_category varchar)"
    )
    if categories:
        con.executemany("insert into _silver_jira_issue_type_categories values (?, ?)", sorted(categories.items()))


def mapping_state(mapping: dict[str, list[str]]) -> str:
    """A stable text form of the resolved mapping, stored to detect changes."""
    return json.dumps(mapping, sort_keys=True)
