"""Stopping on a signal: SIGTERM is handled like Ctrl-C.

GitHub Actions cancellation, `systemctl stop` and `timeout` send SIGTERM (Actions sends SIGINT first),
and Python's default for SIGTERM ends the process on the spot: no audit row, temp files left behind.
Inside `stop_on_signals()`, the first SIGINT or SIGTERM raises `Interrupted` in the main thread, so a
run unwinds as on Ctrl-C: its open parts are dropped (temp files removed), its audit row is written
(`failed`, INTERRUPTED), its lock released, and the CLI exits 128 + the signal (130, 143). A signal
that arrives within `GRACE_S` of the first is logged and ignored, so the audit row is not lost to a
second one (Actions sends SIGTERM 7.5 s after SIGINT); a later one raises again (something swallowed
the first); SIGKILL still stops the process at once. Inside `deferred()` (the writer publishing a part
and listing it in the manifest), the stop waits for the end of the block: no file is left published
but unlisted.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator

from pipelines.errors import Interrupted

log = logging.getLogger("pipelines")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
GRACE_S = 30.0  # cleanup (drop parts, audit row, lock) takes seconds; a signal after this raises again
_deferring = 0  # depth of `deferred()` blocks (main thread only)
_pending: list[Interrupted] = []  # a stop that arrived inside one, raised at its end


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise `Interrupted` once (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    stopping: list[tuple[str, float]] = []

    def handler(signum: int, frame) -> None:
        name = signal.Signals(signum).name
        if stopping and time.monotonic() - stopping[-1][1] < GRACE_S:
            log.warning("%s received while stopping on %s: finishing cleanup and the audit row", name, stopping[0][0])
            return
        stopping.append((name, time.monotonic()))
        if _deferring:
            log.info("%s received: stopping once the file being published is listed", name)
            _pending.append(Interrupted(signum, name))
            return
        raise Interrupted(signum, name)

    previous = {number: signal.signal(number, handler) for number in STOP_SIGNALS}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A step that must not be cut in two (publish a part, then list it): a stop arriving inside it is
    raised when it ends. Outside `stop_on_signals()`, or off the main thread, it changes nothing."""
    global _deferring
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending:
            raise _pending.pop()


def interruption(exc: BaseException) -> Interrupted | None:
    """The stop behind `exc`: itself, or one a library wrapped (`raise ... from` it); None otherwise."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return as_interrupted(current)
        seen.add(id(current))
        current = current.__cause__
    return None


def as_interrupted(exc: KeyboardInterrupt) -> Interrupted:
    """The `Interrupted` behind a KeyboardInterrupt (a plain one is Ctrl-C's SIGINT)."""
    return exc if isinstance(exc, Interrupted) else Interrupted(signal.SIGINT, "SIGINT")


def describe(stop: Interrupted) -> str:
    """`terminated by SIGTERM` / `interrupted by SIGINT (Ctrl-C)`."""
    if stop.signum == signal.SIGINT:
        return "interrupted by SIGINT (Ctrl-C)"
    return f"terminated by {stop.name}"
