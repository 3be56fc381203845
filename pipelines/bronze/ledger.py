"""The parquet ledgers of a source: manifest (published files), cursors, runs (audit).

The one owner of ledger schemas, paths and readers: everything else (silver, reports, operations)
reads ledgers through this module, never by file name. Each ledger is rewritten whole and
atomically (tmp file, fsync, rename, fsync of the folder), so a reader never sees a half-written
ledger. Only the run holding the source's lock writes them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.errors import DplError, ErrorClass
from pipelines.sources import SOURCE_NAMES

TS = pa.timestamp("us", tz="UTC")

MANIFEST_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("source", pa.string()),
        ("stream", pa.string()),
        ("run_id", pa.string()),
        ("part", pa.int32()),
        ("rows", pa.int64()),
        ("bytes", pa.int64()),
        ("sha256", pa.string()),
        ("min_cursor", pa.string()),
        ("max_cursor", pa.string()),
        ("utf8_errors", pa.int64()),
        ("written_at", TS),
    ]
)

CURSORS_SCHEMA = pa.schema(
    [
        ("stream", pa.string()),
        ("scope", pa.string()),
        ("cursor_field", pa.string()),
        ("cursor_value", pa.string()),
        ("run_id", pa.string()),
        ("updated_at", TS),
    ]
)

RUNS_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("source", pa.string()),
        ("mode", pa.string()),
        ("started_at", TS),
        ("ended_at", TS),
        ("status", pa.string()),
        ("streams", pa.string()),  # JSON: {stream: {"fetched": n, "written": n, "skipped": n}}
        ("records_written", pa.int64()),
        ("files_published", pa.int64()),
        ("api_calls", pa.int64()),
        ("retries", pa.int64()),
        ("rate_limit_waits_s", pa.float64()),
        ("error_class", pa.string()),
        ("error_message", pa.string()),
        ("gaps", pa.string()),  # JSON list of {stream, scope, error_class, message}
    ]
)


# Schema drift (pipelines/drift.py): events, and the known JSON paths per stream.
DRIFT_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("stream", pa.string()),
        ("change", pa.string()),  # baseline | new | vanished
        ("path", pa.string()),
        ("share", pa.float64()),  # share of sampled records holding the path (last run that saw it, for vanished)
        ("sampled", pa.int64()),  # records walked in this run for this stream
        ("detected_at", TS),
    ]
)

PATHS_SCHEMA = pa.schema(
    [
        ("stream", pa.string()),
        ("path", pa.string()),
        ("first_run_id", pa.string()),
        ("last_run_id", pa.string()),  # last run whose sample held it
        ("last_seen_at", TS),
        ("share", pa.float64()),  # share of that run's sampled records holding it
    ]
)

LEDGERS = ("manifest", "cursors", "runs")  # the contract of DESIGN §2; drift and paths are bookkeeping
SCHEMAS = {
    "manifest": MANIFEST_SCHEMA,
    "cursors": CURSORS_SCHEMA,
    "runs": RUNS_SCHEMA,
    "drift": DRIFT_SCHEMA,
    "paths": PATHS_SCHEMA,
}


def ledger_path(bronze_dir: Path, source: str, name: str) -> Path:
    """`<bronze_dir>/<source>/<name>.parquet`."""
    return Path(bronze_dir) / source / f"{name}.parquet"


def read_ledger(bronze_dir: Path, source: str, name: str) -> list[dict]:
    """All rows of one of a source's ledgers (manifest, cursors, runs, drift, paths); [] before the first run."""
    return read_rows(ledger_path(bronze_dir, source, name), SCHEMAS[name])


def write_ledger(bronze_dir: Path, source: str, name: str, rows: list[dict]) -> None:
    """Replace one of a source's ledgers with `rows`, atomically."""
    write_rows(ledger_path(bronze_dir, source, name), rows, SCHEMAS[name])


@dataclasses.dataclass(frozen=True)
class BronzeFile:
    """One published bronze file, as its manifest row describes it."""

    path: str  # relative to the bronze root
    source: str
    stream: str
    run_id: str
    rows: int
    bytes: int
    sha256: str
    written_at: str


def manifest_files(bronze_dir: Path, sources: Iterable[str] = SOURCE_NAMES) -> list[BronzeFile]:
    """Every file listed in the sources' manifests, in manifest order (sources in registry order)."""
    return [
        BronzeFile(
            path=str(row["path"]),
            source=str(row["source"] or source),
            stream=str(row["stream"]),
            run_id=str(row["run_id"]),
            rows=int(row["rows"] or 0),
            bytes=int(row["bytes"] or 0),
            sha256=str(row["sha256"] or ""),
            written_at=str(row["written_at"] or ""),
        )
        for source in sources
        for row in read_ledger(bronze_dir, source, "manifest")
    ]


def open_file(bronze_dir: Path, path: str) -> BinaryIO:
    """A published bronze file (`path` relative to the bronze root, as the manifest lists it), opened for bytes."""
    return open(Path(bronze_dir) / path, "rb")  # noqa: SIM115 - the caller closes it


def bronze_sources(bronze_dir: Path) -> list[str]:
    """Source folders present under a bronze root (registered or not), sorted."""
    root = Path(bronze_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def read_rows(path: Path, schema: pa.Schema) -> list[dict]:
    """All rows of a ledger as dicts ([] when it does not exist yet)."""
    if not path.exists():
        return []
    try:
        return pq.read_table(path, schema=schema).to_pylist()
    except (OSError, pa.ArrowException) as exc:
        raise DplError(
            ErrorClass.STORAGE,
            f"cannot read {path}: {exc}",
            advice="restore the ledger from backup or re-create it with `make verify`",
        ) from None


def write_rows(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    """Replace a ledger atomically with `rows`."""
    table = pa.Table.from_pylist(rows, schema=schema)
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        raise DplError(ErrorClass.STORAGE, f"cannot write {path}: {exc.strerror or exc}") from None


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Manifest:
    """The published files of one source; a file not listed here does not exist for readers."""

    def __init__(self, bronze_dir: Path, source: str) -> None:
        self.path = ledger_path(bronze_dir, source, "manifest")
        self.rows = read_rows(self.path, MANIFEST_SCHEMA)

    def append(self, row: dict) -> None:
        self.rows.append(row)
        write_rows(self.path, self.rows, MANIFEST_SCHEMA)


def read_cursors(bronze_dir: Path, source: str) -> dict[tuple[str, str], str]:
    """{(stream, scope): cursor_value} of a source."""
    rows = read_rows(ledger_path(bronze_dir, source, "cursors"), CURSORS_SCHEMA)
    return {(row["stream"], row["scope"]): row["cursor_value"] for row in rows}


def upsert_cursors(
    bronze_dir: Path, source: str, run_id: str, updates: dict[tuple[str, str], tuple[str, object]]
) -> int:
    """Upsert {(stream, scope): (cursor_field, value)}; a cursor never moves backwards.

    Call only once the files holding the records behind these values are in the manifest.
    Returns how many cursors changed.
    """
    if not updates:
        return 0
    path = ledger_path(bronze_dir, source, "cursors")
    rows = {(r["stream"], r["scope"]): r for r in read_rows(path, CURSORS_SCHEMA)}
    now = dt.datetime.now(dt.UTC)
    changed = 0
    for (stream, scope), (field, value) in updates.items():
        if value is None:
            continue
        current = rows.get((stream, scope))
        if current is not None and not cursor_after(value, current["cursor_value"]):
            continue
        rows[(stream, scope)] = {
            "stream": stream,
            "scope": scope,
            "cursor_field": field,
            "cursor_value": str(value),
            "run_id": run_id,
            "updated_at": now,
        }
        changed += 1
    if changed:
        write_rows(path, sorted(rows.values(), key=lambda r: (r["stream"], r["scope"])), CURSORS_SCHEMA)
    return changed


def cursor_after(new: object, old: str | None) -> bool:
    """Is `new` strictly after `old`? Numbers compare as numbers, timestamps as UTC ISO strings."""
    if old is None:
        return True
    try:
        return int(str(new)) > int(old)
    except ValueError:
        return str(new) > old


def append_run(bronze_dir: Path, source: str, row: dict) -> None:
    """Add one audit row to runs.parquet."""
    path = ledger_path(bronze_dir, source, "runs")
    rows = read_rows(path, RUNS_SCHEMA)
    rows.append(row)
    write_rows(path, rows, RUNS_SCHEMA)
