"""Pacing before the rate limit is hit, from the `X-RateLimit-*` headers of the answers."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from pipelines.dlt.http.headers import seconds_until


class Pacer:
    """Spaces calls out once an answer says few calls are left in the rate-limit window (thread-safe).

    `note(headers)` reads every answer; `wait()` goes before every call. When
    `X-RateLimit-Remaining` drops below `slow_down_below` × `X-RateLimit-Limit`, the calls left are
    spread over the time until `X-RateLimit-Reset`, each gap capped at `max_wait_s`.
    """

    def __init__(self, slow_down_below: float, max_wait_s: float) -> None:
        self.slow_down_below = slow_down_below
        self.max_wait_s = max_wait_s
        self._until = 0.0  # time.monotonic() before which the next call should not go out
        self._lock = threading.Lock()

    def note(self, headers: Mapping[str, str]) -> None:
        """Slow the next calls down if these answer headers say the limit is near."""
        try:
            limit = int(headers["X-RateLimit-Limit"])
            remaining = int(headers["X-RateLimit-Remaining"])
        except (KeyError, ValueError):
            return
        if limit <= 0 or remaining >= limit * self.slow_down_below:
            return
        reset_in = seconds_until(headers.get("X-RateLimit-Reset"))
        if reset_in is None:
            return
        until = time.monotonic() + min(reset_in / max(remaining, 1), self.max_wait_s)
        with self._lock:
            self._until = until

    def wait(self) -> float:
        """Sleep until the next call may go out; the seconds slept (0.0 when not pacing)."""
        with self._lock:
            delay = self._until - time.monotonic()
        if delay <= 0:
            return 0.0
        time.sleep(delay)
        return delay
