"""Reading the next page while the caller works on the current one."""

from __future__ import annotations

import copy
import queue
import threading

THREAD_NAME = "dpl-prefetch"
_END = object()


def prefetched(pages):
    """The pages in order, each next one fetched in a background thread while the caller works on this one.

    HTTP latency (and parsing) then overlaps with the caller's processing instead of adding to it. One
    page at most is read ahead, so a caller that stops early may have caused one extra call. An error
    is raised to the caller where it happened in the sequence. `page.paginator` is a copy taken when
    the page arrived: the live paginator has moved on to the next page by the time the caller looks.
    """
    results: queue.SimpleQueue = queue.SimpleQueue()
    wanted = threading.Semaphore(0)
    stopped = threading.Event()

    def fetch() -> None:
        while wanted.acquire() and not stopped.is_set():
            try:
                page = next(pages)
            except StopIteration:
                results.put((_END, None))
                return
            except BaseException as exc:  # raised again in the caller's thread
                results.put((exc, None))
                return
            page.paginator = copy.copy(page.paginator)
            results.put((None, page))

    worker = None
    try:
        while True:
            if worker is None:
                worker = threading.Thread(target=fetch, name=THREAD_NAME, daemon=True)
                worker.start()
                wanted.release()
            problem, page = results.get()
            if problem is _END:
                return
            if problem is not None:
                raise problem
            wanted.release()  # the next page, while the caller works on this one
            yield page
    finally:
        stopped.set()
        wanted.release()
