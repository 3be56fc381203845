"""What a source connection holds (warehouse relations, bronze views) and the SELECT exposing each.

`Relation.restricted(policy, key)` is where the policy becomes SQL: denied columns are left out,
masked columns become a keyed hash and text columns get the redact patterns, all inside the
SELECT the private source connection runs. The sandbox only ever sees that SELECT's output.
"""

from __future__ import annotations

import dataclasses

import duckdb

from agent.policy import AiPolicy

MASK = "***"
TEXT_TYPES = ("VARCHAR", "JSON")


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str | None = None
    expression: str | None = None  # the SQL producing it from the source relation (None: the column itself)
    masked: bool = False


@dataclasses.dataclass(frozen=True)
class Relation:
    """A relation of the source connection: `catalog.schema.name`, its columns and comment."""

    catalog: str
    schema: str  # a warehouse schema, or "bronze" for bronze views
    name: str
    kind: str  # table | view | bronze
    comment: str | None
    columns: tuple[Column, ...]

    def select_sql(self) -> str:
        """The SELECT the source runs to produce this relation for the sandbox."""
        items = []
        for column in self.columns:
            ident = quote_ident(column.name)
            items.append(f"{column.expression} as {ident}" if column.expression else ident)
        source = ".".join(quote_ident(part) for part in (self.catalog, self.source_schema, self.name))
        return f"select {', '.join(items)} from {source}"

    @property
    def source_schema(self) -> str:
        return "main" if self.schema == "bronze" else self.schema

    def restricted(self, policy: AiPolicy, key: str) -> Relation:
        """This relation as the policy lets the agent see it."""
        columns = []
        for column in self.columns:
            if policy.column_denied(self.name, column.name):
                continue
            ident = quote_ident(column.name)
            if policy.column_masked(self.name, column.name):
                digest = f"sha256({quote_literal(key)} || {ident}::varchar)"
                expression = f"case when {ident} is null then null else 'masked:' || left({digest}, 16) end"
                columns.append(dataclasses.replace(column, type="VARCHAR", expression=expression, masked=True))
            elif policy.redact_patterns and column.type.upper() in TEXT_TYPES:
                expression = f"{ident}::varchar"
                for pattern in policy.redact_patterns:
                    expression = f"regexp_replace({expression}, {quote_literal(pattern)}, '{MASK}', 'g')"
                columns.append(dataclasses.replace(column, type="VARCHAR", expression=expression))
            else:
                columns.append(column)
        return dataclasses.replace(self, columns=tuple(columns))


def warehouse_relations(source: duckdb.DuckDBPyConnection, alias: str) -> list[Relation]:
    """Tables and views of the attached warehouse, with their columns and comments."""
    rows = source.execute(
        """select schema_name, table_name, 'table', comment from duckdb_tables() where database_name = $1
           union all
           select schema_name, view_name, 'view', comment from duckdb_views() where database_name = $1 and not internal
           order by 1, 2""",
        [alias],
    ).fetchall()
    columns = columns_of(source, alias)
    return [
        Relation(alias, schema, name, kind, comment or None, columns.get((schema, name), ()))
        for schema, name, kind, comment in rows
    ]


def bronze_relations(source: duckdb.DuckDBPyConnection) -> list[Relation]:
    """The `bronze_*` views of the source's own catalog (see `sandbox.create_bronze_views`)."""
    names = source.execute(
        r"""select view_name from duckdb_views() where database_name = 'memory' and schema_name = 'main'
            and view_name like 'bronze\_%' escape '\' order by 1"""
    ).fetchall()
    columns = columns_of(source, "memory")
    return [
        Relation("memory", "bronze", name, "bronze", bronze_comment(name), columns.get(("main", name), ()))
        for (name,) in names
    ]


def columns_of(source: duckdb.DuckDBPyConnection, catalog: str) -> dict[tuple[str, str], tuple[Column, ...]]:
    """{(schema, relation): columns in order} of one catalog."""
    rows = source.execute(
        """select schema_name, table_name, column_name, data_type, comment from duckdb_columns()
           where database_name = $1 order by schema_name, table_name, column_index""",
        [catalog],
    ).fetchall()
    out: dict[tuple[str, str], list[Column]] = {}
    for schema, table, name, kind, comment in rows:
        out.setdefault((schema, table), []).append(Column(name, kind, comment or None))
    return {key: tuple(value) for key, value in out.items()}


def bronze_comment(name: str) -> str:
    if name.endswith(("_manifest", "_cursors", "_runs")):
        return f"bronze ledger {name.removeprefix('bronze_')} (one row per file, cursor or run)"
    return f"raw bronze records of {name.removeprefix('bronze_')}: envelope columns and payload (the API's JSON)"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
