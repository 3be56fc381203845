"""`make report`: one self-contained HTML page about the syncs (bronze volumes, runs, freshness, drift, anomalies)."""

from __future__ import annotations

from pathlib import Path

from pipelines.report.data import collect
from pipelines.report.render import write_report

DEFAULT_OUT = Path("reports/latest.html")


def build_report(settings, out: Path = DEFAULT_OUT, days: int = 30, env=None) -> Path:
    """Collect everything and write the page to `out`; returns its path."""
    return write_report(collect(settings, days=days, env=env), out)
