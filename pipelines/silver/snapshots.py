"""A DuckLake warehouse's history: its snapshots with what each changed, and their expiry.

Every `make silver` commits one snapshot named after the build (`silver incremental build: 3 new
bronze file(s)`); readers may open any snapshot still kept (`AS_OF=<id or time>`). Maintenance uses
DuckLake's own functions: `ducklake_merge_adjacent_files` and `ducklake_rewrite_data_files` (the small
files and delete files each incremental merge adds, compacted), `ducklake_expire_snapshots`
(snapshots older than the cutoff; the last one always stays), `ducklake_cleanup_old_files` (every data
file only expired snapshots used) and `ducklake_delete_orphaned_files` (files no snapshot lists: the
Parquet a killed build had written). An orphan younger than `ORPHAN_MIN_AGE` is never deleted: it may
belong to a build still running.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from pipelines.errors import ConfigError
from pipelines.silver.target import DuckLakeWarehouse
from pipelines.silver.warehouse import connect

ORPHAN_MIN_AGE = dt.timedelta(hours=1)
SHOWN_NAMES = 4
BOOKKEEPING = "_silver_"  # the build's config and state tables
CHANGE_WORDS = {  # DuckLake's change kinds, as a reader would say them
    "schemas_created": "created schema",
    "schemas_dropped": "dropped schema",
    "tables_created": "created",
    "tables_dropped": "dropped",
    "views_created": "created view",
    "views_dropped": "dropped view",
    "tables_altered": "altered",
    "views_altered": "altered view",
    "tables_inserted_into": "inserted into",
    "inlined_insert": "inserted into",
    "tables_deleted_from": "deleted from",
    "inlined_delete": "deleted from",
    "tables_compacted": "compacted",
    "tables_merged": "compacted",
    "merge_adjacent": "compacted",
}


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """One committed snapshot of the lake."""

    snapshot_id: int
    at: dt.datetime
    author: str | None
    message: str | None
    changes: str  # "created 3: a, b, c; inserted into 2: d, e"


@dataclasses.dataclass(frozen=True)
class Expired:
    """What an expiry removed."""

    compacted: int  # tables whose files were merged or rewritten
    snapshots: int
    files: int
    orphans: int
    kept: int


def lake_of(settings) -> DuckLakeWarehouse:
    """The settings' warehouse, which must be a DuckLake (a DuckDB file keeps no snapshots)."""
    target = settings.warehouse
    if not isinstance(target, DuckLakeWarehouse):
        raise ConfigError(
            f"{target} is a DuckDB file, which keeps no snapshots: snapshots and time travel need a DuckLake "
            "(DPL_WAREHOUSE=ducklake:sqlite:<file> or ducklake:postgres:<conninfo>, see README 'Running for a team')"
        )
    return target


def list_snapshots(settings, limit: int = 50) -> list[Snapshot]:
    """The last `limit` snapshots, oldest first, each with what it changed (table ids resolved to names)."""
    with connect(lake_of(settings).at(None), read_only=True) as con:
        con.execute("begin transaction")
        alias = con.execute("select current_database()").fetchone()[0]
        names = table_names(con, alias)
        rows = con.execute(
            "select snapshot_id, snapshot_time, author, commit_message, changes "
            "from ducklake_snapshots(?) order by snapshot_id desc limit ?",
            [alias, limit],
        ).fetchall()
    snapshots = [Snapshot(int(i), at, who, message, describe(changes, names)) for i, at, who, message, changes in rows]
    return snapshots[::-1]


def table_names(con, alias: str) -> dict[str, str]:
    """{table id: name} of every table the catalog remembers (dropped ones included)."""
    rows = con.execute(f'select table_id, table_name from "__ducklake_metadata_{alias}".ducklake_table').fetchall()
    return {str(table_id): name for table_id, name in rows}


def describe(changes: dict | None, names: dict[str, str]) -> str:
    """`inserted into 2: a, b; deleted from 1: b` from DuckLake's change map ({kind: [ids or names]}).

    The build's own bookkeeping tables (`_silver_*`, rewritten by every build) are left out."""
    grouped: dict[str, list[str]] = {}
    bookkeeping = False
    for kind, items in (changes or {}).items():
        word = CHANGE_WORDS.get(kind, kind.replace("_", " "))
        for item in items:
            name = names.get(str(item), str(item)).removeprefix("main.")
            if name.startswith(BOOKKEEPING):
                bookkeeping = True
            elif name not in grouped.setdefault(word, []):
                grouped[word].append(name)
    parts = []
    for word, items in grouped.items():
        if items:
            more = f" +{len(items) - SHOWN_NAMES} more" if len(items) > SHOWN_NAMES else ""
            parts.append(f"{word} {len(items)}: {', '.join(sorted(items)[:SHOWN_NAMES])}{more}")
    return "; ".join(parts) or ("build bookkeeping only" if bookkeeping else "-")


def expire_snapshots(settings, days: float, now: dt.datetime | None = None) -> Expired:
    """Expire snapshots older than `days` days, delete the files only they used and old orphans."""
    if days < 0:
        raise ConfigError(f"DAYS={days:g}: expected zero or more days of history to keep")
    now = now or dt.datetime.now(dt.UTC)
    cutoff = now - dt.timedelta(days=days)
    orphan_cutoff = min(cutoff, now - ORPHAN_MIN_AGE)
    with connect(lake_of(settings).at(None)) as con:
        alias = con.execute("select current_database()").fetchone()[0]
        # fetchall: a maintenance call commits only once its whole result was read
        merged = con.execute("call ducklake_merge_adjacent_files(?)", [alias]).fetchall()
        rewritten = con.execute("call ducklake_rewrite_data_files(?)", [alias]).fetchall()
        snapshots = con.execute("call ducklake_expire_snapshots(?, older_than => ?)", [alias, cutoff]).fetchall()
        files = con.execute("call ducklake_cleanup_old_files(?, cleanup_all => true)", [alias]).fetchall()
        orphans = con.execute("call ducklake_delete_orphaned_files(?, older_than => ?)", [alias, orphan_cutoff])
        orphans = orphans.fetchall()
        kept = con.execute("select count(*) from ducklake_snapshots(?)", [alias]).fetchall()[0][0]
    compacted = len({row[:2] for row in merged + rewritten})
    return Expired(compacted, len(snapshots), len(files), len(orphans), int(kept))
