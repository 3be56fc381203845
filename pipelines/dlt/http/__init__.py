"""HTTP for every source: dlt's RESTClient on a session that counts, paces, retries and classifies.

`ApiSession.send` is the one place where an API call happens. Each attempt is counted; 429s wait
`Retry-After` (0 is taken as 1 s); 5xx, network errors and unparseable bodies are retried with
exponential backoff and jitter, bounded by attempts and elapsed time; `X-RateLimit-*` headers slow
calls down before the limit is hit. Anything else becomes a classified `DplError` at once.
Bodies are parsed once, with orjson, invalid UTF-8 repaired and counted. `ApiClient.paginate`
requests the next page in a background thread while the caller works on the current one.

One concern per module: `policy` (settings, defaults, schema), `stats` (counters), `session` (one
attempt), `classify` (failures as `DplError`s), `response` (the parsed body), `retry` (tenacity),
`headers` and `pacing` (rate-limit timing), `guards` and `prefetch` (pagination), `client`.
"""

from pipelines.dlt.http.client import ApiClient, make_client
from pipelines.dlt.http.policy import HTTP_SCHEMA, HttpPolicy
from pipelines.dlt.http.session import ApiSession
from pipelines.dlt.http.stats import HttpStats

__all__ = ["HTTP_SCHEMA", "ApiClient", "ApiSession", "HttpPolicy", "HttpStats", "make_client"]
