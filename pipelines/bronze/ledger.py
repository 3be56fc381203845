"""The parquet ledgers of a source: manifest (published files), cursors, runs (audit), drift, paths.

The one owner of ledger schemas, names and readers: everything else (silver, reports, operations)
reads ledgers through this module, never by file name. Every byte goes through the source's
`BronzeRoot` (a local folder or an object store), so a reader never sees a half-written ledger.

- The manifest is append-only segments: `<source>/_manifest/<run_id>-<n>.parquet`, one small
  parquet per published part, read as their union (first row of a path wins). Publishing a part
  costs the same whatever the history. `compact_manifest` merges the segments into one (written
  first, then the inputs deleted: a reader in between sees duplicates, which the union drops);
  a run compacts when segments exceed `bronze.manifest_segments_max`. A manifest written by
  earlier versions (`<source>/manifest.parquet`) is read as the first segment and folded in by
  the first compaction.
- Cursors and runs are one file each per source, replaced with a conditional write (the version
  read: S3 `If-Match` on the ETag; locally, checked under the source's flock). A cursor update
  that lost the race is refused (`LOCKED`), never merged over another writer's.
- Only the run holding the source's lock writes ledgers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.bronze.storage import BronzeRoot, Conflict, as_root
from pipelines.errors import DplError, ErrorClass
from pipelines.sources import SOURCE_NAMES

log = logging.getLogger("pipelines.bronze")

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
        ("scope", pa.string()),  # a scoped run's units (PROJECT=, REPO=, JOB=), comma-separated; null: every unit
        ("note", pa.string()),  # what a run that is not a sync did (a cursor reset: which cursors it dropped)
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

# Pending work (pipelines/dlt/pending.py): what a stream owes for records that earlier resources read
# (e.g. the accounts issues reference, for `users`), kept from before their cursors are committed
# until the stream has published it.
PENDING_SCHEMA = pa.schema(
    [
        ("stream", pa.string()),  # the stream that owes the work (users, sprints, ...)
        ("key", pa.string()),  # what it owes (an account id; `*` for a catalog refresh)
        ("run_id", pa.string()),  # the run that noted it first
        ("noted_at", TS),
    ]
)

RESET_MODE = "reset"  # the `mode` of the runs.parquet row a cursor reset leaves (`make reset`)
LEDGERS = ("manifest", "cursors", "runs")  # the contract of DESIGN §2; drift, paths and pending are bookkeeping
SCHEMAS = {
    "manifest": MANIFEST_SCHEMA,
    "cursors": CURSORS_SCHEMA,
    "runs": RUNS_SCHEMA,
    "drift": DRIFT_SCHEMA,
    "paths": PATHS_SCHEMA,
    "pending": PENDING_SCHEMA,
}


MANIFEST_DIR = "_manifest"
LEGACY_MANIFEST = "manifest.parquet"
READ_ATTEMPTS = 3


def ledger_name(source: str, name: str) -> str:
    """`<source>/<name>.parquet`, relative to the bronze root (not the manifest: see `manifest_segments`)."""
    return f"{source}/{name}.parquet"


def read_ledger(bronze_dir, source: str, name: str) -> list[dict]:
    """All rows of one of a source's ledgers (manifest, cursors, runs, drift, paths); [] before the first run."""
    root = as_root(bronze_dir)
    if name == "manifest":
        return read_manifest(root, source)
    return decode_rows(root.read(ledger_name(source, name)), SCHEMAS[name], ledger_name(source, name))


def write_ledger(bronze_dir, source: str, name: str, rows: list[dict]) -> None:
    """Replace one of a source's ledgers with `rows` (the manifest: as one compacted segment)."""
    root = as_root(bronze_dir)
    if name == "manifest":
        _write_compacted(root, source, rows, manifest_segments(root, source))
        return
    _store(root, ledger_name(source, name), rows, SCHEMAS[name])


def export_ledger(bronze_dir, source: str, name: str) -> bytes | None:
    """A ledger as one parquet file's bytes (the manifest's segments as their union); None when absent."""
    root = as_root(bronze_dir)
    if name == "manifest":
        return encode_rows(read_manifest(root, source), MANIFEST_SCHEMA) if manifest_segments(root, source) else None
    return root.read(ledger_name(source, name))


def ledger_uris(bronze_dir, source: str, name: str) -> list[str]:
    """The files holding a ledger, as DuckDB reads them (several for the manifest; [] before it exists)."""
    root = as_root(bronze_dir)
    if name == "manifest":
        return [root.uri(rel) for rel in manifest_segments(root, source)]
    rel = ledger_name(source, name)
    return [root.uri(rel)] if root.exists(rel) else []


def ledger_signature(bronze_dir, source: str, name: str) -> str:
    """Changes whenever the ledger's content may have changed (segment names, or the file's version)."""
    root = as_root(bronze_dir)
    if name == "manifest":
        return "|".join(manifest_segments(root, source)) or "-"
    data = root.read(ledger_name(source, name))
    return "-" if data is None else _digest(data)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


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


def manifest_files(bronze_dir, sources: Iterable[str] = SOURCE_NAMES) -> list[BronzeFile]:
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


def open_file(bronze_dir, path: str) -> BinaryIO:
    """A published bronze file (`path` relative to the bronze root, as the manifest lists it), opened for bytes."""
    return as_root(bronze_dir).open(path)


def bronze_sources(bronze_dir) -> list[str]:
    """Source folders present under a bronze root (registered or not), sorted."""
    root = as_root(bronze_dir)
    try:
        names = root.children("")
    except (OSError, NotADirectoryError):
        return []
    return [name for name in names if not name.startswith((".", "_"))]


def decode_rows(data: bytes | None, schema: pa.Schema, what: str = "ledger") -> list[dict]:
    """Rows of a ledger file's bytes ([] for None: not written yet)."""
    if data is None:
        return []
    try:
        table = pq.ParquetFile(pa.BufferReader(data)).read(use_threads=False)
        return _conform(table, schema).to_pylist()
    except (OSError, pa.ArrowException) as exc:
        raise DplError(
            ErrorClass.STORAGE,
            f"cannot read {what}: {exc}",
            advice="restore the ledger from backup or re-create it with `make verify`",
        ) from None


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table with exactly the schema's columns: missing ones (older files) as nulls, types cast."""
    columns = [
        table.column(field.name).cast(field.type) if field.name in table.column_names else pa.nulls(len(table), field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def encode_rows(rows: list[dict], schema: pa.Schema) -> bytes:
    """A ledger file's bytes (zstd parquet)."""
    sink = pa.BufferOutputStream()  # native: pyarrow's threads never call back into Python file objects
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _store(root: BronzeRoot, rel: str, rows: list[dict], schema: pa.Schema) -> None:
    try:
        root.write(rel, encode_rows(rows, schema))
    except OSError as exc:
        raise DplError(ErrorClass.STORAGE, f"cannot write {root.uri(rel)}: {exc.strerror or exc}") from None


# -- the manifest ---------------------------------------------------------------------------------


def manifest_segments(bronze_dir, source: str) -> list[str]:
    """The manifest's files: a legacy `manifest.parquet` first, then the segments in name order."""
    root = as_root(bronze_dir)
    try:
        listed = root.list_files(f"{source}/{MANIFEST_DIR}")
        legacy = root.exists(f"{source}/{LEGACY_MANIFEST}")
    except NotADirectoryError:
        return []
    except OSError as exc:
        raise DplError(ErrorClass.STORAGE, f"cannot list {root.uri(source)}: {exc.strerror or exc}") from None
    segments = [rel for rel, _ in listed if rel.endswith(".parquet")]
    return [f"{source}/{LEGACY_MANIFEST}"] * legacy + segments


def read_manifest(bronze_dir, source: str) -> list[dict]:
    """The union of the manifest's segments, one row per path (the first seen wins)."""
    root = as_root(bronze_dir)
    for attempt in range(READ_ATTEMPTS):
        try:
            return _union(root, manifest_segments(root, source))
        except FileNotFoundError:  # compacted away between listing and reading: list again
            if attempt == READ_ATTEMPTS - 1:
                raise DplError(ErrorClass.STORAGE, f"{root.uri(source)}: the manifest kept changing while read") from None
    return []


def _union(root: BronzeRoot, segments: list[str]) -> list[dict]:
    rows, seen = [], set()
    for rel in segments:
        data = root.read(rel)
        if data is None:
            raise FileNotFoundError(rel)
        for row in decode_rows(data, MANIFEST_SCHEMA, root.uri(rel)):
            if row["path"] not in seen:
                seen.add(row["path"])
                rows.append(row)
    return rows


def compact_manifest(bronze_dir, source: str) -> tuple[int, int]:
    """Merge every manifest segment (and a legacy manifest.parquet) into one; (segments before, rows).

    Call with the source's lock held. The merged segment is written before the inputs are deleted.
    """
    root = as_root(bronze_dir)
    segments = manifest_segments(root, source)
    if len(segments) <= 1 and not any(s.endswith(f"/{LEGACY_MANIFEST}") for s in segments):
        return len(segments), -1
    rows = _union(root, segments)
    _write_compacted(root, source, rows, segments)
    return len(segments), len(rows)


def _write_compacted(root: BronzeRoot, source: str, rows: list[dict], replaced: list[str]) -> None:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{source}/{MANIFEST_DIR}/0-{stamp}-{secrets.token_hex(3)}.parquet"  # sorts before every run's segments
    _store(root, name, rows, MANIFEST_SCHEMA)
    for rel in replaced:
        root.delete(rel)


class Manifest:
    """The published files of one source; a file not listed here does not exist for readers.

    `append` writes one new segment per published part: the cost does not grow with the history.
    """

    def __init__(self, bronze_dir, source: str, run_id: str = "run", segments_max: int = 64) -> None:
        self.root = as_root(bronze_dir)
        self.source = source
        self.run_id = run_id
        self.segments_max = segments_max
        self.appended = 0

    def append(self, row: dict) -> None:
        """A new segment named by its publication time, so that name order is publication order.

        (Run ids only order runs to the second: two runs of a source can start in the same second.)
        """
        self.appended += 1
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{self.source}/{MANIFEST_DIR}/{stamp}-{self.run_id}-{self.appended:05d}.parquet"
        _store(self.root, name, [row], MANIFEST_SCHEMA)

    def compact_if_needed(self) -> None:
        """Compact when the segments exceed the limit or a legacy manifest.parquet remains (never fails a run)."""
        try:
            segments = manifest_segments(self.root, self.source)
            legacy = any(s.endswith(f"/{LEGACY_MANIFEST}") for s in segments)
            if len(segments) > self.segments_max or legacy:
                before, rows = compact_manifest(self.root, self.source)
                log.info("%s: manifest compacted (%d segments -> 1, %d rows)", self.source, before, rows)
        except (DplError, OSError) as exc:
            log.warning("%s: manifest not compacted (the next run tries again): %s", self.source, exc)


# -- cursors and runs -----------------------------------------------------------------------------


def read_cursors(bronze_dir, source: str) -> dict[tuple[str, str], str]:
    """{(stream, scope): cursor_value} of a source."""
    rows = read_ledger(bronze_dir, source, "cursors")
    return {(row["stream"], row["scope"]): row["cursor_value"] for row in rows}


def upsert_cursors(
    bronze_dir, source: str, run_id: str, updates: dict[tuple[str, str], tuple[str, object]]
) -> int:
    """Upsert {(stream, scope): (cursor_field, value)}; a cursor never moves backwards.

    Call only once the files holding the records behind these values are in the manifest.
    The file is replaced only if nobody changed it since it was read; otherwise LOCKED and
    nothing is written (the other writer's cursors stay, this run's data is re-read next time).
    Returns how many cursors changed.
    """
    if not updates:
        return 0
    root = as_root(bronze_dir)
    rel = ledger_name(source, "cursors")
    data, token = _read_versioned(root, rel)
    rows = {(r["stream"], r["scope"]): r for r in decode_rows(data, CURSORS_SCHEMA, root.uri(rel))}
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
        ordered = sorted(rows.values(), key=lambda r: (r["stream"], r["scope"]))
        try:
            _replace(root, rel, ordered, CURSORS_SCHEMA, token)
        except Conflict:
            raise DplError(
                ErrorClass.LOCKED,
                f"{source}: cursors were changed by another writer while this run worked; its cursors were not "
                "saved (its files are in the manifest and will be read again by the next run)",
                advice="make sure one run per source at a time writes this bronze root (the lock's lease may have expired)",
            ) from None
    return changed


def drop_cursors(bronze_dir, source: str, streams: Iterable[str], scopes: Iterable[str] | None = None) -> list[dict]:
    """Remove the cursors of `streams` (only those of `scopes`, when given); returns the rows removed.

    Call with the source's lock held. Like `upsert_cursors`, the file is replaced only if nobody changed
    it since it was read (LOCKED otherwise, nothing written). Bronze files and the manifest are untouched.
    """
    root = as_root(bronze_dir)
    rel = ledger_name(source, "cursors")
    data, token = _read_versioned(root, rel)
    rows = decode_rows(data, CURSORS_SCHEMA, root.uri(rel))
    streams, scopes = set(streams), None if scopes is None else set(scopes)
    dropped = [r for r in rows if r["stream"] in streams and (scopes is None or r["scope"] in scopes)]
    if dropped:
        kept = [r for r in rows if r not in dropped]
        try:
            _replace(root, rel, kept, CURSORS_SCHEMA, token)
        except Conflict:
            raise DplError(
                ErrorClass.LOCKED, f"{source}: cursors were changed by another writer meanwhile; nothing was reset"
            ) from None
    return dropped


def cursor_after(new: object, old: str | None) -> bool:
    """Is `new` strictly after `old`? Numbers compare as numbers, timestamps as UTC ISO strings."""
    if old is None:
        return True
    try:
        return int(str(new)) > int(old)
    except ValueError:
        return str(new) > old


def read_pending(bronze_dir, source: str) -> dict[str, list[str]]:
    """{stream: [keys, in the order noted]} of the work a source's streams still owe."""
    pending: dict[str, list[str]] = {}
    for row in read_ledger(bronze_dir, source, "pending"):
        pending.setdefault(row["stream"], []).append(row["key"])
    return pending


def update_pending(
    bronze_dir, source: str, run_id: str, added: dict[str, list[str]], resolved: dict[str, set[str]]
) -> None:
    """Add owed work and drop work done, in one conditional replace of pending.parquet.

    Call with the keys `added` before committing the cursors that would hide the records they come
    from, and with the keys `resolved` once the files holding the work done are in the manifest.
    A concurrent writer makes it LOCKED, like cursors: nothing is written, the cursors are not saved.
    """
    if not any(added.values()) and not any(resolved.values()):
        return
    root = as_root(bronze_dir)
    rel = ledger_name(source, "pending")
    data, token = _read_versioned(root, rel)
    rows = {(r["stream"], r["key"]): r for r in decode_rows(data, PENDING_SCHEMA, root.uri(rel))}
    now = dt.datetime.now(dt.UTC)
    for stream, keys in added.items():
        for key in keys:
            rows.setdefault((stream, key), {"stream": stream, "key": key, "run_id": run_id, "noted_at": now})
    for stream, keys in resolved.items():
        for key in keys:
            rows.pop((stream, key), None)
    try:
        _replace(root, rel, list(rows.values()), PENDING_SCHEMA, token)
    except Conflict:
        raise DplError(
            ErrorClass.LOCKED,
            f"{source}: pending work was changed by another writer while this run worked; its cursors were not saved",
            advice="make sure one run per source at a time writes this bronze root (the lock's lease may have expired)",
        ) from None


def append_run(bronze_dir, source: str, row: dict) -> None:
    """Add one audit row to runs.parquet (re-read and retried if another writer replaced it meanwhile)."""
    root = as_root(bronze_dir)
    rel = ledger_name(source, "runs")
    for _ in range(READ_ATTEMPTS):
        data, token = _read_versioned(root, rel)
        rows = decode_rows(data, RUNS_SCHEMA, root.uri(rel))
        rows.append(row)
        try:
            _replace(root, rel, rows, RUNS_SCHEMA, token)
            return
        except Conflict:
            continue
    raise DplError(ErrorClass.LOCKED, f"{source}: runs.parquet kept changing under this run; its audit row was not saved")


def _read_versioned(root: BronzeRoot, rel: str) -> tuple[bytes | None, str | None]:
    try:
        return root.read_versioned(rel)
    except OSError as exc:
        raise DplError(ErrorClass.STORAGE, f"cannot read {root.uri(rel)}: {exc.strerror or exc}") from None


def _replace(root: BronzeRoot, rel: str, rows: list[dict], schema: pa.Schema, token: str | None) -> None:
    try:
        root.replace_if(rel, encode_rows(rows, schema), token)
    except OSError as exc:
        raise DplError(ErrorClass.STORAGE, f"cannot write {root.uri(rel)}: {exc.strerror or exc}") from None
