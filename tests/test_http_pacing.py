"""`Pacer`: calls spaced out once `X-RateLimit-*` says the limit is near; the reset-time parsing."""

import itertools
import threading
import time

import pytest

from pipelines.dlt.http.headers import seconds_until
from pipelines.dlt.http.pacing import CallGate, Pacer


def headers(limit, remaining, reset=None):
    found = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining)}
    return found if reset is None else {**found, "X-RateLimit-Reset": str(reset)}


@pytest.mark.parametrize(
    "answer",
    [
        {},
        headers(100, 50, reset=10),  # plenty left
        headers(100, 10, reset=10),  # exactly at the threshold: not below it
        headers(0, 0, reset=10),
        headers("many", 1, reset=10),
        headers(100, 1),  # no reset time
        headers(100, 1, reset="soon"),
    ],
)
def test_no_pacing_without_a_near_limit_and_a_reset_time(answer):
    pacer = Pacer(slow_down_below=0.1, max_wait_s=300)
    pacer.note(answer)
    assert pacer.wait() == 0.0


def test_the_calls_left_are_spread_over_the_time_until_the_reset():
    pacer = Pacer(slow_down_below=0.1, max_wait_s=300)
    pacer.note(headers(100, 4, reset=0.2))  # a delta in seconds: 4 calls in 0.2 s
    started = time.monotonic()
    waited = pacer.wait()
    assert 0.0 < waited <= 0.05 and time.monotonic() - started >= waited


def test_a_gap_is_capped_and_an_epoch_reset_is_understood():
    pacer = Pacer(slow_down_below=0.5, max_wait_s=0.05)
    pacer.note(headers(10, 0, reset=time.time() + 3600))  # epoch seconds, an hour away
    assert 0.0 < pacer.wait() <= 0.05


def waits_of(pacer: Pacer, callers: int) -> list[float]:
    """What `callers` threads calling `wait()` at once were held back, sorted."""
    waits: list[float] = []
    threads = [threading.Thread(target=lambda: waits.append(pacer.wait())) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(waits) == callers
    return sorted(waits)


def test_concurrent_callers_are_spaced_one_gap_apart_not_released_together():
    pacer = Pacer(slow_down_below=0.1, max_wait_s=300)
    pacer.note(headers(100, 4, reset=0.4))  # four calls left in 0.4 s: one per 0.1 s
    slots = waits_of(pacer, 4)
    assert all(0.0 < wait <= 0.45 for wait in slots)
    assert all(b - a >= 0.08 for a, b in itertools.pairwise(slots))  # each one gap after the last


def test_callers_beyond_the_calls_left_wait_for_the_reset_not_one_more_gap_each():
    """One call left and a minute to the reset spaces calls a minute apart: four waiting callers must not
    go at +1, +2, +3 and +4 minutes (what turned a 60 s rate-limit wait into 247 s) but at the reset."""
    pacer = Pacer(slow_down_below=0.1, max_wait_s=300)
    pacer.note(headers(100, 1, reset=0.3))
    slots = waits_of(pacer, 4)
    assert all(0.25 <= wait <= 0.35 for wait in slots), slots


def test_none_left_holds_everyone_until_the_reset():
    pacer = Pacer(slow_down_below=0.1, max_wait_s=300)
    pacer.note(headers(100, 0, reset=0.2))  # a 429's headers
    assert all(0.15 <= wait <= 0.25 for wait in waits_of(pacer, 3))


def test_callers_already_waiting_go_once_an_answer_says_the_limit_is_far():
    pacer = Pacer(slow_down_below=0.1, max_wait_s=300)
    pacer.note(headers(100, 1, reset=30))  # one call left in 30 s: the next caller would wait 30 s
    threading.Timer(0.2, lambda: pacer.note(headers(100, 90, reset=60))).start()
    started = time.monotonic()
    pacer.wait()
    assert time.monotonic() - started < 2


def test_pacing_stops_once_the_answers_say_the_limit_is_far():
    pacer = Pacer(slow_down_below=0.1, max_wait_s=300)
    pacer.note(headers(100, 1, reset=0.05))
    pacer.wait()
    pacer.note(headers(100, 90, reset=60))  # a new window: plenty left
    time.sleep(0.06)
    assert pacer.wait() == 0.0 and pacer.wait() == 0.0


def test_a_hold_stops_every_caller_of_the_gate():
    gate = CallGate(max_concurrency=4, slow_down_below=0.1, max_wait_s=300)
    gate.pacer.hold(0.2)  # a 429's Retry-After, seen by one worker
    waits: list[float] = []

    def call():
        with gate.call() as waited:
            waits.append(waited)

    threads = [threading.Thread(target=call) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(waits) == 3 and all(0.1 < wait <= 0.2 for wait in waits)


def test_the_gate_bounds_the_calls_in_flight():
    gate = CallGate(max_concurrency=2, slow_down_below=0.1, max_wait_s=300)
    lock, in_flight, most = threading.Lock(), [0], [0]

    def call():
        with gate.call():
            with lock:
                in_flight[0] += 1
                most[0] = max(most[0], in_flight[0])
            time.sleep(0.02)
            with lock:
                in_flight[0] -= 1

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert most[0] == 2


def test_seconds_until_reads_deltas_epochs_and_dates():
    assert seconds_until(None) is None and seconds_until("") is None and seconds_until("soon") is None
    assert seconds_until("30") == 30.0 and seconds_until("-5") == 0.0
    assert 3590 < seconds_until(str(time.time() + 3600)) <= 3600
    assert seconds_until("2001-01-01T00:00:00Z") == 0.0
    assert seconds_until("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0
