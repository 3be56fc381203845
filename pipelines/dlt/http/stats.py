"""Counters of one run's HTTP calls, shared by every client of a source."""

from __future__ import annotations

import dataclasses
import threading


@dataclasses.dataclass
class HttpStats:
    """Counters of one run, shared by all clients of a source (thread-safe)."""

    api_calls: int = 0
    retries: int = 0
    rate_limit_waits_s: float = 0.0
    utf8_errors: int = 0
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: float) -> None:
        """Add each delta to the counter of that name."""
        with self.lock:
            for key, delta in deltas.items():
                setattr(self, key, getattr(self, key) + delta)

    def take_utf8_errors(self) -> int:
        """The invalid UTF-8 sequences repaired since the last call, and reset that counter."""
        with self.lock:
            count, self.utf8_errors = self.utf8_errors, 0
            return count
