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

RECHECK_S = 0.25  # how often a waiting caller looks again (a hold may have grown, pacing may have ended)


class Pacer:
    """Spaces calls out once an answer says few calls are left in the rate-limit window (thread-safe).

    `note(headers)` reads every answer; `wait()` goes before every call. When
    `X-RateLimit-Remaining` drops below `slow_down_below` × `X-RateLimit-Limit`, the calls left are
    spread over the time until `X-RateLimit-Reset`, each gap capped at `max_wait_s`: each caller
    reserves its own slot, one gap after the previous one, so concurrent callers do not all leave
    together; callers beyond the calls left wait for the reset itself (none left: everyone does),
    never one more gap each. An answer that no longer says the limit is near ends the pacing, and
    callers already waiting go at once. `hold(seconds)` stops every caller for that long (a
    `Retry-After`); waiting callers see a hold that grows while they wait.
    """

    def __init__(self, slow_down_below: float, max_wait_s: float) -> None:
        self.slow_down_below = slow_down_below
        self.max_wait_s = max_wait_s
        self._hold_until = 0.0  # time.monotonic() before which no call goes out (Retry-After, no call left)
        self._next = 0.0  # the next free slot while pacing
        self._gap = 0.0  # seconds between two calls while pacing (0: not pacing)
        self._left = 0  # calls left before the reset while pacing
        self._reset_at = 0.0  # when the window resets, while pacing
        self._news = 0  # bumped when pacing ends: callers waiting on a slot go
        self._lock = threading.Lock()

    def note(self, headers: Mapping[str, str]) -> None:
        """Slow the next calls down if these answer headers say the limit is near (and stop when not)."""
        window = self._window(headers)
        now = time.monotonic()
        with self._lock:
            if window is None:
                if self._gap:
                    self._gap, self._news = 0.0, self._news + 1
                return
            remaining, reset_in = window
            if remaining <= 0:  # none left: nobody calls before the reset
                self._gap = 0.0
                self._hold_until = max(self._hold_until, now + min(reset_in, self.max_wait_s))
                return
            self._gap = min(reset_in / remaining, self.max_wait_s)
            self._left, self._reset_at = remaining, now + min(reset_in, self.max_wait_s)
            self._next = max(self._next, now + self._gap)

    def _window(self, headers: Mapping[str, str]) -> tuple[int, float] | None:
        """(calls remaining, seconds until the reset) when the limit is near, else None."""
        try:
            limit = int(headers["X-RateLimit-Limit"])
            remaining = int(headers["X-RateLimit-Remaining"])
        except (KeyError, ValueError):
            return None
        if limit <= 0 or remaining >= limit * self.slow_down_below:
            return None
        reset_in = seconds_until(headers.get("X-RateLimit-Reset"))
        return None if reset_in is None else (remaining, reset_in)

    def hold(self, seconds: float) -> None:
        """No call goes out for `seconds` from now (at most `max_wait_s`), whoever makes it."""
        with self._lock:
            self._hold_until = max(self._hold_until, time.monotonic() + min(seconds, self.max_wait_s))

    def _reserve(self, now: float) -> float:
        """This caller's slot (under the lock)."""
        if not self._gap:
            return now
        if self._left <= 0:
            return max(now, self._reset_at)
        slot = max(now, self._next)
        self._next, self._left = slot + self._gap, self._left - 1
        return slot

    def wait(self) -> float:
        """Sleep until this caller may call; the seconds it was held back (0.0 when not)."""
        start = time.monotonic()
        with self._lock:
            slot, news = self._reserve(start), self._news
        while True:
            now = time.monotonic()
            with self._lock:
                if self._news != news:  # pacing ended since the slot was taken
                    slot, news = now, self._news
                target = max(slot, self._hold_until)
            if now >= target:
                return max(target - start, 0.0)
            time.sleep(min(target - now, RECHECK_S))


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
