"""Small operations helpers for the scheduled workflow: the Berlin schedule gate, ledger artifacts."""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from pathlib import Path

from pipelines.bronze.ledger import bronze_sources, export_ledger

LEDGERS = ("manifest", "cursors", "runs", "drift", "paths", "pending")


def schedule_due(cron: str | None, now: dt.datetime, local_hour: int = 2, tz: str = "Europe/Berlin") -> bool:
    """Should a run fired by UTC `cron` go ahead? True when `cron`'s UTC hour is `local_hour` in `tz` today.

    GitHub cron is UTC-only: two crons (one per UTC offset of `tz`) fire daily and only the one
    matching the day's offset passes. The offset is taken at noon UTC of the firing day, so a job
    that starts late, or fires on the night the clocks change, still runs exactly once that day.
    A run not fired by a schedule (push, manual) always passes.
    """
    if not cron:
        return True
    fields = cron.split()
    if len(fields) != 5 or not fields[1].isdigit():
        return True
    noon = dt.datetime.combine(now.astimezone(dt.UTC).date(), dt.time(12), dt.UTC)
    offset = noon.astimezone(zoneinfo.ZoneInfo(tz)).utcoffset() or dt.timedelta(0)
    return (int(fields[1]) + int(offset.total_seconds() // 3600)) % 24 == local_hour


def write_gate(cron: str | None, now: dt.datetime | None = None) -> bool:
    """Evaluate the gate and publish `run=true|false` as a GitHub Actions step output (or print it)."""
    due = schedule_due(cron, now or dt.datetime.now(dt.UTC))
    line = f"run={'true' if due else 'false'}"
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    print(line if due else f"{line} (fired by cron {cron!r}, which is not 02:00 in Europe/Berlin today)")
    return due


def collect_ledgers(bronze_dir, out: Path) -> list[Path]:
    """Copy every source's manifest/cursors/runs parquet to out/<source>/ (for CI artifacts; any bronze root)."""
    copied = []
    for source in bronze_sources(bronze_dir):
        for name in LEDGERS:
            data = export_ledger(bronze_dir, source, name)
            if data is not None:
                target = Path(out) / source / f"{name}.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                copied.append(target)
    return copied
