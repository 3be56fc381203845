"""Custom fields in JQL (`"Story Points" > 3`, `Severity = S1`, `cf[10040] is EMPTY`): the typed columns
that `jira.silver.custom_fields` gives `jira_issues`, found by the field's name, its id or the column name.

The catalog comes from the warehouse (`catalog_from_warehouse`: the resolved mapping silver stored, and
the `fields` stream's names), else from the settings alone (`catalog_from_settings`: configured names,
types unknown). A custom field Jira has but silver does not keep is an error saying how to keep it.
"""

from __future__ import annotations

import dataclasses
import json
import re

import duckdb

from pipelines.workbench.jql.fields import EQUALITY, ORDERED, TEXT, UNSUPPORTED, Field
from pipelines.workbench.jql.syntax import Clause, JqlError

CUSTOM_ID = re.compile(r"^cf\[(\d+)\]$", re.IGNORECASE)
# jira.silver.custom_fields entries that JQL answers through its own fields, or through another column
BUILTIN = {
    "sprint": None,
    "epic_link": None,
    "story_points": ("story_points", "DOUBLE"),
    "team_name": ("team_name", "VARCHAR"),
}
NUMBERS = ("DOUBLE", "BIGINT", "INTEGER", "DECIMAL")


@dataclasses.dataclass(frozen=True)
class FieldColumn:
    """A custom field kept as a column of jira_issues."""

    column: str
    type: str | None  # DuckDB type; None when unknown (catalog from the settings alone)
    names: frozenset[str]  # lower-case: field names, field ids (customfield_N) and the column name


@dataclasses.dataclass(frozen=True)
class Catalog:
    columns: tuple[FieldColumn, ...] = ()
    unkept: dict = dataclasses.field(default_factory=dict)  # lower-case name or id -> field ids Jira has

    def find(self, name: str) -> FieldColumn | None:
        key = name.strip().lower()
        numbered = CUSTOM_ID.match(key)
        key = f"customfield_{numbered.group(1)}" if numbered else key
        return next((c for c in self.columns if key in c.names), None)


def catalog_from_settings(settings) -> Catalog:
    """Columns named by jira.silver.custom_fields (types unknown, except the builtins')."""
    columns = []
    for name, configured in settings.jira_silver.custom_fields.items():
        if name in BUILTIN and BUILTIN[name] is None:
            continue
        column, kind = BUILTIN.get(name) or (name, None)
        columns.append(FieldColumn(column, kind, frozenset({name, *(c.lower() for c in configured)})))
    return Catalog(tuple(columns))


def catalog_from_warehouse(con: duckdb.DuckDBPyConnection, settings) -> Catalog:
    """Columns silver built (ids and types as resolved at the last build) and the custom fields it does not keep."""
    row = con.execute("select value from _silver_state where key = 'jira_custom_fields'").fetchone()
    mapping = json.loads(row[0]) if row else {}
    names: dict[str, set[str]] = {}
    for field_id, field_name in con.execute("select field_id, field_name from jira_fields").fetchall():
        names.setdefault(field_id.lower(), set()).add((field_name or "").lower())
    existing = {r[0] for r in con.execute("select column_name from (describe jira_issues)").fetchall()}
    columns, kept = [], set()
    for name, (ids, kind) in mapping.items():
        if name in BUILTIN and BUILTIN[name] is None:
            continue
        column, kind = BUILTIN.get(name) or (name, kind)
        if column not in existing:
            continue
        configured = {c.lower() for c in settings.jira_silver.custom_fields.get(name, ())}
        aliases = {name, *configured, *(i.lower() for i in ids), *(n for i in ids for n in names.get(i.lower(), ()))}
        columns.append(FieldColumn(column, kind, frozenset(aliases)))
        kept |= {i.lower() for i in ids}
    unkept: dict[str, list[str]] = {}
    for field_id, field_names in names.items():
        if field_id.startswith("customfield_") and field_id not in kept:
            for key in (field_id, *field_names):
                unkept.setdefault(key, []).append(field_id)
    return Catalog(tuple(columns), unkept)


def as_field(found: FieldColumn, clause: Clause) -> Field:
    """The built-in field kind that answers a custom column of this type."""
    column, kind = f"i.{found.column}", found.type
    if kind is None or kind == "VARCHAR":
        return Field(clause.field, "choice", column, "value", EQUALITY + TEXT[:2], order=column)
    if kind.endswith("[]"):
        return Field(clause.field, "multi", column, "value")
    if kind in NUMBERS:
        return Field(clause.field, "number", column, "number", ORDERED, order=column)
    if kind in ("DATE", "TIMESTAMPTZ", "TIMESTAMP"):
        return Field(clause.field, "date", column, operators=ORDERED, order=column, day=kind == "DATE")
    return Field(clause.field, "json", column, operators=("is", "is not"))


class CustomFields:
    """The custom-field clauses of a Translator (which provides `catalog`, `bind` and the clause kinds)."""

    def custom_field(self, clause_or_name) -> Field:
        """The Field a custom field name (or `cf[N]`) stands for; a JqlError when silver has no column for it."""
        name = clause_or_name if isinstance(clause_or_name, str) else clause_or_name.field
        found = self.catalog.find(name)
        if found is not None:
            return as_field(found, clause_or_name if not isinstance(clause_or_name, str) else Clause(name, "="))
        key = name.strip().lower()
        if key in UNSUPPORTED:
            raise JqlError(f"JQL: the field {name!r} is not kept in the warehouse")
        numbered = CUSTOM_ID.match(key)
        ids = self.catalog.unkept.get(f"customfield_{numbered.group(1)}" if numbered else key)
        if ids:
            raise JqlError(
                f"JQL: the custom field {name!r} ({', '.join(sorted(set(ids)))}) is not kept in the warehouse: add it "
                "to jira.silver.custom_fields in config/sources.yaml (a column name: [its name]) and run `make silver`"
            )
        raise JqlError(f"JQL: the field {name!r} does not exist (not a JQL field, nor a kept custom field)")

    def text_columns(self) -> list[str]:
        """Kept custom fields holding text, searched by `text ~`."""
        return [f"i.{c.column}" for c in self.catalog.columns if c.type == "VARCHAR" and c.column != "team_name"]
