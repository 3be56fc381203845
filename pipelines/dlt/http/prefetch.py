"""Reading the next page while the caller works on the current one."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)
    try:
        ahead = executor.submit(_next_page, pages)
        while True:
            page = ahead.result()  # re-raises the worker's error here
            if page is _END:
                return
            ahead = executor.submit(_next_page, pages)  # the next page, while the caller works on this one
            yield page
    finally:
        # A caller that stops early does not wait for a page in flight; the worker ends after it.
        executor.shutdown(wait=False, cancel_futures=True)


def _next_page(pages: Iterator[PageT]):
    """The next page with a snapshot of its paginator, or `_END`."""
    page = next(pages, _END)
    if page is not _END:
        page.paginator = copy.copy(page.paginator)
    return page
