"""Progress of a long run: a live line on a terminal, a periodic log line otherwise."""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger("pipelines.progress")


class Progress:
    """Counts records and pages per stream and reports them with API calls and the record rate."""

    def __init__(self, source: str, stats, interval_s: float = 10.0, stream=None) -> None:
        self.source = source
        self.stats = stats
        self.interval_s = interval_s
        self.out = stream or sys.stderr
        self.tty = self.out.isatty()
        self.started = time.monotonic()
        self.last = self.started
        self.records = 0
        self.pages = 0
        self.stream = ""

    def update(self, stream: str, records: int) -> None:
        self.records += records
        self.pages += 1
        self.stream = stream
        now = time.monotonic()
        if now - self.last >= (0.2 if self.tty else self.interval_s):
            self.last = now
            self._report()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return (
            f"{self.source}: {self.stream} — {self.records:,} records, {self.pages:,} pages, "
            f"{self.stats.api_calls:,} API calls, {self.records / elapsed:,.0f} rec/s"
        )

    def _report(self) -> None:
        if self.tty:
            self.out.write("\r\033[K" + self.line())
            self.out.flush()
        else:
            log.info(self.line())

    def close(self) -> None:
        if self.tty and self.pages:
            self.out.write("\r\033[K")
            self.out.flush()
