"""Where the warehouse is: `DPL_WAREHOUSE` (and `DPL_WAREHOUSE_DATA`) parsed into a typed target. A leaf.

    warehouse/lakehouse.duckdb                     one DuckDB file (the default): one writer, readers wait
    ducklake:sqlite:warehouse/catalog.sqlite       DuckLake, catalog in SQLite (processes of one machine)
    ducklake:postgres:host=db.example dbname=dpl   DuckLake, catalog in PostgreSQL (a team); libpq conninfo
    ducklake:warehouse/catalog.ducklake            DuckLake, catalog in a DuckDB file (one process at a time)

A DuckLake keeps its table data as Parquet under `DPL_WAREHOUSE_DATA` (a local folder or `s3://...`);
the catalog records that path when the lake is created, so readers need only the catalog. The
PostgreSQL password never appears here: libpq reads `PGPASSWORD` (or `~/.pgpass`), and a conninfo
carrying one is refused. How a target is opened is `pipelines/silver/warehouse.py`'s business.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

from pipelines.errors import ConfigError

PREFIX = "ducklake:"
CATALOGS = ("duckdb", "sqlite", "postgres")
CONNINFO_KEY = re.compile(r"(?:^|\s)([A-Za-z_]+)\s*=")
URI_PASSWORD = re.compile(r"^postgres(?:ql)?://[^/@]*:[^/@]*@|[?&]password=", re.IGNORECASE)


class FileWarehouse(type(Path())):
    """The embedded default: one `.duckdb` file. It is the file's Path (`settings.warehouse.parent` works)."""

    as_of = None  # a file keeps no history

    @property
    def path(self) -> Path:
        """The file, as a plain Path."""
        return Path(self)


@dataclasses.dataclass(frozen=True)
class DuckLakeWarehouse:
    """A DuckLake: a catalog (DuckDB file, SQLite file or PostgreSQL database) and a data path.

    `as_of`: read this snapshot (its id, or the one current at that UTC moment) instead of the last."""

    catalog: str
    location: str  # the catalog file, or the libpq conninfo (never a password)
    data_path: str | None = None  # a folder or s3:// prefix; None: the one the catalog recorded
    as_of: int | dt.datetime | None = None

    @property
    def catalog_file(self) -> Path | None:
        """The catalog's file (DuckDB, SQLite), or None for PostgreSQL."""
        return None if self.catalog == "postgres" else Path(self.location)

    @property
    def attach_name(self) -> str:
        """What follows ATTACH: `ducklake:<catalog>:<location>` (a DuckDB catalog has no infix)."""
        infix = "" if self.catalog == "duckdb" else f"{self.catalog}:"
        return f"{PREFIX}{infix}{self.location}"

    def at(self, as_of: int | dt.datetime | None) -> DuckLakeWarehouse:
        """The same lake, read at snapshot `as_of`."""
        return dataclasses.replace(self, as_of=as_of)

    def __str__(self) -> str:
        where = f" (data {self.data_path})" if self.data_path else ""
        when = f" as of {describe_as_of(self.as_of)}" if self.as_of is not None else ""
        return f"{self.attach_name}{where}{when}"


Warehouse = FileWarehouse | DuckLakeWarehouse


def parse_warehouse(value: str, data: str | None = None) -> Warehouse:
    """`DPL_WAREHOUSE` (+ `DPL_WAREHOUSE_DATA`) as a target; a wrong value is a one-line ConfigError."""
    value = value.strip()
    if not value.startswith(PREFIX):
        if data:
            raise ConfigError(
                "DPL_WAREHOUSE_DATA is set, but DPL_WAREHOUSE is a DuckDB file: the data path is for a DuckLake "
                "(DPL_WAREHOUSE=ducklake:sqlite:<file> or ducklake:postgres:<conninfo>); unset one of them"
            )
        return FileWarehouse(Path(value))
    rest = value.removeprefix(PREFIX)
    head, colon, tail = rest.partition(":")
    catalog, location = (head, tail) if colon and head in CATALOGS else ("duckdb", rest)
    if not location.strip():
        raise ConfigError(
            "DPL_WAREHOUSE=ducklake:...: expected ducklake:postgres:<libpq conninfo>, ducklake:sqlite:<file> "
            "or ducklake:<file>"
        )
    if catalog == "postgres":
        check_conninfo(location)
    else:
        location = str(Path(location).expanduser().absolute())
    return DuckLakeWarehouse(catalog, location.strip(), data_path(data) if data else None)


def check_conninfo(conninfo: str) -> None:
    """Refuse a conninfo carrying a password (it would end up in process lists and logs); never echo it."""
    keys = {key.lower() for key in CONNINFO_KEY.findall(conninfo)}
    if "password" in keys or URI_PASSWORD.search(conninfo):
        raise ConfigError(
            "DPL_WAREHOUSE: the PostgreSQL conninfo holds a password; remove it and set PGPASSWORD "
            "(or ~/.pgpass) instead: the password is read from the environment only"
        )


def data_path(value: str) -> str:
    """A data path as DuckLake wants it: an absolute folder or an s3:// URL, ending with `/`."""
    value = value.strip()
    if "://" in value and not value.startswith("s3://"):
        raise ConfigError(
            f"DPL_WAREHOUSE_DATA={value}: a DuckLake's data path is a folder or s3://bucket/prefix "
            "(S3-compatible stores through AWS_ENDPOINT_URL)"
        )
    if "://" not in value:
        value = str(Path(value).expanduser().absolute())
    return value if value.endswith("/") else value + "/"


def as_warehouse(value) -> Warehouse:
    """A target from a target, a path or a `DPL_WAREHOUSE`-style string (for Settings built in code)."""
    if isinstance(value, FileWarehouse | DuckLakeWarehouse):
        return value
    return parse_warehouse(str(value))


def snapshot_of(target: Warehouse, text: str) -> DuckLakeWarehouse:
    """The DuckLake `target` read at `AS_OF=text`; a DuckDB file keeps no snapshots (ConfigError)."""
    if not isinstance(target, DuckLakeWarehouse):
        raise ConfigError(
            f"AS_OF needs a DuckLake warehouse (DPL_WAREHOUSE=ducklake:...); {target} is a DuckDB file, which keeps "
            "no history"
        )
    return target.at(parse_as_of(text))


def parse_as_of(text: str) -> int | dt.datetime:
    """`AS_OF=`: a snapshot id (`42`) or a moment (`2026-12-01`, `2026-12-01T08:00`, with an offset or UTC)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1) if len(text) > 10 else text)
    except ValueError:
        raise ConfigError(
            f"AS_OF={text!r}: expected a snapshot id (see `make snapshots`) or a time such as 2026-12-01T08:00 "
            "(UTC unless it has an offset)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def describe_as_of(as_of: int | dt.datetime) -> str:
    """`snapshot 42` or `2026-12-01 08:00:00+00:00`."""
    return f"snapshot {as_of}" if isinstance(as_of, int) else as_of.isoformat(sep=" ")
