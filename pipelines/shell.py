"""`make shell`: a SQL prompt on the warehouse (read-only) with bronze_<source>_<stream> views.

Reads statements from the terminal (or a pipe: `echo "select 1" | make shell`), one per line or
ended by `;`, and prints each result as a table. The warehouse is attached read-only, so a shell
can never change silver; while `make silver` holds the write lock, DuckDB refuses readers and the
shell says so instead of failing with a stack trace.
"""

from __future__ import annotations

import sys

import duckdb

from pipelines.display import table
from pipelines.errors import DplError, ErrorClass
from pipelines.silver import shell_init_sql
from pipelines.silver.duckdb_io import enable_bronze

PROMPT = "dpl> "
MAX_ROWS = 200


def open_shell(settings) -> duckdb.DuckDBPyConnection:
    """An in-memory session with the warehouse attached read-only (if it exists) and bronze views."""
    con = duckdb.connect()
    if settings.warehouse.exists():
        try:
            con.execute(f"attach '{settings.warehouse}' as warehouse (read_only)")
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise DplError(
                    ErrorClass.LOCKED,
                    f"the warehouse {settings.warehouse} is being written (make silver is running)",
                    advice="try again when it finishes",
                ) from None
            raise
        con.execute("use warehouse")
    enable_bronze(con, settings.bronze_dir)
    con.execute(shell_init_sql(settings))
    return con


def run_shell(settings, stdin=None, stdout=None) -> int:
    """Read-eval-print until EOF; errors in a statement are printed, not fatal."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    con = open_shell(settings)
    interactive = stdin.isatty()
    if interactive:
        stdout.write("DuckDB shell on the warehouse (read-only) and bronze views; `.tables` lists them, Ctrl-D quits\n")
    buffer = ""
    while True:
        if interactive:
            stdout.write(PROMPT if not buffer else "...> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        buffer += line
        if not buffer.strip():
            buffer = ""
            continue
        if buffer.strip() == ".tables":
            buffer = "select table_name as name, table_type as kind from information_schema.tables order by 1"
        elif interactive and not buffer.rstrip().endswith(";"):
            continue
        stdout.write(execute(con, buffer) + "\n")
        buffer = ""
    if buffer.strip():
        stdout.write(execute(con, buffer) + "\n")
    return 0


def execute(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """Run one statement; the result as a table, or the error as one line."""
    try:
        cursor = con.execute(sql)
    except duckdb.Error as exc:
        return f"error: {str(exc).splitlines()[0]}"
    if cursor.description is None:
        return "ok"
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchmany(MAX_ROWS + 1)
    text = table([dict(zip(columns, row, strict=True)) for row in rows[:MAX_ROWS]], columns, empty="(no rows)")
    return text + (f"\n(first {MAX_ROWS} rows shown)" if len(rows) > MAX_ROWS else "")
