"""Hand-made bronze for silver tests: enveloped zstd JSONL files plus manifest and cursors rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from pipelines.bronze.ledger import CURSORS_SCHEMA, MANIFEST_SCHEMA


class Bronze:
    """Writes bronze files the way the bronze writer publishes them (one call, one file)."""

    def __init__(self, root: Path, start: str = "2026-11-20T10:00:00"):
        self.root = Path(root)
        self.clock = dt.datetime.fromisoformat(start).replace(tzinfo=dt.UTC)
        self.runs = itertools.count(1)

    def tick(self, minutes: int = 10) -> dt.datetime:
        self.clock += dt.timedelta(minutes=minutes)
        return self.clock

    def write(
        self,
        source: str,
        stream: str,
        records: list[dict],
        *,
        parents=None,
        run_id: str | None = None,
        ids=None,
        cursors=None,
    ) -> str:
        """Publish one file of `records`; returns its path relative to the bronze root."""
        run_id = run_id or f"run{next(self.runs):04d}"
        moment = self.tick()
        lines = []
        for index, record in enumerate(records):
            ingested = moment + dt.timedelta(microseconds=index)
            lines.append(
                orjson.dumps(
                    {
                        "__source": source,
                        "__stream": stream,
                        "__ingested_at_utc": ingested.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                        "__run_id": run_id,
                        "__id": ids[index] if ids else str(record.get("id", record.get("accountId", index))),
                        "__cursor": cursors[index] if cursors else None,
                        "__parent": parents[index] if isinstance(parents, list) else parents,
                        "payload": record,
                    }
                )
            )
        data = zstandard.ZstdCompressor(level=3).compress(b"\n".join(lines) + b"\n")
        part = len(list((self.root / source / stream).rglob(f"{run_id}-*.jsonl.zst")))
        relative = f"{source}/{stream}/{moment:%Y/%m/%d}/{run_id}-{part:05d}.jsonl.zst"
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        row = {
            "path": relative,
            "source": source,
            "stream": stream,
            "run_id": run_id,
            "part": part,
            "rows": len(records),
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "min_cursor": None,
            "max_cursor": None,
            "utf8_errors": 0,
            "written_at": moment,
        }
        self._append(source, "manifest", MANIFEST_SCHEMA, [row])
        return relative

    def cursor(self, source: str, stream: str, scope: str, value: str, run_id: str) -> None:
        """Upsert one cursors.parquet row."""
        path = self.root / source / "cursors.parquet"
        rows = pq.read_table(path).to_pylist() if path.exists() else []
        rows = [r for r in rows if (r["stream"], r["scope"]) != (stream, scope)]
        rows.append(
            {
                "stream": stream,
                "scope": scope,
                "cursor_field": None,
                "cursor_value": value,
                "run_id": run_id,
                "updated_at": self.clock,
            }
        )
        pq.write_table(pa.Table.from_pylist(rows, CURSORS_SCHEMA), path)

    def _append(self, source: str, kind: str, schema: pa.Schema, rows: list[dict]) -> None:
        path = self.root / source / f"{kind}.parquet"
        existing = pq.read_table(path).to_pylist() if path.exists() else []
        tmp = path.with_suffix(".tmp")
        pq.write_table(pa.Table.from_pylist(existing + rows, schema), tmp)
        tmp.replace(path)
