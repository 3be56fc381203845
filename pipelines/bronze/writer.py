"""The bronze writer: pages in, immutable zstd JSONL parts out, each published atomically.

Layout: <bronze>/<source>/<stream>/YYYY/MM/DD/<run_id>-<part>.jsonl.zst (UTC ingestion date).
Publish = finish the zstd frame, flush + fsync the `.tmp` file, make it the final file (a local
root: the part is staged in `<source>/_staging/`, renamed to its final name + fsync of the folder; an
object store: staged in a local temp folder and uploaded in one PUT or multipart upload, visible whole
or not at all), then append its
row to the manifest (a new segment). A part rotates at a compressed size or a row count, and when
the UTC date changes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

import zstandard

from pipelines.bronze.envelope import encode_lines, line_prefix
from pipelines.bronze.ledger import Manifest
from pipelines.bronze.settings import BronzeSettings
from pipelines.bronze.storage import as_root
from pipelines import signals
from pipelines.errors import DplError, ErrorClass
from pipelines.timeutil import utc_now

SUFFIX = ".jsonl.zst"


class _HashingFile:
    """The sink zstd writes into: counts and hashes compressed bytes on their way to disk."""

    def __init__(self, handle) -> None:
        self.handle = handle
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()


@dataclasses.dataclass
class _Part:
    stream: str
    number: int
    day: str  # YYYY/MM/DD
    final: str  # relative to the bronze root
    tmp: Path
    handle: Any
    sink: _HashingFile
    compressor: Any
    rows: int = 0
    raw_pending: int = 0  # uncompressed bytes not yet flushed out of zstd's buffer
    utf8_errors: int = 0
    min_cursor: Any = None
    max_cursor: Any = None

    def note_cursors(self, cursors: list) -> None:
        values = [c for c in cursors if c is not None]
        if not values:
            return
        low, high = min(values), max(values)
        self.min_cursor = low if self.min_cursor is None else min(self.min_cursor, low)
        self.max_cursor = high if self.max_cursor is None else max(self.max_cursor, high)


class BronzeWriter:
    """Writes one run's pages for one source; `close()` publishes every open part."""

    def __init__(
        self,
        bronze_dir,
        source: str,
        run_id: str,
        settings: BronzeSettings | None = None,
        clock=utc_now,
    ) -> None:
        settings = settings or BronzeSettings()
        self.root = as_root(bronze_dir)
        self.source = source
        self.run_id = run_id
        self.part_max_bytes = settings.part_max_bytes
        self.part_max_rows = settings.part_max_rows
        self.zstd_level = settings.zstd_level
        self.clock = clock
        self.manifest = Manifest(self.root, source, run_id, settings.manifest_segments_max)
        self.parts: dict[str, _Part] = {}
        self.part_numbers: dict[str, int] = {}
        self.published: list[dict] = []
        self.staging = self.root.staging_dir(source)

    def clear_dead_runs(self) -> list[str]:
        """Remove the temp files dead runs of this source left (parts staged, never published; ledger
        temp files). Call it holding the source's lock: no live run can own one. Returns their names."""
        return self.root.clear_staging(self.source)

    def write_page(
        self,
        stream: str,
        records: list[dict],
        ids: list,
        cursors: list,
        parent: Any = None,
        utf8_errors: int = 0,
        parents: list | None = None,
    ) -> int:
        """Append a page of records (with their ids and cursors) to the stream's open part.

        A page larger than the room left in the part is split across parts. A stop (SIGTERM, Ctrl-C) waits
        for the page to be written whole: an open part always holds whole pages and can be published.
        """
        with signals.deferred():
            return self._write_page(stream, records, ids, cursors, parent, utf8_errors, parents)

    def _write_page(self, stream, records, ids, cursors, parent, utf8_errors, parents) -> int:
        written = 0
        while written < len(records):
            now = self.clock()
            part = self._part_for(stream, now)
            end = min(len(records), written + self.part_max_rows - part.rows)
            chunk_parents = parents[written:end] if parents is not None else None
            self._append(part, now, records[written:end], ids[written:end], cursors[written:end], parent, chunk_parents)
            part.utf8_errors += utf8_errors if written == 0 else 0
            written = end
            if part.sink.size + part.raw_pending >= self.part_max_bytes:
                # zstd buffers output: flush a block only when the limit may be near, then measure.
                try:
                    part.compressor.flush(zstandard.FLUSH_BLOCK)
                except OSError as exc:
                    self._drop(part)
                    raise DplError(ErrorClass.STORAGE, f"cannot write {part.tmp}: {exc.strerror or exc}") from None
                part.raw_pending = 0
            if part.sink.size >= self.part_max_bytes or part.rows >= self.part_max_rows:
                self.publish(stream)
        return written

    def _append(
        self, part: _Part, now: dt.datetime, records: list, ids: list, cursors: list, parent: Any, parents: list | None
    ) -> None:
        prefix = line_prefix(self.source, part.stream, now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), self.run_id)
        data, repairs = encode_lines(prefix, records, ids, cursors, parent, parents)
        try:
            part.compressor.write(data)
        except OSError as exc:
            self._drop(part)  # part of the page may be in it: it must never be published
            raise DplError(ErrorClass.STORAGE, f"cannot write {part.tmp}: {exc.strerror or exc}") from None
        part.rows += len(records)
        part.raw_pending += len(data)
        part.utf8_errors += repairs
        part.note_cursors(cursors)

    def publish(self, stream: str) -> dict | None:
        """Publish the stream's open part, if any; return its manifest row. A stop (SIGTERM, Ctrl-C) waits
        for the part to be listed: a published file always has its manifest row."""
        if stream not in self.parts:
            return None
        with signals.deferred():
            return self._publish(self.parts.pop(stream))

    def _publish(self, part: _Part) -> dict:
        stream = part.stream
        try:
            part.compressor.flush(zstandard.FLUSH_FRAME)
            part.handle.flush()
            os.fsync(part.handle.fileno())
            part.handle.close()
            self.root.publish(part.tmp, part.final)
        except OSError as exc:
            self._drop(part)
            where = self.root.uri(part.final)
            raise DplError(ErrorClass.STORAGE, f"cannot publish {where}: {exc.strerror or exc}") from None
        except DplError:
            self._drop(part)
            raise
        row = {
            "path": part.final,
            "source": self.source,
            "stream": stream,
            "run_id": self.run_id,
            "part": part.number,
            "rows": part.rows,
            "bytes": part.sink.size,
            "sha256": part.sink.sha256.hexdigest(),
            "min_cursor": None if part.min_cursor is None else str(part.min_cursor),
            "max_cursor": None if part.max_cursor is None else str(part.max_cursor),
            "utf8_errors": part.utf8_errors,
            "written_at": dt.datetime.now(dt.UTC),
        }
        self.manifest.append(row)
        self.published.append(row)
        return row

    def close(self) -> list[dict]:
        """Publish every open part; return all manifest rows this writer published."""
        for stream in list(self.parts):
            self.publish(stream)
        self.manifest.compact_if_needed()
        return self.published

    def discard(self) -> None:
        """Drop open parts without publishing (their `.tmp` files are removed)."""
        for part in list(self.parts.values()):
            self._drop(part)

    def _drop(self, part: _Part) -> None:
        """Forget a part that will not be published and remove its `.tmp` file (best effort)."""
        if self.parts.get(part.stream) is part:
            del self.parts[part.stream]
        with contextlib.suppress(OSError, ValueError):
            part.handle.close()
        with contextlib.suppress(OSError):
            part.tmp.unlink(missing_ok=True)

    def _part_for(self, stream: str, now: dt.datetime) -> _Part:
        day = now.strftime("%Y/%m/%d")
        part = self.parts.get(stream)
        if part is not None and part.day != day:
            self.publish(stream)
            part = None
        if part is None:
            part = self._open(stream, day)
            self.parts[stream] = part
        return part

    def _open(self, stream: str, day: str) -> _Part:
        number = self.part_numbers.get(stream, 0) + 1
        self.part_numbers[stream] = number
        name = f"{self.run_id}-{number:05d}{SUFFIX}"
        final = f"{self.source}/{stream}/{day}/{name}"
        folder = self.staging / stream / day
        tmp = folder / (name + ".tmp")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle = open(tmp, "wb")  # noqa: SIM115 - closed on publish/discard
        except OSError as exc:
            raise DplError(ErrorClass.STORAGE, f"cannot create {tmp}: {exc.strerror or exc}") from None
        sink = _HashingFile(handle)
        # One compressor per part: a ZstdCompressor serves one stream at a time.
        compressor = zstandard.ZstdCompressor(level=self.zstd_level).stream_writer(sink, closefd=False)
        return _Part(stream, number, day, final, tmp, handle, sink, compressor)
