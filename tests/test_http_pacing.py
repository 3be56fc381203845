"""`Pacer`: calls spaced out once `X-RateLimit-*` says the limit is near; the reset-time parsing."""

import threading
import time

import pytest

from pipelines.dlt.http.headers import seconds_until
from pipelines.dlt.http.pacing import Pacer


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


def test_concurrent_callers_share_one_pacer():
    pacer = Pacer(slow_down_below=0.1, max_wait_s=300)
    pacer.note(headers(100, 1, reset=0.05))
    waits: list[float] = []
    threads = [threading.Thread(target=lambda: waits.append(pacer.wait())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(waits) == 4 and all(0.0 <= wait <= 0.05 for wait in waits)


def test_seconds_until_reads_deltas_epochs_and_dates():
    assert seconds_until(None) is None and seconds_until("") is None and seconds_until("soon") is None
    assert seconds_until("30") == 30.0 and seconds_until("-5") == 0.0
    assert 3590 < seconds_until(str(time.time() + 3600)) <= 3600
    assert seconds_until("2001-01-01T00:00:00Z") == 0.0
    assert seconds_until("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0
