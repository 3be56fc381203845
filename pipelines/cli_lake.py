"""`snapshots` and `expire-snapshots`: the history of a DuckLake warehouse (`make snapshots`, `make expire-snapshots`).

Reading an older snapshot is an option of the readers: `make shell AS_OF=<id|time>`
(`python -m pipelines shell --as-of`), `python -m agent.query --as-of`, `python -m agent.mcp --as-of`,
`lakehouse.sql(..., as_of=)`.
"""

from __future__ import annotations

import datetime as dt

from pipelines.display import table
from pipelines.silver.snapshots import expire_snapshots, lake_of, list_snapshots


def register(sub) -> None:
    shown = sub.add_parser("snapshots", help="list the DuckLake warehouse's snapshots and what each changed")
    shown.add_argument("--limit", type=int, default=50)
    expire = sub.add_parser(
        "expire-snapshots", help="compact a DuckLake's files, expire snapshots older than DAYS, delete their files"
    )
    expire.add_argument("--days", type=float, required=True, help="days of history to keep (0: only the last)")


def cmd_snapshots(settings, args) -> int:
    snapshots = list_snapshots(settings, max(args.limit, 1))
    rows = [
        {
            "snapshot": s.snapshot_id,
            "at (UTC)": s.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "message": s.message or "-",
            "changed": s.changes,
        }
        for s in snapshots
    ]
    print(table(rows, ["snapshot", "at (UTC)", "message", "changed"], empty="(no snapshots)", max_width=110))
    print(f"{len(rows)} snapshot(s) of {lake_of(settings)}; read one with `make shell AS_OF=<snapshot or time>`")
    return 0


def cmd_expire_snapshots(settings, args) -> int:
    done = expire_snapshots(settings, args.days)
    print(
        f"compacted the files of {done.compacted} table(s); expired {done.snapshots} snapshot(s) older than "
        f"{args.days:g} day(s), deleted {done.files} data file(s) and {done.orphans} orphan file(s); "
        f"{done.kept} snapshot(s) kept"
    )
    return 0


COMMANDS = {"snapshots": cmd_snapshots, "expire-snapshots": cmd_expire_snapshots}
