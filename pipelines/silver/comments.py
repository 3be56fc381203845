"""The data dictionary as DuckDB comments on the warehouse's relations and columns.

After the models are built, every relation a model left in the warehouse gets its table comment
(grain + description) and each column the description the dictionary resolves for it; the Jira
custom-field columns get one saying which fields fill them. `DESCRIBE` in DuckDB does not show
comments: `duckdb_columns()`, `duckdb_tables()`, `duckdb_views()`, the shell's `.describe` and the
agent's `describe` do.

A `create or replace` drops a relation's comments, so the views re-created by each build need them
again; a stored table merged in place keeps them. A DuckLake holds a view's comment but none on its
columns: there, view columns go without. Only comments that differ from what the warehouse
holds are written, in one statement batch (measured on a no-op build: see the README).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import duckdb

from pipelines.silver.bronze import quote
from pipelines.silver.dictionary import Dictionary, load_dictionary
from pipelines.silver.models import Model
from pipelines.silver.warehouse import is_lake

log = logging.getLogger("pipelines.silver")
CUSTOM_FIELDS_MODEL = "stg_jira__issue_records"  # where the custom-field columns are born


def apply_comments(
    con: duckdb.DuckDBPyConnection, models: list[Model], custom: Mapping[str, str], dictionary: Dictionary | None = None
) -> int:
    """Write the comments that differ from the warehouse's; the number of statements run.

    `custom`: {column: description} of the configured Jira custom-field columns.
    """
    dictionary = (dictionary or load_dictionary()).with_columns(CUSTOM_FIELDS_MODEL, "silver", custom)
    current_tables, current_columns = read_comments(con)
    resolver = dictionary.column_comments({model.name: model for model in models})
    statements = []
    view_columns = not is_lake(con)  # a DuckLake keeps a view's comment, not its columns' (kept as views: README)
    for model in models:
        kind = "view" if model.materialized == "view" else "table"
        if model.name not in current_tables or model.materialized == "batch":
            continue
        wanted = dictionary.table_comment(model)
        if current_tables[model.name] != wanted:
            statements.append(f"comment on {kind} {ident(model.name)} is {quote(wanted)}")
        if kind == "view" and not view_columns:
            continue
        for column, comment in current_columns.get(model.name, {}).items():
            text = resolver.describe(model.name, column)
            if text and text != comment:
                statements.append(f"comment on column {ident(model.name)}.{ident(column)} is {quote(text)}")
    if statements:
        con.execute(";\n".join(statements))
    log.debug("silver: %d comment(s) written", len(statements))
    return len(statements)


def read_comments(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str | None], dict[str, dict[str, str | None]]]:
    """({relation: comment}, {relation: {column: comment}}) of the main schema of the open database."""
    tables = con.execute(
        """select table_name, comment from duckdb_tables()
           where schema_name = 'main' and database_name = current_database() and not temporary
           union all
           select view_name, comment from duckdb_views()
           where schema_name = 'main' and database_name = current_database() and not temporary and not internal"""
    ).fetchall()
    columns: dict[str, dict[str, str | None]] = {}
    for table, column, comment in con.execute(
        """select table_name, column_name, comment from duckdb_columns()
           where schema_name = 'main' and database_name = current_database() and not internal
           order by table_name, column_index"""
    ).fetchall():
        columns.setdefault(table, {})[column] = comment
    return dict(tables), columns


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def relation_columns(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> dict[str, list[str]]:
    """{relation: [column, ...]} in column order, for the given relations that exist."""
    wanted = set(names)
    return {name: list(columns) for name, columns in read_comments(con)[1].items() if name in wanted}
