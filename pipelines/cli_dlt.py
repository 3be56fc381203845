"""dlt commands: `load` (bronze → any dlt destination) and `record` (a sanitized cassette of a site).

Merged into the CLI by `pipelines/cli.py`: `cli_dlt.register(sub)` in `build_parser()` and
`COMMANDS.update(cli_dlt.COMMANDS)`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from pipelines.display import table
from pipelines.dlt.load.mirror import load_bronze
from pipelines.dlt.record import record
from pipelines.settings import Settings
from pipelines.timeutil import utc_now


def register(sub) -> None:
    """Add the `load` and `record` sub-commands to the CLI's subparsers."""
    load = sub.add_parser("load", help="mirror bronze into a dlt destination (incremental: only files not loaded yet)")
    load.add_argument("--destination", required=True, help="a dlt destination: duckdb, postgres, bigquery, ...")
    load.add_argument("--source", action="append", help="only this source (repeatable; default: every source)")
    load.add_argument("--dataset", help="the destination dataset (default: dataset_name in config/load.yaml)")
    rec = sub.add_parser("record", help="record a sanitized vcrpy cassette of a full sync, for a bug report")
    rec.add_argument("source")
    rec.add_argument("--project", help="jira only: record this project key only")
    rec.add_argument("--out", help="the cassette file (default: cassettes/<source>-<UTC time>.yaml)")


def cmd_load(settings: Settings, args) -> int:
    started = time.monotonic()
    result = load_bronze(settings, args.destination, args.source, args.dataset)
    names = sorted(set(result.tables) | set(result.totals))
    rows = [
        {"table": n, "loaded now": result.tables.get(n, 0), "rows in destination": result.totals.get(n, "-")}
        for n in names
    ]
    print(table(rows, ["table", "loaded now", "rows in destination"], empty="(no tables)"))
    print(
        f"load: {result.records:,} records from {result.files} new files in {result.packages} packages into "
        f"{result.destination} dataset {result.dataset} ({result.already_loaded} files were already loaded) "
        f"in {time.monotonic() - started:.1f}s"
    )
    return 0


def cmd_record(settings: Settings, args) -> int:
    out = Path(args.out or f"cassettes/{args.source}-{utc_now():%Y%m%dT%H%M%SZ}.yaml")
    done = record(settings, args.source, out, args.project)
    print(
        f"record: {done.interactions} interactions written to {done.path}; {done.accounts} account ids and "
        f"{done.emails} e-mail addresses replaced, auth headers and cookies dropped (sync {done.run_status})"
    )
    print("review the file before you share it: names, project keys and texts of your site are still in it")
    if done.error:
        print(f"error: the sync failed, the cassette shows how: {done.error}", file=sys.stderr)
        return 1
    return 0


COMMANDS = {"load": cmd_load, "record": cmd_record}
