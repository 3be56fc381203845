"""A reader process for tests/silver/test_lake_readers.py: reads the warehouse in a loop until a stop file exists.

    python -m tests.silver.lake_reader STOP_FILE

Each round reads the same fingerprint three ways, each one statement (one snapshot) over two tables:
the shell's sandbox (agent/sandbox.py, as `make shell` and the agent tools), the notebook API
(`lakehouse.sql`, as `make report` reads through `connect`), and a plain DuckDB client that ATTACHes
the lake itself. Prints one JSON line per read: {"via", "fingerprint"} or {"via", "error"}.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import duckdb

from agent.sandbox import open_session
from pipelines import lakehouse
from pipelines.settings import load_settings
from pipelines.silver.duckdb_io import load_extension

FINGERPRINT = (
    "select (select count(*) from stg_jira__issues) as issues, "
    "(select coalesce(bit_xor(hash(issue_id, updated_at, summary)), 0)::varchar from stg_jira__issues) as issue_hash, "
    "(select count(*) from jira_comments) as comments"
)


def plain_client(settings) -> list:
    """What an analyst's DuckDB does: INSTALL/LOAD ducklake (here: by path), ATTACH read-only, query."""
    con = duckdb.connect()
    try:
        for name in ("ducklake", "sqlite_scanner", "postgres_scanner"):
            load_extension(con, name)
        con.execute(f"attach '{settings.warehouse.attach_name}' as lake (read_only)")
        return list(con.execute(FINGERPRINT.replace(" from ", " from lake.")).fetchone())
    finally:
        con.close()


def sandbox_read(settings) -> list:
    """The shell's (and the agent tools') session: the locked sandbox with the warehouse attached."""
    with open_session(settings) as session:
        return list(session.query(FINGERPRINT).rows[0])


def main() -> int:
    stop = Path(sys.argv[1])
    settings = load_settings()
    readers = {
        "shell": lambda: sandbox_read(settings),
        "lakehouse": lambda: lakehouse.sql(FINGERPRINT, settings=settings).iloc[0].tolist(),
        "client": lambda: plain_client(settings),
    }
    while not stop.exists():
        for via, read in readers.items():
            try:
                line = {"via": via, "fingerprint": [str(v) for v in read()], "at": time.time()}
            except Exception as exc:
                line = {"via": via, "error": f"{type(exc).__name__}: {exc}", "at": time.time()}
            print(json.dumps(line), flush=True)
    os.close(1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
