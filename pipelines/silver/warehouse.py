"""The one place that opens the warehouse: a DuckDB file, or a DuckLake (see `target.py` for the kinds).

- `connect(target, read_only)`: a short-lived connection whose default catalog is the warehouse
  (the build, the report, the notebook API).
- `attach(con, settings, alias, read_only)`: the warehouse attached to a connection of the caller's
  (the sandboxed sessions of agent/, the shell).
- `transaction(con, target, message)`: one build commits as one unit (one DuckLake snapshot, named).

A DuckDB file has one writer: while `make silver` holds it, another open fails with a lock error,
made readable here. A DuckLake keeps its catalog in SQL (DuckDB file, SQLite, PostgreSQL) and its data
as Parquet: a reader sees the last committed snapshot while a build writes, and may read an older one
(`target.as_of`). The extensions come from pinned PyPI packages, loaded by path, never downloaded.
A SQLite catalog is switched to WAL mode when written, so that open readers never block a commit.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.silver.duckdb_io import create_s3_secret, load_extension
from pipelines.silver.target import DuckLakeWarehouse, FileWarehouse, Warehouse, as_warehouse, describe_as_of

LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")
LAKE_ALIAS = "warehouse"  # the catalog name of a DuckLake opened by `connect`
COMMIT_AUTHOR = "dpl"
LAKE_SECRET = "dpl_warehouse_s3"  # the S3 secret of a lake's data path (bronze has its own)
CATALOG_EXTENSIONS = {"duckdb": (), "sqlite": ("sqlite_scanner",), "postgres": ("postgres_scanner",)}
NOT_BUILT = "does not exist yet: run `make silver` first"


@contextlib.contextmanager
def connect(warehouse, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (created when writing), yield the connection, always close it."""
    target = as_warehouse(warehouse)
    if isinstance(target, FileWarehouse):
        con = open_file(target, read_only)
    else:
        con = duckdb.connect()
        try:
            attach_lake(con, target, LAKE_ALIAS, read_only)
            con.execute(f"use {LAKE_ALIAS}")
        except BaseException:
            con.close()
            raise
    try:
        yield con
    finally:
        con.close()


def open_file(target: FileWarehouse, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file (its folder created when writing)."""
    if read_only and not target.path.exists():
        raise DplError(ErrorClass.STORAGE, f"warehouse {target} {NOT_BUILT}")
    if not read_only:
        target.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(str(target.path), read_only=read_only)
    except duckdb.IOException as exc:
        raise lock_error(target, exc) from None


def available(settings) -> bool:
    """Whether the warehouse may exist yet (`make silver` creates it; a PostgreSQL catalog is asked on attach).

    `settings`: settings holding the target, or the target itself."""
    target = as_warehouse(getattr(settings, "warehouse", settings))
    if isinstance(target, FileWarehouse):
        return target.path.exists()
    return target.catalog_file is None or target.catalog_file.exists()


def attach(con: duckdb.DuckDBPyConnection, settings, alias: str, read_only: bool = True) -> None:
    """ATTACH the warehouse to `con` as `alias`: the one place that knows how a warehouse is opened.

    Sessions (the shell, agent/ tools, notebooks) only ever see the alias, never the location.
    """
    target = as_warehouse(settings.warehouse)
    if isinstance(target, DuckLakeWarehouse):
        attach_lake(con, target, alias, read_only)
        return
    if read_only and not target.path.exists():
        raise DplError(ErrorClass.STORAGE, f"warehouse {target} {NOT_BUILT}")
    mode = " (read_only)" if read_only else ""
    try:
        con.execute(f'attach {literal(str(target.path))} as "{alias}"{mode}')
    except duckdb.IOException as exc:
        raise lock_error(target, exc) from None


def attach_lake(con: duckdb.DuckDBPyConnection, target: DuckLakeWarehouse, alias: str, read_only: bool) -> None:
    """Load the DuckLake extensions into `con` and ATTACH the lake (at `target.as_of` when set: read-only)."""
    if target.as_of is not None and not read_only:
        raise ConfigError(f"AS_OF reads an older snapshot, read-only: {target} cannot be written")
    if read_only and target.catalog_file is not None and not target.catalog_file.exists():
        raise DplError(ErrorClass.STORAGE, f"warehouse {target} {NOT_BUILT}")
    for name in ("ducklake", *CATALOG_EXTENSIONS[target.catalog]):
        load_extension(con, name)
    if target.data_path:
        enable_object_storage(con, target.data_path)
    if not read_only and target.catalog_file is not None:
        target.catalog_file.parent.mkdir(parents=True, exist_ok=True)
        if target.catalog == "sqlite":
            use_wal(target.catalog_file)
    options = ["read_only"] if read_only else []
    if target.data_path:
        options.append(f"data_path {literal(target.data_path)}")
    if isinstance(target.as_of, int):
        options.append(f"snapshot_version {target.as_of}")
    elif target.as_of is not None:
        options.append(f"snapshot_time {literal(target.as_of.isoformat(sep=' '))}")
    suffix = f" ({', '.join(options)})" if options else ""
    try:
        con.execute(f'attach {literal(target.attach_name)} as "{alias}"{suffix}')
    except duckdb.Error as exc:
        raise lake_error(target, exc) from None
    allow_data_path(con, alias)


def allow_data_path(con: duckdb.DuckDBPyConnection, alias: str) -> None:
    """Reach the data path the catalog recorded (S3 credentials when on s3://), and let a session that later
    turns file access off (the sandbox) still read the lake's Parquet files there, and nothing else."""
    row = con.execute("select value from ducklake_options(?) where option_name = 'data_path'", [alias]).fetchone()
    if not row or not row[0]:
        return
    enable_object_storage(con, row[0])
    allowed = con.execute("select current_setting('allowed_directories')").fetchone()[0] or []
    if row[0] not in allowed:
        con.execute("set allowed_directories = ?", [[*allowed, row[0]]])


def enable_object_storage(con: duckdb.DuckDBPyConnection, data_path: str) -> None:
    """An s3:// data path: httpfs (from its pinned package) and a temporary S3 secret scoped to the bucket."""
    if not data_path.startswith("s3://"):
        return
    bucket = data_path.removeprefix("s3://").split("/")[0]
    if con.execute("select count(*) from duckdb_secrets() where name = ?", [LAKE_SECRET]).fetchone()[0]:
        return
    load_extension(con, "httpfs")
    create_s3_secret(con, scope=f"s3://{bucket}", name=LAKE_SECRET)


def use_wal(catalog: Path) -> None:
    """Put a SQLite catalog in WAL mode (persistent): readers then never block the writer's commit."""
    # busy: another process reads it (it was set when the lake was created)
    with contextlib.closing(sqlite3.connect(catalog, timeout=5)) as db, contextlib.suppress(sqlite3.OperationalError):
        if db.execute("pragma journal_mode").fetchone()[0] != "wal":
            db.execute("pragma journal_mode = wal")


class Commit:
    """The open transaction of `transaction()`: `message` names its DuckLake snapshot (set it before the end)."""

    def __init__(self, message: str = "") -> None:
        self.message = message


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection, warehouse, message: str = "") -> Iterator[Commit]:
    """Run the body as one transaction: all or nothing (a DuckLake commits it as one snapshot, named)."""
    target = as_warehouse(warehouse)
    commit = Commit(message)
    con.execute("begin transaction")
    try:
        yield commit
        if isinstance(target, DuckLakeWarehouse) and commit.message:
            alias = con.execute("select current_database()").fetchone()[0]
            con.execute("call ducklake_set_commit_message(?, ?, ?)", [alias, COMMIT_AUTHOR, commit.message])
    except BaseException:
        con.execute("rollback")
        raise
    try:
        con.execute("commit")
    except duckdb.Error as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("rollback")
        raise commit_error(target, exc) from None


def commit_error(target: Warehouse, exc: Exception) -> DplError:
    """A failed commit: another writer committed first (DuckLake), or the storage failed."""
    text = " ".join(str(exc).split())
    if isinstance(target, DuckLakeWarehouse) and re.search(r"conflict|database is locked|serializ", text, re.I):
        return DplError(
            ErrorClass.LOCKED,
            f"warehouse {target}: another `make silver` committed while this one ran; nothing of this build was kept",
            advice="run it again: it merges what is still new",
        )
    return DplError(ErrorClass.STORAGE, f"warehouse {target}: the commit failed ({first_line(exc)})")


def lake_error(target: DuckLakeWarehouse, exc: Exception) -> DplError:
    """One line for a DuckLake that cannot be attached (not built, unreachable, no such snapshot, locked)."""
    text = " ".join(str(exc).split())
    if "Could not set lock" in text:
        return lock_error(target, exc)
    if "creating a new DuckLake is explicitly disabled" in text or "unable to open database" in text:
        return DplError(ErrorClass.STORAGE, f"warehouse {target} {NOT_BUILT}")
    if "No snapshot found" in text:
        return ConfigError(f"warehouse {target}: no snapshot at {describe_as_of(target.as_of)} (see `make snapshots`)")
    if target.catalog == "postgres" and ("Unable to connect" in text or "authentication" in text):
        reason = re.sub(r"^.*?Unable to connect to Postgres at \"[^\"]*\": ", "", text)[:200]
        return DplError(
            ErrorClass.STORAGE,
            f"warehouse {target}: the PostgreSQL catalog cannot be reached ({reason})",
            advice="check the conninfo in DPL_WAREHOUSE, that the server runs, and PGPASSWORD",
        )
    return DplError(ErrorClass.STORAGE, f"warehouse {target}: {first_line(exc)}")


def lock_error(warehouse, exc: Exception) -> DplError:
    """One line for "Could not set lock on file"; other IO errors become STORAGE errors."""
    text = str(exc)
    if "Could not set lock" not in text:
        return DplError(ErrorClass.STORAGE, f"warehouse {warehouse}: {first_line(exc)}")
    holder = LOCK_HOLDER.search(text)
    who = f"process {holder.group(1)}" if holder else "another process"
    return DplError(
        ErrorClass.LOCKED,
        f"warehouse {warehouse} is in use by {who} (a `make shell`, a notebook or another `make silver`)",
        advice="close that session or wait for it to finish, then run again (a DuckLake on SQLite or PostgreSQL "
        "lets readers in while a build writes)",
    )


def first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's current catalog is a DuckLake (it holds no comments on view columns)."""
    row = con.execute("select type from duckdb_databases() where database_name = current_database()").fetchone()
    return bool(row) and row[0] == "ducklake"


def table_checksum(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int]:
    """(row count, bit_xor of row hashes): equal for equal contents, whatever the row order."""
    count, digest = con.execute(f"select count(*), coalesce(bit_xor(hash(t)), 0) from {relation} as t").fetchone()
    return int(count), int(digest)


def relations(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{name: 'BASE TABLE' | 'VIEW'} of the warehouse's main schema.

    Read from information_schema.tables: on a DuckLake it answers from the catalog's table list in
    ~0.07 s cold, where duckdb_columns() loaded every table's columns (0.6-0.9 s, most of a no-op
    build) and duckdb_tables() sizes every table (~5 ms a table)."""
    rows = con.execute(
        """select table_name, table_type from information_schema.tables
           where table_catalog = current_database() and table_schema = 'main'"""
    ).fetchall()
    return dict(rows)


def drop_relations(con: duckdb.DuckDBPyConnection, names) -> list[str]:
    """Drop those of `names` that exist in the main schema (table or view); the names dropped."""
    existing = relations(con)
    dropped = sorted(name for name in names if name in existing)
    for name in dropped:
        kind = "table" if existing[name] == "BASE TABLE" else "view"
        con.execute(f'drop {kind} "{name}"')
    return dropped
