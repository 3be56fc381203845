"""show-cursors, show-manifest, show-runs: the ledgers of each source as readable tables."""

from __future__ import annotations

import orjson

from pipelines.bronze.ledger import bronze_sources, read_ledger
from pipelines.cursor_values import describe_cursor
from pipelines.display import table


def _show(settings, args, name: str, columns: list[str], shape=None) -> int:
    sources = [args.source] if args.source else bronze_sources(settings.bronze_dir)
    if not sources:
        print(f"no bronze yet in {settings.bronze_dir}")
    for source in sources:
        rows = read_ledger(settings.bronze_dir, source, name)
        rows = [shape(r) for r in rows] if shape else rows
        shown = rows[-args.limit :] if args.limit else rows
        more = f", last {len(shown)}" if len(shown) < len(rows) else ""
        print(f"== {source}: {name}.parquet ({len(rows)} row{'' if len(rows) == 1 else 's'}{more})")
        print(table(shown, columns))
    return 0


def cursor_row(row: dict) -> dict:
    """A cursors.parquet row with its value as a person reads it (`#3 (built ...)`, `12 branch heads ...`)."""
    return {**row, "cursor_value": describe_cursor(row["cursor_field"], row["cursor_value"])}


def show_cursors(settings, args) -> int:
    """Print cursors.parquet of each source."""
    return _show(
        settings,
        args,
        "cursors",
        ["stream", "scope", "cursor_field", "cursor_value", "run_id", "updated_at"],
        cursor_row,
    )


def show_manifest(settings, args) -> int:
    """Print the manifest of each source (the union of its segments)."""
    return _show(
        settings,
        args,
        "manifest",
        ["path", "rows", "bytes", "min_cursor", "max_cursor", "utf8_errors", "written_at"],
    )


def _run_row(row: dict) -> dict:
    gaps = orjson.loads(row["gaps"] or "[]")
    seconds = (row["ended_at"] - row["started_at"]).total_seconds() if row["ended_at"] else None
    return {
        **row,
        "seconds": seconds,
        "gaps": len(gaps),
        "error": (row["error_class"] or "") + (f": {row['error_message']}" if row["error_message"] else ""),
        "scope": row["scope"] or "",
    }


def show_runs(settings, args) -> int:
    """Print runs.parquet of each source."""
    return _show(
        settings,
        args,
        "runs",
        [
            "run_id",
            "mode",
            "status",
            "started_at",
            "seconds",
            "records_written",
            "files_published",
            "api_calls",
            "retries",
            "rate_limit_waits_s",
            "gaps",
            "scope",
            "error",
            "note",
        ],
        _run_row,
    )
