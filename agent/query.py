"""A read-only query tool for AI assistants, bounded by config/ai_policy.yaml.

    python -m agent.query describe                 # allowed tables, their columns, types and meanings (JSON)
    python -m agent.query sql "select ..."          # rows as JSON, policy applied

The policy is enforced before and after the query runs: one SELECT statement only; every table
it names must be in `allowed_schemas` and match `allowed_tables` (bronze_* views only with
`allow_bronze`); table functions (read_json, read_parquet, glob, ...) are refused, so files
cannot be read around the policy; columns matching `denied_columns` are dropped; values matching
`redact_patterns` are masked; at most `max_rows` rows are returned. The warehouse is opened
read-only.
"""

from __future__ import annotations

import json
import re
import sys

import duckdb

from agent.policy import AiPolicy
from pipelines.errors import DplError, ErrorClass
from pipelines.secrets import redact
from pipelines.settings import load_settings

MASK = "***"


class PolicyError(DplError):
    def __init__(self, message: str):
        super().__init__(ErrorClass.CONFIG, message, advice="ask within config/ai_policy.yaml or change the policy")


def check_query(con: duckdb.DuckDBPyConnection, sql: str, policy: AiPolicy) -> None:
    """Refuse anything but one SELECT over allowed tables, without table functions."""
    if not policy.enabled:
        raise PolicyError("the agent tools are disabled (ai_policy.yaml: enabled: false)")
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise PolicyError(f"cannot parse the query: {exc}") from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise PolicyError("only a single SELECT statement is allowed")
    tree = json.loads(con.execute("select json_serialize_sql(?)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise PolicyError(f"cannot parse the query: {tree.get('error_message')}")
    tables, ctes, functions = [], set(), []
    _walk(tree, tables, ctes, functions)
    if functions:
        raise PolicyError("table functions (read_json, read_parquet, glob, ...) are not allowed")
    for catalog, schema, table in tables:
        if table in ctes and not schema:
            continue
        if catalog or not table_allowed(schema or "main", table, policy):
            raise PolicyError(
                f"table {'.'.join(p for p in (catalog, schema, table) if p)} is not allowed by ai_policy.yaml"
            )


def _walk(node, tables: list, ctes: set, functions: list) -> None:
    """Collect base-table references, CTE names and table functions from DuckDB's parsed query tree.

    Views are checked by their own name: DuckDB's get_table_names() would expand them.
    """
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "BASE_TABLE":
            tables.append((node.get("catalog_name") or "", node.get("schema_name") or "", node.get("table_name")))
        elif kind == "TABLE_FUNCTION":
            functions.append(node)
        for entry in (node.get("cte_map") or {}).get("map", []):
            ctes.add(entry.get("key"))
        for value in node.values():
            _walk(value, tables, ctes, functions)
    elif isinstance(node, list):
        for value in node:
            _walk(value, tables, ctes, functions)


def table_allowed(schema: str, table: str, policy: AiPolicy) -> bool:
    if schema not in policy.allowed_schemas:
        return False
    if table.startswith("bronze_") and not policy.allow_bronze:
        return False
    return any(re.fullmatch(pattern, table) for pattern in policy.allowed_tables)


def run_query(con: duckdb.DuckDBPyConnection, sql: str, policy: AiPolicy) -> dict:
    """Check, run and filter one query; returns {"columns", "rows", "truncated"}."""
    check_query(con, sql, policy)
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description]
    keep = [i for i, c in enumerate(columns) if not any(re.fullmatch(p, c) for p in policy.denied_columns)]
    limit = policy.max_rows
    fetched = cursor.fetchmany(limit + 1)
    patterns = [re.compile(p) for p in policy.redact_patterns]
    rows = [[mask(row[i], patterns) for i in keep] for row in fetched[:limit]]
    return {"columns": [columns[i] for i in keep], "rows": rows, "truncated": len(fetched) > limit}


def mask(value, patterns: list[re.Pattern]):
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(MASK, value)
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return mask(str(value), patterns)


def describe(con: duckdb.DuckDBPyConnection, policy: AiPolicy) -> dict:
    """Allowed relations: what one row is (their comment) and their non-denied columns with type and meaning."""
    out: dict[str, dict] = {}
    comments = dict(
        con.execute("select table_schema || '.' || table_name, TABLE_COMMENT from information_schema.tables").fetchall()
    )
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type, COLUMN_COMMENT from information_schema.columns "
        "order by table_schema, table_name, ordinal_position"
    ).fetchall()
    for schema, table, column, kind, comment in rows:
        if table_allowed(schema, table, policy) and not any(re.fullmatch(p, column) for p in policy.denied_columns):
            name = f"{schema}.{table}"
            entry = out.setdefault(name, {"description": comments.get(name), "columns": {}})
            entry["columns"][column] = {"type": kind, "description": comment}
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("describe", "sql") or (args[0] == "sql" and len(args) != 2):
        print(__doc__.strip().splitlines()[2:4], file=sys.stderr)
        return 2
    try:
        settings = load_settings()
        if not settings.warehouse.exists():
            raise DplError(ErrorClass.CONFIG, f"no warehouse at {settings.warehouse}", advice="run `make silver` first")
        try:
            con = duckdb.connect(str(settings.warehouse), read_only=True)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            raise DplError(
                ErrorClass.LOCKED,
                f"the warehouse {settings.warehouse} is being written (make silver is running)",
                advice="ask again when it finishes",
            ) from None
        with con:
            result = (
                describe(con, settings.ai_policy)
                if args[0] == "describe"
                else run_query(con, args[1], settings.ai_policy)
            )
    except DplError as exc:
        print(json.dumps({"error": redact(str(exc))}))
        return exc.exit_code
    except duckdb.Error as exc:
        print(json.dumps({"error": redact(f"query failed: {exc}")}))
        return 1
    print(json.dumps(result, default=str, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
