"""`ApiClient.paginate` reads one page ahead in a background thread: order, completeness, errors,
early stops, paginator snapshots — checked by what the loopback server saw (or a scripted page
iterator saw), never by timing."""

import subprocess
import sys
import threading
import time

import pytest
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from pipelines.dlt.http import HttpPolicy, HttpStats, make_client
from pipelines.dlt.http.prefetch import THREAD_NAME, prefetched
from pipelines.errors import DplError, ErrorClass
from simulators.common import Auth, HttpError, Router, SimServer, World
from tests.conftest import REPO

FAST = HttpPolicy(max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.02, read_timeout_s=5, connect_timeout_s=1)
PAGES = 4


class Pages(World):
    """/items?page=N for N in 1..PAGES, each linking to the next; `seen` is every page requested, in order."""

    def __init__(self, missing: int | None = None):
        super().__init__(0)
        self.missing = missing
        self.seen: list[int] = []
        self.arrived = {n: threading.Event() for n in range(1, PAGES + 2)}

    def advance(self, n=1):
        return {}


@pytest.fixture
def pages_server():
    servers = []

    def start(missing=None):
        world = Pages(missing)
        router = Router()

        @router.route("GET", "/items")
        def items(request):
            number = request.int_arg("page", 1)
            world.seen.append(number)
            world.arrived[number].set()
            if number == world.missing:
                raise HttpError(404, {"errorMessages": ["gone"]})
            body = {"values": [{"id": number * 10 + i} for i in range(3)]}
            if number < PAGES:
                body["next"] = f"{request.base_url}/items?page={number + 1}"
            return body

        server = SimServer("pages", world, router, Auth()).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def paginate(server, stats):
    api = make_client(server.url, None, stats, FAST, "test")
    return api.paginate("/items", paginator=JSONLinkPaginator(next_url_path="next"), data_selector="values")


def test_every_page_in_order_with_no_extra_call(pages_server):
    server, stats = pages_server(), HttpStats()
    got = [[r["id"] for r in page] for page in paginate(server, stats)]
    assert got == [[n * 10, n * 10 + 1, n * 10 + 2] for n in range(1, PAGES + 1)]
    assert server.world.seen == list(range(1, PAGES + 1)) and stats.api_calls == PAGES


def test_the_next_page_is_requested_while_the_caller_works_on_this_one(pages_server):
    server = pages_server()
    for page in paginate(server, HttpStats()):
        number = page[0]["id"] // 10
        if number < PAGES:  # without read-ahead this would wait for a request nobody sends
            assert server.world.arrived[number + 1].wait(timeout=10)
    assert server.world.seen == list(range(1, PAGES + 1))


def test_nothing_is_requested_before_iteration_starts(pages_server):
    server = pages_server()
    pages = paginate(server, HttpStats())
    assert not server.world.arrived[1].wait(timeout=0.3)
    assert next(iter(pages))[0]["id"] == 10


def test_a_caller_that_stops_early_causes_at_most_one_extra_call(pages_server):
    server, stats = pages_server(), HttpStats()
    pages = paginate(server, stats)
    first = next(pages)
    assert server.world.arrived[2].wait(timeout=10)
    pages.close()
    assert first[0]["id"] == 10
    assert not server.world.arrived[3].wait(timeout=0.3)
    assert server.world.seen == [1, 2] and stats.api_calls == 2
    assert no_prefetch_threads_left()


def prefetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_NAME) and t.is_alive()]


def no_prefetch_threads_left(timeout: float = 10) -> bool:
    """Do the read-ahead workers end (one may still finish the page it was fetching)?"""
    deadline = time.monotonic() + timeout
    while prefetch_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not prefetch_threads()


def test_an_error_surfaces_after_the_pages_before_it(pages_server):
    server = pages_server(missing=3)
    got = []
    with pytest.raises(DplError) as failure:
        for page in paginate(server, HttpStats()):
            got.append(page[0]["id"] // 10)
    assert got == [1, 2] and failure.value.error_class == ErrorClass.NOT_FOUND


def test_each_page_keeps_the_paginator_state_it_arrived_with(pages_server):
    server = pages_server()
    pages = paginate(server, HttpStats())
    first = next(pages)
    assert server.world.arrived[2].wait(timeout=10)
    rest = list(pages)
    assert first.paginator.has_next_page is True  # not the live paginator, already past page 2
    assert [p.paginator.has_next_page for p in rest] == [True] * (PAGES - 2) + [False]


# -- `prefetched` on a scripted page iterator ----------------------------------------------------


class Page(list):
    """A page of records with the paginator it arrived with, like dlt's PageData."""

    def __init__(self, records, paginator):
        super().__init__(records)
        self.paginator = paginator


class Script:
    """An iterator of pages (an exception object among them is raised at its turn); `asked` counts
    the `next()` calls and `threads` names the thread of each. The `hold_at`-th call waits for
    `release` and sets `holding` meanwhile."""

    def __init__(self, *pages, hold_at: int | None = None):
        self.pages = list(pages)
        self.asked = 0
        self.threads: list[str] = []
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()
        self.paginator = {"page": 0}

    def __iter__(self):
        return self

    def __next__(self):
        self.asked += 1
        self.threads.append(threading.current_thread().name)
        if self.asked == self.hold_at:
            self.holding.set()
            assert self.release.wait(timeout=10)
        if not self.pages:
            raise StopIteration
        page = self.pages.pop(0)
        if isinstance(page, BaseException):
            raise page
        self.paginator["page"] = page
        return Page([page], self.paginator)


def test_prefetched_yields_every_page_once_in_order_from_one_worker_thread():
    script = Script(1, 2, 3)
    assert [list(page) for page in prefetched(script)] == [[1], [2], [3]]
    assert script.asked == 4 and len(set(script.threads)) == 1  # 3 pages and the end
    assert script.threads[0].startswith(THREAD_NAME) and no_prefetch_threads_left()


def test_prefetched_is_lazy_and_one_page_ahead():
    script = Script(1, 2, 3, hold_at=2)
    pages = prefetched(script)
    time.sleep(0.05)
    assert script.asked == 0
    assert list(next(pages)) == [1]
    assert script.holding.wait(timeout=10)  # page 2 is read ahead while the caller holds page 1
    time.sleep(0.05)
    assert script.asked == 2  # page 3 is not
    script.release.set()
    assert list(next(pages)) == [2]
    pages.close()


def test_prefetched_raises_an_error_in_the_caller_after_the_pages_before_it():
    failure = DplError(ErrorClass.SERVER_ERROR, "boom")
    script = Script(1, 2, failure, 4)
    got = []
    with pytest.raises(DplError) as raised:
        for page in prefetched(script):
            got.append(page[0])
    assert got == [1, 2] and raised.value is failure
    assert script.asked == 3 and no_prefetch_threads_left()  # nothing is asked after an error


def test_each_page_has_a_snapshot_of_the_paginator():
    pages = list(prefetched(Script(1, 2, 3)))
    assert [page.paginator["page"] for page in pages] == [1, 2, 3]


def test_a_caller_that_stops_early_does_not_wait_for_the_page_in_flight_nor_leak_the_worker():
    script = Script(1, 2, 3, hold_at=2)
    pages = prefetched(script)
    assert list(next(pages)) == [1]
    assert script.holding.wait(timeout=10)  # page 2 is in flight, and stays there
    started = time.monotonic()
    pages.close()
    assert time.monotonic() - started < 1.0  # closing does not wait for it
    script.release.set()
    assert no_prefetch_threads_left()  # the worker ends once that page is in
    assert script.asked == 2  # and page 3 is never asked for


def test_a_page_in_flight_never_holds_the_process_at_exit():
    """An interrupted run exits at once, even while the page read ahead is still being retried."""
    code = (
        "import time\n"
        "from pipelines.dlt.http.prefetch import prefetched\n"
        "def pages():\n"
        "    yield type('P', (list,), {'paginator': None})([1])\n"
        "    time.sleep(600)  # the next page: a call stuck in its retries\n"
        "    yield type('P', (list,), {'paginator': None})([2])\n"
        "running = prefetched(pages())\n"
        "next(running)\n"
        "time.sleep(0.5)\n"
        "running.close()  # the caller stops (an error, Ctrl-C) while page 2 is in flight\n"
        "raise SystemExit(7)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60, capture_output=True)
    assert done.returncode == 7, done.stderr
