"""Reading the next page while the caller works on the current one."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import TypeVar

PageT = TypeVar("PageT")

THREAD_NAME = "dpl-prefetch"
_END = object()


def prefetched(pages: Iterator[PageT]) -> Iterator[PageT]:
    """The pages in order, each next one fetched by a worker thread while the caller works on this one.

    HTTP latency (and parsing) then overlaps with the caller's processing instead of adding to it.
    Nothing is fetched before the first page is asked for, and one page at most is read ahead, so a
    caller that stops early may have caused one extra call. An error is raised in the caller's thread
    where it happened in the sequence. `page.paginator` is a copy taken when the page arrived: the
    live paginator has moved on to the next page by the time the caller looks.
    """
    ahead = in_background(_next_page, pages)
    while True:
        page = ahead.result()  # re-raises the worker's error here
        if page is _END:
            return
        ahead = in_background(_next_page, pages)  # the next page, while the caller works on this one
        yield page


def in_background(function: Callable, *args) -> Future:
    """Run `function(*args)` in a daemon thread; its result (or exception) arrives in the Future.

    A daemon thread, unlike a ThreadPoolExecutor worker, never holds the process at exit: a run
    that is interrupted while a page is being retried ends at once instead of after the retries.
    """
    future: Future = Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(function(*args))
        except BaseException as exc:  # raised again in the caller's thread by .result()
            future.set_exception(exc)

    threading.Thread(target=run, name=THREAD_NAME, daemon=True).start()
    return future


def _next_page(pages: Iterator[PageT]):
    """The next page with a snapshot of its paginator, or `_END`."""
    page = next(pages, _END)
    if page is not _END:
        page.paginator = copy.copy(page.paginator)
    return page
