"""Jira specifics of silver: custom fields mapped by name, release label patterns, issue type groups.

Configured in config/sources.yaml under `jira.silver` (`JiraSilverSettings` in settings.py).
Each mapped custom field is added to the typed payload of `jira_issues` (as JSON), and
`stg_jira__issue_records.sql` reads them through one temporary macro `jira_custom_fields(fields)`:
a STRUCT with the first non-null of each name's field ids. `story_points`, `sprint`, `epic_link` and
`team_name` stay raw JSON there (the model parses them: numbers in strings, Server sprint strings, Epic
Link objects, team objects or texts); every other name becomes a typed column of `jira_issues`, its
type read from the field's `schema` in the `fields` stream (`COLUMN_TYPES`): a field not (yet) in that
stream stays JSON.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import re
from pathlib import Path

import duckdb

from pipelines.bronze.ledger import BronzeFile
from pipelines.errors import ConfigError
from pipelines.silver.bronze import quote, read_json_sql
from pipelines.silver.settings import BUILTIN_FIELDS, CATEGORIES, JiraSilverSettings, label_pattern

FIELD_ID = re.compile(r"customfield_\d+")
log = logging.getLogger("pipelines.silver")

# Jira field schema type -> (DuckDB type, SQL reading the JSON value `{v}`)
SCALARS = {
    "number": ("DOUBLE", "try_cast(trim({v}::varchar, '\"') as double)"),  # a number, or one in a string
    # text; a v3 rich-text field (an ADF document) is kept as its JSON text, like comment bodies
    "string": ("VARCHAR", "case json_type({v}) when 'VARCHAR' then {v} ->> '$' else {v}::varchar end"),
    "date": ("DATE", "try_cast({v} ->> '$' as date)"),
    "datetime": ("TIMESTAMPTZ", "try_cast({v} ->> '$' as timestamptz)"),
}
# Jira field schema types holding an object -> the key naming it (an option's value, a user's account id, ...)
OBJECT_KEYS = {
    "option": "value",
    "user": "accountId",
    "team": "name",
    "version": "name",
    "component": "name",
    "group": "name",
    "project": "key",
    "priority": "name",
    "status": "name",
    "resolution": "name",
    "issuetype": "name",
    "securitylevel": "name",
}
CASCADING = "option-with-child"  # a cascading select: `parent / child`


@dataclasses.dataclass(frozen=True)
class CustomColumn:
    """One `jira.silver.custom_fields` entry, resolved against the `fields` stream."""

    name: str
    ids: tuple[str, ...]
    configured: tuple[str, ...] = ()  # the field names or ids as written in the config
    kind: str | None = None  # the fields' schema `type` (`number`, `array`, ...), None when unknown or mixed
    items: str | None = None  # the schema's `items` of an array
    duckdb_type: str = "JSON"

    @property
    def builtin(self) -> bool:
        """story_points, sprint, epic_link, team_name: raw JSON parsed by the model itself."""
        return self.name in BUILTIN_FIELDS

    @property
    def schema(self) -> str | None:
        """The Jira schema as a person reads it: `number`, `array of option`."""
        return f"{self.kind} of {self.items}" if self.kind == "array" else self.kind

    def description(self) -> str:
        """What the column holds, for its COMMENT and the data dictionary."""
        fields = ", ".join(self.ids) or "no field found in the fields stream"
        kind = f"Jira schema {self.schema}" if self.schema else "schema unknown: JSON"
        return (
            f"custom field {' | '.join(self.configured)} ({fields}; {kind}), the first non-null; "
            f"from jira.silver.custom_fields.{self.name}"
        )


def latest_fields(con: duckdb.DuckDBPyConnection, bronze_dir: Path, files: list[BronzeFile]) -> list[tuple]:
    """(field id, name, schema type, schema items) of the most recent run of the `fields` stream."""
    fields = [f for f in files if f.source == "jira" and f.stream == "fields"]
    if not fields:
        return []
    latest = max(fields, key=lambda f: (f.written_at, f.run_id)).run_id
    paths = [f.path for f in fields if f.run_id == latest]
    sql = (
        "select distinct payload->>'id', payload->>'name', payload->'schema'->>'type', payload->'schema'->>'items' "
        f"from ({read_json_sql(bronze_dir, paths)})"
    )
    return con.execute(sql).fetchall()


def resolve_custom_fields(config: JiraSilverSettings, fields: list[tuple]) -> dict[str, CustomColumn]:
    """Field ids and type per column: `customfield_N` ids as is, names matched case-insensitively.

    `fields` are (id, name, schema type, schema items) rows, as `latest_fields` returns them.
    """
    by_name: dict[str, list[str]] = {}
    schemas: dict[str, tuple] = {}
    for field_id, name, kind, items in fields:
        if field_id and name:
            by_name.setdefault(name.casefold(), []).append(field_id)
            schemas[field_id] = (kind, items)
    mapping = {}
    for column, configured in config.custom_fields.items():
        ids: list[str] = []
        for name in configured:
            found = [name] if FIELD_ID.fullmatch(name) else sorted(by_name.get(name.casefold(), []))
            ids.extend(i for i in found if i not in ids)
        mapping[column] = _typed(CustomColumn(column, tuple(ids), tuple(configured)), schemas)
    for column in mapping.values():
        if not column.builtin and not column.ids:
            log.warning(
                "jira.silver.custom_fields.%s: no field named %s in the fields stream; the column stays empty (JSON)",
                column.name,
                " or ".join(map(repr, column.configured)) or "(none listed)",
            )
    return mapping


def _typed(column: CustomColumn, schemas: dict[str, tuple]) -> CustomColumn:
    """The column with the type its fields' schema gives (JSON when unknown, mixed or a builtin)."""
    found = {schemas.get(i) for i in column.ids}
    if column.builtin or not column.ids:
        return column
    if len(found) != 1 or None in found or not next(iter(found))[0]:
        why = "of different types" if len(found - {None}) > 1 else "not (yet) in the fields stream"
        log.warning("jira.silver.custom_fields.%s: %s are %s; the column stays JSON", column.name, column.ids, why)
        return column
    kind, items = found.pop()
    return dataclasses.replace(column, kind=kind, items=items, duckdb_type=column_sql(kind, items, "x")[0])


def column_sql(kind: str | None, items: str | None, value: str) -> tuple[str, str]:
    """(DuckDB type, SQL expression) reading the JSON `value` of a field of this schema type."""
    if kind in SCALARS:
        duckdb_type, template = SCALARS[kind]
        return duckdb_type, template.format(v=value)
    if kind in OBJECT_KEYS:
        return "VARCHAR", f"{value} ->> {quote(OBJECT_KEYS[kind])}"
    if kind == CASCADING:
        return "VARCHAR", f"{value} ->> 'value' || coalesce(' / ' || ({value} -> 'child' ->> 'value'), '')"
    if kind == "array" and (items in SCALARS or items in OBJECT_KEYS):
        item_type, item = column_sql(items, None, "item")
        elements = f"from_json({value}, '[\"JSON\"]')"
        return f"{item_type}[]", f"list_transform({elements}, lambda item: {item})"
    return "JSON", value


def custom_descriptions(mapping: dict[str, CustomColumn]) -> dict[str, str]:
    """{column: description} of the configured custom-field columns (the builtins are documented)."""
    return {c.name: c.description() for c in mapping.values() if not c.builtin}


def define_custom_field_macros(con: duckdb.DuckDBPyConnection, mapping: dict[str, CustomColumn]) -> None:
    """Create the temporary macro `jira_custom_fields(fields)` for the resolved mapping."""
    con.execute(custom_field_macros_sql(mapping))


def custom_field_macros_sql(mapping: dict[str, CustomColumn]) -> str:
    """SQL defining `jira_custom_fields(fields)`: a STRUCT, one entry per column (builtins as raw JSON)."""
    entries = []
    for column in sorted(mapping.values(), key=lambda c: (not c.builtin, c.name)):
        picks = [f"fields.{field_id}" for field_id in column.ids]
        value = f"coalesce({', '.join(picks)})" if picks else "null::json"
        if not column.builtin and column.kind:
            value = column_sql(column.kind, column.items, value)[1]
        entries.append(f"{quote(column.name)}: ({value})::{column.duckdb_type}")
    return f"create or replace temp macro jira_custom_fields(fields) as {{{', '.join(entries)}}};"


def with_custom_fields(shapes: dict, mapping: dict[str, CustomColumn]) -> dict:
    """The payload shapes with every mapped custom field added to `jira_issues.fields` as JSON."""
    shapes = copy.deepcopy(shapes)
    fields = shapes.setdefault("jira_issues", {}).setdefault("fields", {})
    for column in mapping.values():
        for field_id in column.ids:
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


def mapping_state(mapping: dict[str, CustomColumn]) -> str:
    """A stable text form of the resolved mapping (ids and types), stored to detect changes."""
    return json.dumps({c.name: [list(c.ids), c.duckdb_type] for c in mapping.values()}, sort_keys=True)
