"""Pacing before the rate limit is hit, and the one gate every call of a source goes through.

A `Pacer` reads the `X-RateLimit-*` headers of the answers and spaces calls out when few are left;
a `CallGate` (one per source and run, shared by every client and worker thread) bounds the calls
in flight to `max_concurrency` and makes every caller honour the same pacing and the same
`Retry-After`: one 429 slows everyone down, not only the worker that received it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Mapping

from pipelines.dlt.http.headers import seconds_until


class Pacer:
    """Spaces calls out once an answer says few calls are left in the rate-limit window (thread-safe).

    `note(headers)` reads every answer; `wait()` goes before every call. When
    `X-RateLimit-Remaining` drops below `slow_down_below` × `X-RateLimit-Limit`, the calls left are
    spread over the time until `X-RateLimit-Reset`, each gap capped at `max_wait_s`. Each caller
    reserves its own slot, one gap after the previous one, so concurrent callers are spaced out
    too instead of all leaving together when a wait ends. `hold(seconds)` stops every caller for
    that long (a `Retry-After`).
    """

    def __init__(self, slow_down_below: float, max_wait_s: float) -> None:
        self.slow_down_below = slow_down_below
        self.max_wait_s = max_wait_s
        self._until = 0.0  # time.monotonic() before which the next call should not go out
        self._gap = 0.0  # seconds between two calls while pacing (0: not pacing)
        self._lock = threading.Lock()

    def note(self, headers: Mapping[str, str]) -> None:
        """Slow the next calls down if these answer headers say the limit is near (and stop when not)."""
        gap = self._gap_for(headers)
        with self._lock:
            self._gap = gap
            if gap:
                self._until = max(self._until, time.monotonic() + gap)

    def _gap_for(self, headers: Mapping[str, str]) -> float:
        try:
            limit = int(headers["X-RateLimit-Limit"])
            remaining = int(headers["X-RateLimit-Remaining"])
        except (KeyError, ValueError):
            return 0.0
        if limit <= 0 or remaining >= limit * self.slow_down_below:
            return 0.0
        reset_in = seconds_until(headers.get("X-RateLimit-Reset"))
        if reset_in is None:
            return 0.0
        return min(reset_in / max(remaining, 1), self.max_wait_s)

    def hold(self, seconds: float) -> None:
        """No call goes out for `seconds` from now (at most `max_wait_s`), whoever makes it."""
        with self._lock:
            self._until = max(self._until, time.monotonic() + min(seconds, self.max_wait_s))

    def wait(self) -> float:
        """Sleep until this caller's slot; the seconds slept (0.0 when not pacing)."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._until)
            if self._gap:
                self._until = slot + self._gap  # the next caller goes one gap later
        delay = slot - now
        if delay <= 0:
            return 0.0
        time.sleep(delay)
        return delay


class CallGate:
    """What every call of one source's run goes through: at most `max_concurrency` in flight, one `Pacer`."""

    def __init__(self, max_concurrency: int, slow_down_below: float, max_wait_s: float) -> None:
        self.max_concurrency = max(int(max_concurrency), 1)
        self.pacer = Pacer(slow_down_below, max_wait_s)
        self._slots = threading.BoundedSemaphore(self.max_concurrency)

    @contextlib.contextmanager
    def call(self) -> Iterator[float]:
        """Hold one of the slots for a call, once its pacing wait is over; yields the seconds waited for pacing."""
        with self._slots:
            yield self.pacer.wait()
