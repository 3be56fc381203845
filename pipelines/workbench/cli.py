"""Workbench commands: `jql`, `queries`, `query`.

Merged into the CLI by `pipelines/cli.py`: `workbench_cli.register(sub)` in `build_parser()` and
`COMMANDS.update(workbench_cli.COMMANDS)`.
"""

from __future__ import annotations

import argparse
import os

from pipelines.display import table
from pipelines.silver.warehouse import connect
from pipelines.workbench.output import FORMATS, render
from pipelines.workbench.queries import QueryError, list_queries
from pipelines.workbench.run import run_jql, run_saved


def register(sub) -> None:
    """Add `jql`, `queries` and `query` to the CLI's subparsers."""
    jql = sub.add_parser("jql", help="answer a JQL query from the warehouse (no call to Jira)")
    jql.add_argument("query", help="e.g. 'project = DPL AND statusCategory != Done ORDER BY updated DESC'")
    jql.add_argument("--fields", help="comma-separated output columns (default: workbench.yaml fields)")
    jql.add_argument("--format", choices=FORMATS, default="table")
    jql.add_argument("--limit", type=int, help="rows to print (default: workbench.yaml max_rows)")
    sub.add_parser("queries", help="list the saved queries (sql/queries) and their parameters")
    query = sub.add_parser("query", help="run a saved query: query NAME [--param key=value ...]")
    query.add_argument("name")
    query.add_argument("--param", action="append", default=[], help="a parameter, key=value (repeatable)")
    query.add_argument("--format", choices=FORMATS, default="table")
    query.add_argument("--limit", type=int, help="rows to print (default: workbench.yaml max_rows)")
    query.add_argument("--params-from-env", default="", help=argparse.SUPPRESS)  # `make query`: variable names


def cmd_jql(settings, args) -> int:
    fields = tuple(f.strip() for f in args.fields.split(",") if f.strip()) if args.fields else None
    with connect(settings.warehouse, read_only=True) as con:
        result = run_jql(con, args.query, settings, fields=fields, limit=args.limit)
    print(render(result.columns, result.rows, args.format, result.total))
    return 0


def cmd_queries(settings, args) -> int:
    rows = []
    for query in list_queries():
        params = " ".join(f"{p.name.upper()}={'' if p.default is None else p.default}" for p in query.params)
        rows.append({"name": query.name, "parameters": params, "description": query.description})
    print(table(rows, ["name", "parameters", "description"]).replace("...", "…"))
    print("\nrun one: make query NAME=<name> [PARAMETER=value ...] [FORMAT=csv|json]")
    return 0


def cmd_query(settings, args, env=os.environ) -> int:
    params = {
        name.lower(): env[name] for name in args.params_from_env.split() if name not in MAKE_VARIABLES and name in env
    }
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise QueryError(f"--param {item!r}: expected key=value")
        params[key.strip().lower()] = value
    with connect(settings.warehouse, read_only=True) as con:
        result = run_saved(con, args.name, params, args.limit or settings.workbench.max_rows)
    print(render(result.columns, result.rows, args.format, result.total))
    return 0


MAKE_VARIABLES = {"NAME", "FORMAT", "LIMIT", "FIELDS", "Q", "PYTHON", "VENV"}  # not query parameters
COMMANDS = {"jql": cmd_jql, "queries": cmd_queries, "query": cmd_query}
