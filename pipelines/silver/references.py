"""The relations a DuckDB query reads, found in its sqlglot parse tree (dialect "duckdb").

`relations_read(sql)` returns every table reference of the query (FROM and JOIN, in subqueries,
CTE bodies and scalar subqueries too) except
  - CTE names where they are in scope: in the CTEs after their own and in the body of their
    `WITH`, and in their own body only under `WITH RECURSIVE`. So `with users as (select * from
    users)` reads the relation `users`, as DuckDB resolves it;
  - table functions (`unnest`, `range`, `read_json`...): they read no relation of the warehouse.
    `query()` and `query_table()` name relations inside strings, which no parser can follow: a
    query using them is refused rather than given too few dependencies.
Names are lowercased (DuckDB identifiers are case-insensitive, quoted or not). `main.x` is `x`;
any other qualified name is returned dotted, so that it matches no model.

Parsing every model takes ~0.15 s once per process (results are memoised); a build takes seconds.
"""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"
HIDDEN_READS = frozenset({"query", "query_table"})


class QueryParseError(Exception):
    """sqlglot cannot parse the query (or kept part of it as unparsed text)."""


@functools.lru_cache(maxsize=1024)
def relations_read(sql: str) -> frozenset[str]:
    """The relations `sql` (one query) reads; QueryParseError, or ValueError for a query that hides them."""
    try:
        statements = [tree for tree in sqlglot.parse(sql, dialect=DIALECT) if tree is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise QueryParseError(str(exc).splitlines()[0]) from None
    if len(statements) != 1:
        raise ValueError(f"holds {len(statements)} statements; a model is one query")
    return frozenset(_table_references(statements[0]))


def _table_references(tree: exp.Expression) -> set[str]:
    found: set[str] = set()
    stack: list[tuple[exp.Expression, frozenset[str]]] = [(tree, frozenset())]
    while stack:
        node, ctes = stack.pop()
        if isinstance(node, exp.Command):
            raise QueryParseError(f"sqlglot kept {node.sql(dialect=DIALECT)[:60]!r} as unparsed text")
        with_clause = next((arg for arg in node.args.values() if isinstance(arg, exp.With)), None)
        if with_clause is not None:
            ctes = _push_ctes(with_clause, ctes, stack)
        if isinstance(node, exp.Table) and (name := _relation(node, ctes)):
            found.add(name)
        stack.extend((child, ctes) for child in node.iter_expressions() if child is not with_clause)
    return found


def _push_ctes(with_clause: exp.With, ctes: frozenset[str], stack: list) -> frozenset[str]:
    """Queue each CTE body with the CTE names visible in it; the names visible after the WITH."""
    recursive = bool(with_clause.args.get("recursive"))
    for cte in with_clause.expressions:
        name = cte.alias_or_name.lower()
        stack.append((cte.this, ctes | {name} if recursive else ctes))
        ctes = ctes | {name}
    return ctes


def _relation(table: exp.Table, ctes: frozenset[str]) -> str | None:
    """The relation a table reference reads; None for a CTE in scope or a table function."""
    if not isinstance(table.this, exp.Identifier):
        function = table.this
        if isinstance(function, exp.Anonymous) and function.name.lower() in HIDDEN_READS:
            raise ValueError(f"{function.name}() names relations in a string; select from them directly")
        if not isinstance(function, exp.Func):
            raise ValueError(f"cannot tell which relation {table.sql(dialect=DIALECT)!r} reads")
        return None
    name = table.name.lower()
    if table.catalog or (table.db and table.db.lower() != "main"):
        return ".".join(part.lower() for part in (table.catalog, table.db, table.name) if part)
    if not table.db and name in ctes:
        return None
    return name
