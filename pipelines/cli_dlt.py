"""dlt commands: `load` (bronze → any dlt destination) and `record` (a sanitized cassette of a site).

Merged into the CLI by `pipelines/cli.py`: `cli_dlt.register(sub)` in `build_parser()` and
`COMMANDS.update(cli_dlt.COMMANDS)`.
"""

from __future__ import annotations

import time

from pipelines.display import table
from pipelines.dlt.load.mirror import load_bronze
from pipelines.settings import Settings


def register(sub) -> None:
    """Add the `load` sub-command to the CLI's subparsers."""
    load = sub.add_parser("load", help="mirror bronze into a dlt destination (incremental: only files not loaded yet)")
    load.add_argument("--destination", required=True, help="a dlt destination: duckdb, postgres, bigquery, ...")
    load.add_argument("--source", action="append", help="only this source (repeatable; default: every source)")
    load.add_argument("--dataset", help="the destination dataset (default: dataset_name in config/load.yaml)")


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


COMMANDS = {"load": cmd_load}
