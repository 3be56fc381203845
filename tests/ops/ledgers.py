"""Hand-made bronze ledgers and RunResults for the ops tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipelines.bronze.ledger import append_run, read_ledger, write_ledger
from pipelines.dlt.pipelines import RunResult
from pipelines.dlt.streams import Gap
from pipelines.errors import DplError, ErrorClass

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


def result(
    source: str,
    started: dt.datetime,
    status: str = "success",
    counts: dict | None = None,
    error: tuple[str, str] | None = None,
    gaps: list[Gap] | None = None,
    seconds: float = 30,
    n: int = 0,
) -> RunResult:
    """A finished RunResult; `error` = (class, message)."""
    run = RunResult(f"{started:%Y%m%dT%H%M%SZ}-{n:06x}", source, "incremental", started)
    run.ended_at = started + dt.timedelta(seconds=seconds)
    run.status = status
    for stream, written in (counts or {}).items():
        run.counts[stream] = {"fetched": written, "written": written, "skipped": 0}
    run.stats.api_calls, run.stats.retries = 12, 1
    run.gaps = gaps or []
    if error:
        run.error = DplError(ErrorClass(error[0]), error[1])
    return run


def add_run(bronze_dir: Path, run: RunResult) -> RunResult:
    """Append the run's audit row to runs.parquet, as the runner does."""
    append_run(bronze_dir, run.source, run.audit_row())
    return run


def add_manifest(bronze_dir: Path, source: str, stream: str, rows: int, nbytes: int, written_at: dt.datetime) -> None:
    """Append one manifest row (no file behind it: the ops code only reads the ledger)."""
    existing = read_ledger(bronze_dir, source, "manifest")
    existing.append(
        {
            "path": f"{source}/{stream}/{written_at:%Y/%m/%d}/R-{len(existing)}.jsonl.zst",
            "source": source,
            "stream": stream,
            "run_id": "R",
            "part": len(existing),
            "rows": rows,
            "bytes": nbytes,
            "sha256": "0" * 64,
            "min_cursor": None,
            "max_cursor": None,
            "utf8_errors": 0,
            "written_at": written_at,
        }
    )
    write_ledger(bronze_dir, source, "manifest", existing)


def add_cursor(bronze_dir: Path, source: str, stream: str, scope: str, value: str, updated_at: dt.datetime) -> None:
    rows = read_ledger(bronze_dir, source, "cursors")
    rows.append(
        {
            "stream": stream,
            "scope": scope,
            "cursor_field": "updated",
            "cursor_value": value,
            "run_id": "R",
            "updated_at": updated_at,
        }
    )
    write_ledger(bronze_dir, source, "cursors", rows)


def runs(bronze_dir: Path, source: str) -> list[dict]:
    return read_ledger(Path(bronze_dir), source, "runs")
