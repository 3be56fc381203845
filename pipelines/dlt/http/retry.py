"""When a failed call is tried again, and how long to wait first (tenacity).

Only transient `DplError`s are retried (rate limits, 5xx, network errors, unparseable bodies),
at most `max_attempts` times and not after `max_elapsed_s`. The wait is the server's `Retry-After`
when it sent one (0 taken as 1 s, capped at `max_retry_after_s`), else exponential backoff with
jitter: `backoff_base_s` × 2ⁿ plus up to one `backoff_base_s` of jitter, capped at `backoff_max_s`.
"""

from __future__ import annotations

import logging

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from pipelines.dlt.http.policy import HttpPolicy
from pipelines.dlt.http.stats import HttpStats
from pipelines.errors import DplError, ErrorClass
from pipelines.secrets import redact

log = logging.getLogger("pipelines.http")


def retrying(policy: HttpPolicy, stats: HttpStats, source: str) -> Retrying:
    """A tenacity `Retrying` for one call: retries counted in `stats` and logged (redacted) as `source`."""
    return Retrying(
        stop=stop_after_attempt(policy.max_attempts) | stop_after_delay(policy.max_elapsed_s),
        wait=wait_retry_after_or(
            wait_exponential_jitter(
                multiplier=policy.backoff_base_s, max=policy.backoff_max_s, jitter=policy.backoff_base_s
            ),
            cap=policy.max_retry_after_s,
        ),
        retry=retry_if_exception(is_transient),
        before_sleep=CountAndLog(stats, policy.max_attempts, source),
        reraise=True,
    )


def is_transient(exc: BaseException) -> bool:
    """Is this failure worth another attempt?"""
    return isinstance(exc, DplError) and exc.transient


class wait_retry_after_or(wait_base):  # noqa: N801 - named like tenacity's own wait strategies
    """The failure's `retry_after` (at least 1 s, at most `cap`) when it has one, else `fallback`'s wait."""

    def __init__(self, fallback: wait_base, cap: float) -> None:
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        retry_after = getattr(retry_state.outcome.exception(), "retry_after", None)
        if retry_after is not None:
            return min(max(retry_after, 1.0), self.cap)
        return self.fallback(retry_state)


class CountAndLog:
    """tenacity's `before_sleep`: count the retry (and a rate limit's wait), log one redacted warning."""

    def __init__(self, stats: HttpStats, max_attempts: int, source: str) -> None:
        self.stats = stats
        self.max_attempts = max_attempts
        self.source = source

    def __call__(self, retry_state: RetryCallState) -> None:
        exc = retry_state.outcome.exception()
        wait = retry_state.next_action.sleep
        self.stats.add(retries=1)
        if getattr(exc, "error_class", None) == ErrorClass.RATE_LIMITED:
            self.stats.add(rate_limit_waits_s=wait)
        log.warning(
            "%s: %s; retry %d/%d in %.1fs",
            self.source,
            redact(exc.message if isinstance(exc, DplError) else exc),
            retry_state.attempt_number,
            self.max_attempts - 1,
            wait,
        )
