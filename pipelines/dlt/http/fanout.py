"""Many calls in flight, results in the caller's order: bounded, deterministic concurrency.

`ordered_chain(producers, max_workers)` runs up to `max_workers` producers at once, each in a
daemon thread, and yields their items producer after producer, exactly in the order a serial loop
would (`for produce in producers: yield from produce()`). Each producer runs at most `ahead`
items in front of the caller, so memory stays bounded whatever the number of producers. An error
is raised in the caller's thread at its place in that order, after every item before it; the
producers still running then stop at their next item. The caller's thread stays the only one that
sees the items (it writes bronze); the workers only wait on the network.

Worker threads are daemons, like the prefetch worker: an interrupted run exits at once instead of
waiting for calls in flight or their retries.
"""

from __future__ import annotations

import queue
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

THREAD_NAME = "dpl-fanout"
POLL_S = 0.05  # how often a producer blocked on a full buffer checks whether the caller stopped
_END = object()


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Producer:
    """One producer running in a daemon thread, its items buffered (at most `ahead`) for the caller."""

    def __init__(self, produce: Callable[[], Iterable[T]], ahead: int, stop: threading.Event) -> None:
        self.items: queue.Queue = queue.Queue(maxsize=max(ahead, 1))
        self.stop = stop
        threading.Thread(target=self._run, args=(produce,), name=THREAD_NAME, daemon=True).start()

    def _run(self, produce: Callable[[], Iterable[T]]) -> None:
        iterator = None
        try:
            iterator = iter(produce())
            for item in iterator:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as exc:  # raised again in the caller's thread, at its turn
            self._put(_Failed(exc))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()  # a stopped paginator's own read-ahead ends too

    def _put(self, item) -> bool:
        """Hand `item` to the caller; False when the caller stopped meanwhile."""
        while not self.stop.is_set():
            try:
                self.items.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def drain(self) -> Iterator[T]:
        """The producer's items, in order; its error at the end, if it failed."""
        while True:
            item = self.items.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item


def ordered_chain(producers: Iterable[Callable[[], Iterable[T]]], max_workers: int, ahead: int = 2) -> Iterator[T]:
    """The items of every producer, producer after producer, with up to `max_workers` producing at once.

    `max_workers` 1 (or less) is the plain serial loop, in the caller's thread.
    """
    if max_workers <= 1:
        for produce in producers:
            yield from produce()
        return
    pending = iter(producers)
    running: deque[_Producer] = deque()
    stop = threading.Event()
    try:
        while True:
            while len(running) < max_workers:
                produce = next(pending, None)
                if produce is None:
                    break
                running.append(_Producer(produce, ahead, stop))
            if not running:
                return
            yield from running[0].drain()
            running.popleft()
    finally:
        stop.set()  # producers still running stop at their next item


def read_ahead(produce: Callable[[], Iterable[T]], ahead: int) -> Iterator[T]:
    """The items of `produce()`, which starts at once in a daemon thread and runs up to `ahead` items in
    front of the caller (its error raised in the caller's thread, after every item before it). The
    producer stops at its next item once the returned iterator is gone (a run that failed before
    reading it makes no more calls for it)."""
    stop = threading.Event()
    items = _Producer(produce, ahead, stop).drain()
    weakref.finalize(items, stop.set)
    return items


def ordered_map(function: Callable[[T], R], items: Iterable[T], max_workers: int) -> Iterator[R]:
    """`function(item)` for every item, up to `max_workers` at once, results in the items' order."""
    return ordered_chain(((lambda item=item: (function(item),)) for item in items), max_workers, ahead=1)
