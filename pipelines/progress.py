"""Progress of a long run, per stream: a live line on a terminal, periodic log lines otherwise.

Each stream counts its records, pages, API calls and busy time: the calls made and the time spent
since the previous page (of any stream) are the page's. Its rate is records per busy second. Where
the API says how many records a scope holds (`SyncContext.expect`: Jira's approximate count for a
project's search of several pages, a Bitbucket listing's `size`), the line shows `done of ~total`
and an ETA for the scopes counted so far. Every line also goes to the run's log file (pipelines/logs.py),
at the log interval, even when a terminal shows it live; each stream's last line is logged at the end.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import sys
import time
from collections import defaultdict

from pipelines.logs import LIVE

log = logging.getLogger("pipelines.progress")
LIVE_INTERVAL_S = 0.2  # a terminal's live line is redrawn at most this often


@dataclasses.dataclass
class StreamProgress:
    """What one stream did so far."""

    records: int = 0
    pages: int = 0
    calls: int = 0
    busy_s: float = 0.0
    by_scope: dict[str, int] = dataclasses.field(default_factory=lambda: defaultdict(int))

    @property
    def rate(self) -> float:
        return self.records / self.busy_s if self.busy_s > 0 else 0.0


class Progress:
    """Per-stream counts of a run, reported as lines a person reads (content in `line`)."""

    def __init__(
        self,
        source: str,
        stats,
        interval_s: float = 10.0,
        stream=None,
        totals: dict[tuple[str, str], int] | None = None,
        clock=time.monotonic,
    ) -> None:
        self.source = source
        self.stats = stats  # the run's HttpStats: api_calls so far
        self.interval_s = interval_s
        self.out = stream or sys.stderr
        self.tty = self.out.isatty()
        self.totals = totals if totals is not None else {}  # shared with the SyncContext: filled as APIs answer
        self.clock = clock
        self.started = self.last_page = self.last_live = self.last_log = clock()
        self.calls_seen = 0
        self.streams: dict[str, StreamProgress] = {}
        self.reported: set[str] = set()  # streams with pages since the last log lines
        self.current = ""

    def update(self, stream: str, records: int, scope: str = "*", empty: bool = False) -> None:
        """Count a page of `stream` (its records written; `empty`: a page that only moves a cursor) and
        report when it is time."""
        now = self.clock()
        state = self.streams.setdefault(stream, StreamProgress())
        state.records += records
        state.pages += 0 if empty else 1
        state.by_scope[scope] += records
        state.calls += self.stats.api_calls - self.calls_seen
        state.busy_s += now - self.last_page
        self.calls_seen, self.last_page, self.current = self.stats.api_calls, now, stream
        self.reported.add(stream)
        if self.tty and now - self.last_live >= LIVE_INTERVAL_S:
            self.last_live = now
            width = shutil.get_terminal_size().columns - 1  # a wrapped line could not be redrawn in place
            self.out.write("\r\033[K" + self.line(stream)[:width])
            self.out.flush()
        if now - self.last_log >= self.interval_s:
            self.last_log = now
            self._log_lines()

    def line(self, stream: str) -> str:
        """`jira: issues 4,200 of ~10,000 (42%), 42 pages, 43 calls, 850 rec/s, ETA 7s · run 6,100 records, 60 calls`"""
        state = self.streams[stream]
        done = f"{state.records:,}"
        counted = {scope: total for (name, scope), total in self.totals.items() if name == stream}
        eta = ""
        if counted:
            total = sum(counted.values()) + sum(n for scope, n in state.by_scope.items() if scope not in counted)
            done += f" of ~{total:,} ({min(state.records / total, 1.0):.0%})" if total else " of ~0"
            remaining = sum(max(t - state.by_scope.get(scope, 0), 0) for scope, t in counted.items())
            if state.rate > 0:
                eta = f", ETA {_duration(remaining / state.rate)}"
        run_records = sum(s.records for s in self.streams.values())
        return (
            f"{self.source}: {stream} {done} records, {state.pages:,} pages, {state.calls:,} calls, "
            f"{state.rate:,.0f} rec/s{eta} · run {run_records:,} records, {self.stats.api_calls:,} calls, "
            f"{_duration(self.clock() - self.started)}"
        )

    def _log_lines(self) -> None:
        for stream in sorted(self.reported):
            log.info(self.line(stream), extra={LIVE: True})
        self.reported.clear()

    def close(self) -> None:
        """Clear the live line; log each stream's last line (the run's log file keeps them)."""
        if self.tty and self.streams:
            self.out.write("\r\033[K")
            self.out.flush()
        self.reported = set(self.streams)
        self._log_lines()


def _duration(seconds: float) -> str:
    """`7s`, `3m05s`, `2h04m`."""
    seconds = max(round(seconds), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
