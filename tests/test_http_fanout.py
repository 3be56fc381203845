"""`ordered_chain` / `ordered_map`: results in the serial order, bounded work in flight, errors at their
place, nothing left running after the caller stops, never holding an interrupted process."""

import gc
import itertools
import subprocess
import sys
import threading
import time

import pytest

from pipelines.dlt.http.fanout import THREAD_NAME, ordered_chain, ordered_map, read_ahead
from tests.conftest import REPO


def fanout_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME and t.is_alive()]


def none_left(timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while fanout_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not fanout_threads()


@pytest.mark.parametrize("workers", [1, 3, 8])
def test_results_come_in_the_serial_order_whatever_finishes_first(workers):
    def slow_first(n):
        time.sleep(0.02 * (5 - n % 5))
        return n * n

    assert list(ordered_map(slow_first, range(12), workers)) == [n * n for n in range(12)]
    producers = [(lambda n=n: iter(range(n * 10, n * 10 + 3))) for n in range(5)]
    assert list(ordered_chain(producers, workers)) == [n * 10 + i for n in range(5) for i in range(3)]
    assert none_left()


def test_at_most_max_workers_run_at_once():
    lock, running, most = threading.Lock(), [0], [0]

    def work(n):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
        return n

    assert list(ordered_map(work, range(20), 3)) == list(range(20))
    assert most[0] == 3


def test_an_error_surfaces_after_everything_before_it_and_stops_the_rest():
    started: list[int] = []

    def work(n):
        started.append(n)
        if n == 3:
            raise ValueError("boom")
        time.sleep(0.01)
        return n

    got = []
    with pytest.raises(ValueError, match="boom"):
        for value in ordered_map(work, range(100), 4):
            got.append(value)
    assert got == [0, 1, 2] and max(started) < 10  # the producers beyond the window never started
    assert none_left()


def test_a_producer_runs_only_a_few_items_ahead_of_the_caller():
    made: list[int] = []

    def producer():
        for n in range(100):
            made.append(n)
            yield n

    items = ordered_chain([producer, producer], 2, ahead=2)
    assert next(items) == 0
    time.sleep(0.2)
    assert len(made) <= 2 + 3 + 3  # each producer: `ahead` queued, one waiting to be queued
    items.close()
    assert none_left()


def test_work_in_flight_never_holds_the_process_at_exit():
    code = (
        "import time\n"
        "from pipelines.dlt.http.fanout import ordered_map\n"
        "results = ordered_map(lambda n: time.sleep(600 if n else 0) or n, range(4), 4)\n"
        "next(results)\n"
        "results.close()  # the caller stops while calls are in flight (stuck in their retries)\n"
        "raise SystemExit(7)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60, capture_output=True)
    assert done.returncode == 7, done.stderr


def test_read_ahead_starts_at_once_and_stops_once_its_iterator_is_gone():
    started, ended = threading.Event(), threading.Event()

    def produce():
        try:
            for number in itertools.count():
                started.set()
                yield number
        finally:
            ended.set()

    items = read_ahead(produce, ahead=3)
    assert started.wait(5)  # producing before anyone asked
    assert [next(items), next(items)] == [0, 1]
    assert not ended.wait(0.2)  # held by its full buffer while the iterator lives
    del items
    gc.collect()
    assert ended.wait(5)  # then stopped: no thread left polling a buffer nobody reads


def test_read_ahead_raises_the_producers_error_after_its_items():
    def produce():
        yield 1
        raise RuntimeError("page 2 failed")

    items = read_ahead(produce, ahead=10)
    assert next(items) == 1
    with pytest.raises(RuntimeError, match="page 2 failed"):
        next(items)
