"""The notebook API: the warehouse and bronze as pandas DataFrames, read-only.

    from pipelines import lakehouse

    lakehouse.tables()                                    # what the warehouse holds
    lakehouse.table("jira_issues")                        # a table or view
    lakehouse.sql("select status_name, count(*) as n from jira_issues group by all")
    lakehouse.bronze("jira", "issues", days=7)            # bronze envelopes ingested in the last 7 days
    lakehouse.sql("select count(*) from jira_issues", as_of="2026-12-01")  # a DuckLake's older snapshot

Every call opens its own short read-only connection (`session`), so a notebook never holds the
warehouse while `make silver` wants to write it. `sql` runs one SELECT and nothing else. Bronze is
read from the files listed in the manifests, like silver reads it. Paths and the config come from the
same environment as the CLI (`DPL_WAREHOUSE`, `DPL_BRONZE_DIR`, `.env`), or pass `settings=`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import duckdb
import pandas as pd

from pipelines.bronze.ledger import manifest_files
from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.settings import Settings, load_settings
from pipelines.silver.bronze import read_json_sql
from pipelines.silver.duckdb_io import bronze_connection
from pipelines.silver.warehouse import connect, relations
from pipelines.sources import SOURCE_NAMES
from pipelines.timeutil import parse_iso, utc_now

__all__ = ["bronze", "session", "sql", "table", "tables"]


@contextlib.contextmanager
def session(
    settings: Settings | None = None, warehouse: bool = True, as_of: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The one place this API opens DuckDB: the warehouse read-only (at DuckLake snapshot `as_of`: an id or
    a UTC time), or (for bronze alone) in memory."""
    settings = (settings or load_settings()).as_of(as_of)
    if not warehouse:
        with contextlib.closing(bronze_connection(settings.bronze_dir)) as con:
            yield con
        return
    with connect(settings.warehouse, read_only=True) as con:
        yield con


def tables(settings: Settings | None = None, as_of: str | None = None) -> pd.DataFrame:
    """The warehouse's tables and views: `name`, `kind`."""
    with session(settings, as_of=as_of) as con:
        found = relations(con)
    return pd.DataFrame(sorted(found.items()), columns=["name", "kind"])


def table(
    name: str, limit: int | None = None, settings: Settings | None = None, as_of: str | None = None
) -> pd.DataFrame:
    """A warehouse table or view (all rows, or the first `limit`)."""
    with session(settings, as_of=as_of) as con:
        known = relations(con)
        if name not in known:
            raise ConfigError(f"no table or view {name!r} in the warehouse (see lakehouse.tables())")
        query = f'select * from "{name}"' + (f" limit {int(limit)}" if limit is not None else "")
        return con.execute(query).df()


def sql(query: str, settings: Settings | None = None, as_of: str | None = None) -> pd.DataFrame:
    """The result of one SELECT over the warehouse (anything else is refused)."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise ConfigError(f"cannot parse the query: {str(exc).splitlines()[0]}") from None
    kinds = [s.type for s in statements]
    if kinds != [duckdb.StatementType.SELECT]:
        raise ConfigError(f"lakehouse.sql runs one SELECT; got {', '.join(k.name for k in kinds) or 'nothing'}")
    with session(settings, as_of=as_of) as con:
        try:
            return con.execute(query).df()
        except duckdb.Error as exc:
            raise DplError(ErrorClass.CONFIG, f"query failed: {str(exc).splitlines()[0]}") from None


def bronze(source: str, stream: str, days: float | None = None, settings: Settings | None = None) -> pd.DataFrame:
    """The envelopes of one bronze stream (ingested in the last `days` days, or all): one row per line,
    `payload` and `__parent` as JSON text."""
    settings = settings or load_settings()
    if source not in SOURCE_NAMES:
        raise ConfigError(f"unknown source {source!r}: expected one of {', '.join(SOURCE_NAMES)}")
    streams = settings.source(source).streams
    if stream not in streams and not stream.startswith("_"):
        raise ConfigError(f"unknown {source} stream {stream!r}: expected one of {', '.join(streams)}")
    since = utc_now() - dt.timedelta(days=days) if days is not None else None
    files = [
        f.path
        for f in manifest_files(settings.bronze_dir, [source])
        # A file is published after its last record was ingested: one written before `since` holds none newer.
        if f.stream == stream and (since is None or parse_iso(f.written_at.replace(" ", "T")) >= since)
    ]
    query = f"select * from ({read_json_sql(settings.bronze_dir, files)})"
    if since is not None:
        query += f" where __ingested_at_utc >= '{since.isoformat()}'::timestamptz"
    with session(settings, warehouse=False) as con:
        return con.execute(query + " order by __ingested_at_utc").df()
