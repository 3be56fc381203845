"""HTTP for every source: dlt's RESTClient on a session that counts, paces, retries and classifies.

`ApiSession.send` is the one place where an API call happens. Each attempt is counted; 429s wait
`Retry-After` (0 is taken as 1 s); 5xx, network errors and unparseable bodies are retried with
exponential backoff and jitter, bounded by attempts and elapsed time; `X-RateLimit-*` headers slow
calls down before the limit is hit; at most `max_concurrency` calls of a source are in flight.
Anything else becomes a classified `DplError` at once.
Bodies are parsed once, with orjson, invalid UTF-8 repaired and counted. `ApiClient.paginate`
requests the next page in a background thread while the caller works on the current one.

One concern per module: `policy` (settings, defaults, schema), `stats` (counters), `session` (one
attempt), `classify` (failures as `DplError`s), `response` (the parsed body), `retry` (tenacity),
`headers` and `pacing` (rate-limit timing and the per-source `CallGate`: bounded concurrency),
`guards` and `prefetch` (pagination), `fanout` (many calls in flight, results in order; a chain read ahead), `client`.
"""

from pipelines.dlt.http.client import ApiClient, make_client
from pipelines.dlt.http.fanout import ordered_chain, ordered_map, read_ahead
from pipelines.dlt.http.pacing import CallGate
from pipelines.dlt.http.policy import HTTP_SCHEMA, HttpPolicy
from pipelines.dlt.http.session import ApiSession, make_gate
from pipelines.dlt.http.stats import HttpStats

__all__ = [
    "HTTP_SCHEMA",
    "ApiClient",
    "ApiSession",
    "CallGate",
    "HttpPolicy",
    "HttpStats",
    "make_client",
    "make_gate",
    "ordered_chain",
    "ordered_map",
    "read_ahead",
]
