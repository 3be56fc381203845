"""Short-lived connections to the warehouse file, with DuckDB's lock error made readable."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines.errors import DplError, ErrorClass

LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")


@contextlib.contextmanager
def connect(warehouse: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse (created when writing), yield the connection, always close it."""
    if read_only and not warehouse.exists():
        raise DplError(ErrorClass.STORAGE, f"warehouse {warehouse} does not exist yet: run `make silver` first")
    if not read_only:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(warehouse), read_only=read_only)
    except duckdb.IOException as exc:
        raise lock_error(warehouse, exc) from None
    try:
        yield con
    finally:
        con.close()


def available(settings) -> bool:
    """Whether the warehouse exists yet (`make silver` creates it)."""
    return Path(settings.warehouse).exists()


def attach(con: duckdb.DuckDBPyConnection, settings, alias: str, read_only: bool = True) -> None:
    """ATTACH the warehouse to `con` as `alias`: the one place that knows how a warehouse is opened.

    Sessions (the shell, agent/ tools, notebooks) only ever see the alias, never the location.
    """
    warehouse = Path(settings.warehouse)
    if read_only and not warehouse.exists():
        raise DplError(ErrorClass.STORAGE, f"warehouse {warehouse} does not exist yet: run `make silver` first")
    mode = " (read_only)" if read_only else ""
    location = "'" + str(warehouse).replace("'", "''") + "'"
    try:
        con.execute(f'attach {location} as "{alias}"{mode}')
    except duckdb.IOException as exc:
        raise lock_error(warehouse, exc) from None


def lock_error(warehouse: Path, exc: Exception) -> DplError:
    """One line for "Could not set lock on file"; other IO errors become STORAGE errors."""
    text = str(exc)
    if "Could not set lock" not in text:
        return DplError(ErrorClass.STORAGE, f"warehouse {warehouse}: {text.splitlines()[0]}")
    holder = LOCK_HOLDER.search(text)
    who = f"process {holder.group(1)}" if holder else "another process"
    return DplError(
        ErrorClass.LOCKED,
        f"warehouse {warehouse} is in use by {who} (a `make shell`, a notebook or another `make silver`)",
        advice="close that session or wait for it to finish, then run again",
    )


def table_checksum(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int]:
    """(row count, bit_xor of row hashes): equal for equal contents, whatever the row order."""
    count, digest = con.execute(f"select count(*), coalesce(bit_xor(hash(t)), 0) from {relation} as t").fetchone()
    return int(count), int(digest)


def relations(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{name: 'BASE TABLE' | 'VIEW'} of the warehouse's main schema."""
    rows = con.execute(
        "select table_name, table_type from information_schema.tables "
        "where table_schema = 'main' and table_catalog = current_database()"
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
