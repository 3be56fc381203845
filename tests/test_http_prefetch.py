"""`ApiClient.paginate` reads one page ahead in a background thread: order, completeness, errors,
early stops, paginator snapshots — checked by what the loopback server saw, never by timing."""

import threading

import pytest
from dlt.sources.helpers.rest_client.paginators import JSONLinkPaginator

from pipelines.dlt.http import HttpPolicy, HttpStats, make_client
from pipelines.errors import DplError, ErrorClass
from simulators.common import Auth, HttpError, Router, SimServer, World

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
    assert not [t for t in threading.enumerate() if t.name == "dpl-prefetch" and t.is_alive()]


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
