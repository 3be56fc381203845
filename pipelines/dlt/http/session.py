"""The one place where an API call happens: a requests session that paces, counts, retries and classifies."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from pipelines.dlt.http.classify import NETWORK_ERRORS, check_status, network_error
from pipelines.dlt.http.headers import retry_after
from pipelines.dlt.http.pacing import CallGate
from pipelines.dlt.http.policy import HttpPolicy
from pipelines.dlt.http.response import JsonResponse
from pipelines.dlt.http.retry import retrying
from pipelines.dlt.http.stats import HttpStats


class ApiSession(requests.Session):
    """A requests session whose `send` retries, paces, counts and classifies.

    Every attempt is counted in `stats.api_calls`; a failed attempt is a `DplError` of its class,
    retried per `retry.retrying`; an answer is a `JsonResponse` whose body was parsed once. Every
    attempt passes `gate` (shared by the sessions of one source's run: bounded concurrency, pacing,
    and a 429's `Retry-After` holding every caller).
    """

    def __init__(self, stats: HttpStats, policy: HttpPolicy, source: str = "", gate: CallGate | None = None) -> None:
        super().__init__()
        self.stats = stats
        self.policy = policy
        self.source = source
        self.gate = gate or make_gate(policy)
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(self.gate.max_concurrency, 10))
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs) -> JsonResponse:
        """Send `request` until it succeeds or the retry policy gives up (then raise its `DplError`)."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (self.policy.connect_timeout_s, self.policy.read_timeout_s)
        return retrying(self.policy, self.stats, self.source)(self._attempt, request, **kwargs)

    def _attempt(self, request: requests.PreparedRequest, **kwargs) -> JsonResponse:
        """One attempt: wait for a slot (and pacing), count, send, classify, parse."""
        where = f"{request.method} {urlsplit(request.url).path}"
        with self.gate.call() as waited:
            if waited:
                self.stats.add(rate_limit_waits_s=waited)
            self.stats.add(api_calls=1)
            try:
                response = super().send(request, **kwargs)
            except NETWORK_ERRORS as exc:
                raise network_error(exc, request, where) from None
            self.gate.pacer.note(response.headers)
            if response.status_code == 429:  # everyone waits, not only this caller's retry
                self.gate.pacer.hold(retry_after(response) or 1.0)
        check_status(response, where)
        return JsonResponse.parsed(response, where, self.stats)


def make_gate(policy: HttpPolicy) -> CallGate:
    """The gate of one source's run: `policy.max_concurrency` calls in flight, pacing capped like `Retry-After`."""
    return CallGate(policy.max_concurrency, policy.slow_down_below, policy.max_retry_after_s)
