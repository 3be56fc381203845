"""Shared test asserts and readers of bronze."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import orjson
import zstandard

from pipelines.bronze.ledger import read_ledger
from pipelines.cli import main


def read_lines(path: Path) -> list[dict]:
    """Every envelope line of one bronze file."""
    with open(path, "rb") as handle, zstandard.ZstdDecompressor().stream_reader(handle) as reader:
        return [orjson.loads(line) for line in reader.read().splitlines()]


def manifest(bronze_dir: Path, source: str) -> list[dict]:
    return read_ledger(bronze_dir, source, "manifest")


def runs(bronze_dir: Path, source: str) -> list[dict]:
    return read_ledger(bronze_dir, source, "runs")


def bronze_records(bronze_dir: Path, source: str, stream: str) -> list[dict]:
    """Every envelope of a stream, from files listed in the manifest (in manifest order)."""
    lines = []
    for row in manifest(bronze_dir, source):
        if row["stream"] == stream:
            lines.extend(read_lines(Path(bronze_dir) / row["path"]))
    return lines


def commit_cursors(specs: dict, pages: list, before: dict) -> dict:
    """The runner's cursor rule over in-memory pages, for resource tests that skip the runner.

    Per (stream, scope) the last checkpoint, else the max cursor of the records; never backwards.
    """
    from pipelines.bronze.ledger import cursor_after

    pending: dict = {}
    for page in pages:
        key, spec = (page.stream, page.scope), specs[page.stream]
        values = [v for v in map(spec.cursor_of, page.records) if v is not None] if spec.cursor_of else []
        if page.checkpoint is not None:
            pending[key] = page.checkpoint
        elif values and (key not in pending or max(values) > pending[key]):
            pending[key] = max(values)
    after = dict(before)
    for key, value in pending.items():
        if cursor_after(value, after.get(key)):
            after[key] = str(value)
    return after


def run_cli(*args: str) -> tuple[int, str, str]:
    """`python -m pipelines <args>` in this process (its `main`, as the module runs it): code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()
