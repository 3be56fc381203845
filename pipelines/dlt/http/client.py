"""dlt's RESTClient on an `ApiSession`: guarded, read-ahead pagination and one-document calls."""

from __future__ import annotations

import functools

from dlt.common.jsonpath import compile_path
from dlt.sources.helpers.rest_client import RESTClient

from pipelines.dlt.http.guards import checked_pages
from pipelines.dlt.http.pacing import CallGate
from pipelines.dlt.http.policy import HttpPolicy
from pipelines.dlt.http.prefetch import prefetched
from pipelines.dlt.http.session import ApiSession
from pipelines.dlt.http.stats import HttpStats


class ApiClient(RESTClient):
    """dlt's RESTClient on an `ApiSession`; errors are raised by the session, not by dlt's hook."""

    def paginate(
        self,
        path="",
        method="GET",
        params=None,
        json=None,
        auth=None,
        paginator=None,
        data_selector=None,
        hooks=None,
        headers=None,
        **kwargs,
    ):
        """dlt's pages, checked for bad shapes and loops, each next one read while the caller works on this one."""
        selector = _compiled(data_selector) if isinstance(data_selector, str) else data_selector
        pages = super().paginate(
            path, method, params, json, auth, paginator, selector, hooks or {"response": []}, headers, **kwargs
        )
        return prefetched(checked_pages(pages, f"{method} {path}", data_selector or self.data_selector))

    def get_json(self, path: str, params: dict | None = None):
        """GET one JSON document."""
        return self.get(path, params=params).json()

    def post_json(self, path: str, body: dict):
        """POST a JSON body, return the JSON answer."""
        return self.post(path, json=body).json()


@functools.cache
def _compiled(selector: str):
    """A data selector compiled once (dlt would parse the JSONPath again for every page: ~1 ms each)."""
    return compile_path(selector)


def make_client(
    base_url: str,
    auth,
    stats: HttpStats,
    policy: HttpPolicy,
    source: str,
    headers: dict | None = None,
    paginator=None,
    data_selector=None,
    gate: CallGate | None = None,
) -> ApiClient:
    """A REST client for one source; all clients of a run share `stats` and `gate`."""
    session = ApiSession(stats, policy, source, gate)
    return ApiClient(
        base_url=base_url.rstrip("/"),
        headers={"Accept": "application/json", **(headers or {})},
        auth=auth,
        session=session,
        paginator=paginator,
        data_selector=data_selector,
    )
