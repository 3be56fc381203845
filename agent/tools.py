"""The agent's tools: a registry of plain functions returning structured data (dicts).

Adding a tool is one function here:

    @tool("what it returns, in one sentence")
    def my_tool(ctx: ToolContext, table: str, limit: int = 10) -> dict:
        with ctx.session() as session:
            return session.query(...).as_dict()

Its typed parameters (after `ctx`) become its input schema in the MCP server and its arguments in
`python -m agent.query`; every call is audited. Results are data, never instructions: values
from the warehouse travel only inside `rows`, and a refusal is an error with one line.
"""

from __future__ import annotations

import dataclasses
import time
import typing
from collections.abc import Callable

import duckdb

from agent import audit
from agent.catalog import quote_ident
from agent.errors import Refused, as_query_error
from agent.policy import AiPolicy
from agent.sandbox import Session, open_session
from pipelines import workbench
from pipelines.errors import DplError

INTERNAL_ROWS, INTERNAL_BYTES = 10_000_000, 1 << 30  # reads a tool makes for itself (names, columns)


@dataclasses.dataclass(frozen=True)
class Tool:
    name: str
    fn: Callable[..., dict]
    description: str


TOOLS: dict[str, Tool] = {}


def tool(description: str):
    """Register a tool function under its own name."""

    def register(fn: Callable[..., dict]) -> Callable[..., dict]:
        TOOLS[fn.__name__] = Tool(fn.__name__, fn, description)
        return fn

    return register


@dataclasses.dataclass(frozen=True)
class ToolContext:
    """What every tool receives: the settings and the policy that bounds it."""

    settings: object
    policy: AiPolicy

    def session(self) -> Session:
        """A fresh sandboxed session under the policy (close it: use `with`)."""
        return open_session(self.settings, self.policy)


def call(ctx: ToolContext, name: str, arguments: dict) -> dict:
    """Run a tool by name and audit the call; failures raise QueryError (one line)."""
    entry = {"tool": name, "sql": arguments.get("sql", arguments or None)}
    started = time.monotonic()
    try:
        if name not in TOOLS:
            raise Refused(f"no tool named {name!r} (tools: {', '.join(sorted(TOOLS))})")
        result = TOOLS[name].fn(ctx, **arguments)
    except (DplError, duckdb.Error) as exc:
        failed = as_query_error(exc)
        entry |= {"outcome": failed.kind, "reason": failed.message}
        raise failed from None
    else:
        entry |= {
            "outcome": "ok",
            "rows": result.get("row_count"),
            "bytes": result.get("bytes"),
            "truncated": result.get("truncated"),
        }
        return result
    finally:
        entry["duration_ms"] = round((time.monotonic() - started) * 1000)
        if ctx.policy.audit:
            audit.record(ctx.settings, entry)


@tool("The tables and views the policy allows, with their descriptions.")
def list_tables(ctx: ToolContext) -> dict:
    with ctx.session() as session:
        tables = [
            {"name": r.name, "schema": r.schema, "kind": r.kind, "description": r.comment, "columns": len(r.columns)}
            for r in session.relations
        ]
    return {"tables": tables, "row_count": len(tables)}


@tool("Columns (name, type, description, masked) and row count of one allowed table.")
def describe_table(ctx: ToolContext, table: str) -> dict:
    with ctx.session() as session:
        relation = find(session, table)
        schema = "main" if relation.kind == "bronze" else relation.schema
        count = session.query(f"select count(*) from {quote_ident(schema)}.{quote_ident(relation.name)}")
        columns = [
            {"name": c.name, "type": c.type, "description": c.comment, "masked": c.masked} for c in relation.columns
        ]
    return {
        "name": relation.name,
        "schema": relation.schema,
        "kind": relation.kind,
        "description": relation.comment,
        "row_count": count.rows[0][0],
        "columns": columns,
    }


@tool("Run one read-only SQL query (DuckDB dialect) on the allowed tables; JSON rows, capped.")
def query(ctx: ToolContext, sql: str) -> dict:
    with ctx.session() as session:
        return session.query(sql).as_dict()


@tool("The saved queries (sql/queries): name, description and typed parameters with their defaults.")
def list_queries(ctx: ToolContext) -> dict:
    queries = [
        {
            "name": q.name,
            "description": q.description,
            "parameters": [{"name": p.name, "type": p.type, "default": p.default, "help": p.help} for p in q.params],
        }
        for q in workbench.list_queries()
    ]
    return {"queries": queries, "row_count": len(queries)}


@tool("Run one saved query by name; `params` maps its parameter names to values (defaults otherwise). JSON rows.")
def run_query(ctx: ToolContext, name: str, params: dict[str, typing.Any] | None = None) -> dict:
    sql, values = workbench.render(name, params)
    with ctx.session() as session:
        return session.query(sql, params=values).as_dict()


@tool("Answer a JQL query (Jira's semantics) from the warehouse, without calling Jira; the matching issues.")
def jql(ctx: ToolContext, query: str, fields: list[str] | None = None) -> dict:
    with ctx.session() as session:
        warehouse = SessionAsConnection(session)
        catalog = workbench.catalog_from_warehouse(warehouse, ctx.settings)
        compiled = workbench.compile_jql(query, ctx.settings, fields=tuple(fields) if fields else None, catalog=catalog)
        workbench.check(warehouse, compiled.lookups)
        return session.query(compiled.sql, params=compiled.params).as_dict()


class SessionAsConnection:
    """A sandboxed session seen as the few DB-API calls the workbench makes to read names and columns.

    Those reads stay inside the tool (only the final query's rows are returned), so they are not capped
    like answers are; they still run in the session, under the policy and its limits.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def execute(self, sql: str, params: dict | None = None) -> _Rows:
        return _Rows(self.session.query(sql, max_rows=INTERNAL_ROWS, max_bytes=INTERNAL_BYTES, params=params).rows)


class _Rows:
    def __init__(self, rows: list) -> None:
        self.rows = rows

    def fetchone(self):
        return tuple(self.rows[0]) if self.rows else None

    def fetchall(self) -> list[tuple]:
        return [tuple(row) for row in self.rows]


def find(session: Session, name: str):
    """The allowed relation called `name` or `schema.name` (any case)."""
    wanted = name.strip().lower()
    for relation in session.relations:
        if wanted in (relation.name.lower(), f"{relation.schema}.{relation.name}".lower()):
            return relation
    raise Refused(f"unknown table {name!r}: list_tables shows the tables the policy allows")
