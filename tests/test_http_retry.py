"""The retry policy (tenacity) and the `http:` settings it is built from, without a server."""

import dataclasses
import logging
import time
from pathlib import Path

import pytest
import yaml
from tenacity import RetryCallState

from pipelines.dlt.http import HTTP_SCHEMA, HttpPolicy, HttpStats
from pipelines.dlt.http.retry import retrying
from pipelines.errors import DplError, ErrorClass
from pipelines.secrets import redact

POLICY = HttpPolicy(backoff_base_s=0.5, backoff_max_s=6.0, max_retry_after_s=30.0, max_attempts=10)


def wait_after(policy: HttpPolicy, attempt: int, error: BaseException) -> float:
    """The wait `retrying(policy)` chooses after failed attempt number `attempt`."""
    retry = retrying(policy, HttpStats(), "test")
    state = RetryCallState(retry, fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(error), error, None))
    return retry.wait(state)


def test_the_schema_names_exactly_the_policy_fields():
    assert set(HTTP_SCHEMA["properties"]) == {f.name for f in dataclasses.fields(HttpPolicy)}


def test_the_documented_defaults_are_the_dataclass_defaults():
    documented = yaml.safe_load((Path(__file__).parents[1] / "config" / "sources.yaml").read_text())["http"]
    assert documented == dataclasses.asdict(HttpPolicy())


def test_policy_from_settings_is_frozen_and_ignores_unknown_keys():
    policy = HttpPolicy.from_settings({"max_attempts": 3, "not_a_setting": 1})
    assert policy == dataclasses.replace(HttpPolicy(), max_attempts=3)
    assert HttpPolicy.from_settings(None) == HttpPolicy()
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.max_attempts = 4


@pytest.mark.parametrize("attempt", range(1, 9))
def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(attempt):
    exponential = POLICY.backoff_base_s * 2 ** (attempt - 1)
    low, high = min(exponential, POLICY.backoff_max_s), min(exponential + POLICY.backoff_base_s, POLICY.backoff_max_s)
    waits = [wait_after(POLICY, attempt, DplError(ErrorClass.SERVER_ERROR, "boom")) for _ in range(200)]
    assert all(low <= wait <= high for wait in waits)
    assert high == low or len(set(waits)) > 1  # jittered, unless capped


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [(0.0, 1.0), (0.2, 1.0), (2.5, 2.5), (20.0, 20.0), (30.0, 30.0), (31.0, 30.0), (86400.0, 30.0)],
)
def test_retry_after_is_honoured_at_least_1s_and_capped(retry_after, expected):
    error = DplError(ErrorClass.RATE_LIMITED, "429", retry_after=retry_after)
    assert wait_after(POLICY, 1, error) == expected  # not bounded by backoff_max_s: the server said so
    assert wait_after(POLICY, 7, error) == expected  # nor grown by the attempt number


def test_a_5xx_with_retry_after_waits_what_the_server_said():
    assert wait_after(POLICY, 3, DplError(ErrorClass.SERVER_ERROR, "503", retry_after=4.0)) == 4.0


def failing(*errors: BaseException):
    """A call that raises `errors` in turn (the last one forever); `calls` counts the attempts."""

    def call():
        call.calls += 1
        raise errors[min(call.calls, len(errors)) - 1]

    call.calls = 0
    return call


FAST = HttpPolicy(max_attempts=4, backoff_base_s=0.001, backoff_max_s=0.002)


def test_only_transient_errors_are_retried():
    for error in (
        DplError(ErrorClass.AUTH_FAILED, "401"),
        DplError(ErrorClass.NETWORK, "no such host", transient=False),
        ValueError("a bug"),
    ):
        call = failing(error)
        with pytest.raises(type(error)):
            retrying(FAST, HttpStats(), "test")(call)
        assert call.calls == 1


def test_retries_stop_after_max_attempts_and_reraise_the_last_error():
    stats = HttpStats()
    call = failing(DplError(ErrorClass.SERVER_ERROR, "first"), DplError(ErrorClass.SERVER_ERROR, "last"))
    with pytest.raises(DplError, match="last"):
        retrying(FAST, stats, "test")(call)
    assert call.calls == FAST.max_attempts and stats.retries == FAST.max_attempts - 1


def test_retries_stop_after_max_elapsed():
    policy = HttpPolicy(max_attempts=1000, backoff_base_s=0.01, backoff_max_s=0.01, max_elapsed_s=0.05)
    call = failing(DplError(ErrorClass.NETWORK, "reset"))
    with pytest.raises(DplError):
        retrying(policy, HttpStats(), "test")(call)
    assert 2 <= call.calls < 20


def test_each_retry_is_counted_and_logged_redacted(caplog, monkeypatch):
    monkeypatch.setattr(time, "sleep", lambda seconds: None)  # tenacity sleeps through time.sleep
    redact.add("s3cr3t-in-a-message")
    stats = HttpStats()
    call = failing(
        DplError(ErrorClass.RATE_LIMITED, "429 for s3cr3t-in-a-message", retry_after=2.0),
        DplError(ErrorClass.SERVER_ERROR, "500"),
    )
    with caplog.at_level(logging.WARNING, logger="pipelines.http"), pytest.raises(DplError):
        retrying(HttpPolicy(max_attempts=3, backoff_base_s=0.001), stats, "jira")(call)
    assert (stats.retries, stats.rate_limit_waits_s) == (2, 2.0)  # only the 429's wait is a rate-limit wait
    assert caplog.messages[0] == "jira: 429 for ***; retry 1/2 in 2.0s"
    assert caplog.messages[1].startswith("jira: 500; retry 2/2 in ")
