"""Shared test asserts and readers of bronze."""

from __future__ import annotations

from pathlib import Path

import orjson
import zstandard

from pipelines.bronze.ledger import MANIFEST_SCHEMA, RUNS_SCHEMA, ledger_path, read_rows


def read_lines(path: Path) -> list[dict]:
    """Every envelope line of one bronze file."""
    with open(path, "rb") as handle, zstandard.ZstdDecompressor().stream_reader(handle) as reader:
        return [orjson.loads(line) for line in reader.read().splitlines()]


def manifest(bronze_dir: Path, source: str) -> list[dict]:
    return read_rows(ledger_path(bronze_dir, source, "manifest"), MANIFEST_SCHEMA)


def runs(bronze_dir: Path, source: str) -> list[dict]:
    return read_rows(ledger_path(bronze_dir, source, "runs"), RUNS_SCHEMA)


def bronze_records(bronze_dir: Path, source: str, stream: str) -> list[dict]:
    """Every envelope of a stream, from files listed in the manifest (in manifest order)."""
    lines = []
    for row in manifest(bronze_dir, source):
        if row["stream"] == stream:
            lines.extend(read_lines(Path(bronze_dir) / row["path"]))
    return lines
