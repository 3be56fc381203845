"""The agent tools from a shell, for assistants that run commands (and for scripts).

    python -m agent.query tables                  # allowed tables and their descriptions (JSON)
    python -m agent.query describe TABLE          # columns, types, descriptions, row count
    python -m agent.query sql "select ..."        # rows as JSON, within config/ai_policy.yaml (`sql -` reads stdin)
    python -m agent.query queries                 # the saved queries and their parameters
    python -m agent.query run NAME '{"release": "1.4"}'   # one saved query (parameters as a JSON object)
    python -m agent.query jql 'project = DPL AND statusCategory != Done'   # JQL answered from the warehouse
    python -m agent.query --as-of 42 sql "..."    # the same on an older DuckLake snapshot (an id or a UTC time)

Each command is one call of the tool of the same name (agent/tools.py), in its own sandboxed
session, audited like an MCP call. Prints one JSON document; on failure
`{"error": "refused|timeout|memory|error", "message": "..."}` and exit code 2 (refused) or 1.
"""

from __future__ import annotations

import json
import sys

from agent.errors import QueryError
from agent.tools import ToolContext, call
from pipelines.errors import DplError
from pipelines.secrets import redact
from pipelines.settings import load_settings

# command: (tool, fewest arguments, most arguments)
COMMANDS = {
    "tables": ("list_tables", 0, 0),
    "describe": ("describe_table", 0, 1),
    "sql": ("query", 1, 1),
    "queries": ("list_queries", 0, 0),
    "run": ("run_query", 1, 2),
    "jql": ("jql", 1, 1),
}


def arguments(command: str, args: list[str]) -> tuple[str, dict]:
    """(tool name, its arguments) for a command line."""
    name = COMMANDS[command][0]
    if name == "describe_table" and not args:
        return "list_tables", {}
    if name == "describe_table":
        return name, {"table": args[0]}
    if name == "run_query":
        try:
            params = json.loads(args[1]) if len(args) > 1 else {}
        except ValueError:
            raise QueryError(f"parameters {args[1]!r}: expected a JSON object", kind="refused") from None
        if not isinstance(params, dict):
            raise QueryError(f"parameters {args[1]!r}: expected a JSON object", kind="refused")
        return name, {"name": args[0], "params": params}
    if name == "jql":
        return name, {"query": args[0]}
    if name == "query":
        return name, {"sql": sys.stdin.read() if args[0] == "-" else args[0]}
    return name, {}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    as_of = None
    if args[:1] == ["--as-of"] and len(args) > 1:
        as_of, args = args[1], args[2:]
    if not args or args[0] not in COMMANDS or not COMMANDS[args[0]][1] <= len(args) - 1 <= COMMANDS[args[0]][2]:
        print("\n".join(__doc__.strip().splitlines()[2:9]), file=sys.stderr)
        return 2
    try:
        settings = load_settings().as_of(as_of)
        name, kwargs = arguments(args[0], args[1:])
        result = call(ToolContext(settings, settings.ai_policy), name, kwargs)
    except QueryError as exc:
        print(json.dumps({"error": exc.kind, "message": exc.message}, ensure_ascii=False))
        return 2 if exc.kind == "refused" else 1
    except DplError as exc:
        print(json.dumps({"error": "error", "message": redact(str(exc))}, ensure_ascii=False))
        return exc.exit_code
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
