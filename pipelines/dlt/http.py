"""HTTP for every source: dlt's RESTClient on a session that counts, paces, retries and classifies.

`ApiSession.send` is the one place where an API call happens. Each attempt is counted; 429s wait
`Retry-After` (0 is taken as 1 s); 5xx, network errors and unparseable bodies are retried with
exponential backoff and jitter, bounded by attempts and elapsed time; `X-RateLimit-*` headers slow
calls down before the limit is hit. Anything else becomes a classified `DplError` at once.
Bodies are parsed once, with orjson, invalid UTF-8 repaired and counted. `ApiClient.paginate`
requests the next page in a background thread while the caller works on the current one.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
import queue
import random
import re
import threading
import time
from urllib.parse import urlsplit

import orjson
import requests
from dlt.sources.helpers.rest_client import RESTClient
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay

from pipelines.errors import DplError, ErrorClass
from pipelines.secrets import redact
from pipelines.timeutil import parse_iso

log = logging.getLogger("pipelines.http")


@dataclasses.dataclass
class HttpPolicy:
    """Retry and pacing settings (config/sources.yaml `http:`)."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    max_attempts: int = 6
    max_elapsed_s: float = 600.0
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    max_retry_after_s: float = 300.0
    slow_down_below: float = 0.1  # pace calls when X-RateLimit-Remaining < this share of the limit

    @classmethod
    def from_settings(cls, settings: dict | None) -> HttpPolicy:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (settings or {}).items() if k in known})


HTTP_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        key: {"type": "number", "exclusiveMinimum": 0}
        for key in (
            "connect_timeout_s",
            "read_timeout_s",
            "max_elapsed_s",
            "backoff_base_s",
            "backoff_max_s",
            "max_retry_after_s",
            "slow_down_below",
        )
    }
    | {"max_attempts": {"type": "integer", "minimum": 1}},
}


@dataclasses.dataclass
class HttpStats:
    """Counters of one run, shared by all clients of a source (thread-safe)."""

    api_calls: int = 0
    retries: int = 0
    rate_limit_waits_s: float = 0.0
    utf8_errors: int = 0
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: float) -> None:
        with self.lock:
            for key, delta in deltas.items():
                setattr(self, key, getattr(self, key) + delta)

    def take_utf8_errors(self) -> int:
        with self.lock:
            count, self.utf8_errors = self.utf8_errors, 0
            return count


class ApiSession(requests.Session):
    """A requests session whose `send` retries, paces, counts and classifies."""

    def __init__(self, stats: HttpStats, policy: HttpPolicy, source: str = "") -> None:
        super().__init__()
        self.stats = stats
        self.policy = policy
        self.source = source
        self._pace_until = 0.0
        self._rng = random.Random()

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (self.policy.connect_timeout_s, self.policy.read_timeout_s)
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts) | stop_after_delay(self.policy.max_elapsed_s),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: isinstance(exc, DplError) and exc.transient),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        return retrying(self._attempt, request, **kwargs)

    # -- one attempt ----------------------------------------------------------------------

    def _attempt(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        self._pace()
        self.stats.add(api_calls=1)
        where = f"{request.method} {urlsplit(request.url).path}"
        try:
            response = super().send(request, **kwargs)
        except requests.exceptions.ConnectionError as exc:
            text = str(exc)
            if "NameResolutionError" in text or "Name or service not known" in text or "nodename" in text:
                host = urlsplit(request.url).hostname
                raise DplError(ErrorClass.NETWORK, f"cannot resolve host {host} ({where})", transient=False) from None
            if "Connection refused" in text:
                raise DplError(
                    ErrorClass.NETWORK, f"connection refused by {urlsplit(request.url).netloc} ({where})"
                ) from None
            raise DplError(ErrorClass.NETWORK, f"connection failed ({where}): {_short(text)}") from None
        except requests.exceptions.Timeout:
            raise DplError(ErrorClass.NETWORK, f"timed out ({where})") from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise DplError(ErrorClass.NETWORK, f"response cut off ({where}): {_short(str(exc))}") from None
        self._note_rate_limit_headers(response)
        _check_status(response, where)
        if response.content:
            _parse_json_once(response, where, self.stats)
        else:
            response.json = _no_json(response, where)
        return response

    # -- retry policy ---------------------------------------------------------------------

    def _wait(self, retry_state) -> float:
        exc = retry_state.outcome.exception()
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(max(retry_after, 1.0), self.policy.max_retry_after_s)
        ceiling = min(self.policy.backoff_max_s, self.policy.backoff_base_s * 2 ** (retry_state.attempt_number - 1))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _before_sleep(self, retry_state) -> None:
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
            self.policy.max_attempts - 1,
            wait,
        )

    # -- pacing before the limit ----------------------------------------------------------

    def _note_rate_limit_headers(self, response: requests.Response) -> None:
        headers = response.headers
        try:
            limit = int(headers["X-RateLimit-Limit"])
            remaining = int(headers["X-RateLimit-Remaining"])
        except (KeyError, ValueError):
            return
        if limit <= 0 or remaining >= limit * self.policy.slow_down_below:
            return
        reset_in = _seconds_until(headers.get("X-RateLimit-Reset"))
        if reset_in is None:
            return
        # Spread the remaining calls over the time left until the window resets.
        self._pace_until = time.monotonic() + min(reset_in / max(remaining, 1), self.policy.max_retry_after_s)

    def _pace(self) -> None:
        delay = self._pace_until - time.monotonic()
        if delay > 0:
            self.stats.add(rate_limit_waits_s=delay)
            time.sleep(delay)


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
        pages = super().paginate(
            path, method, params, json, auth, paginator, data_selector, hooks or {"response": []}, headers, **kwargs
        )
        return _prefetched(_checked_pages(pages, f"{method} {path}", data_selector or self.data_selector))

    def get_json(self, path: str, params: dict | None = None):
        """GET one JSON document."""
        return self.get(path, params=params).json()

    def post_json(self, path: str, body: dict):
        """POST a JSON body, return the JSON answer."""
        return self.post(path, json=body).json()


def make_client(
    base_url: str,
    auth,
    stats: HttpStats,
    policy: HttpPolicy,
    source: str,
    headers: dict | None = None,
    paginator=None,
    data_selector=None,
) -> ApiClient:
    """A REST client for one source; all clients of a run share `stats`."""
    session = ApiSession(stats, policy, source)
    return ApiClient(
        base_url=base_url.rstrip("/"),
        headers={"Accept": "application/json", **(headers or {})},
        auth=auth,
        session=session,
        paginator=paginator,
        data_selector=data_selector,
    )


# -- helpers ------------------------------------------------------------------------------


def _check_status(response: requests.Response, where: str) -> None:
    status = response.status_code
    if status < 400:
        return
    detail = _api_message(response)
    message = f"{status} {response.reason or ''} from {where}".replace("  ", " ") + (f": {detail}" if detail else "")
    if status == 429:
        raise DplError(ErrorClass.RATE_LIMITED, message, status=status, retry_after=_retry_after(response) or 1.0)
    if status == 401:
        raise DplError(ErrorClass.AUTH_FAILED, message, status=status)
    if status == 403:
        raise DplError(ErrorClass.FORBIDDEN, message, status=status)
    if status in (404, 410):
        advice = "the endpoint was removed by the vendor: upgrade the pipelines" if status == 410 else None
        raise DplError(ErrorClass.NOT_FOUND, message, status=status, advice=advice)
    if _looks_suspended(status, detail):
        raise DplError(ErrorClass.SUSPENDED, message, status=status)
    if status >= 500:
        raise DplError(ErrorClass.SERVER_ERROR, message, status=status, retry_after=_retry_after(response))
    raise DplError(
        ErrorClass.CONFIG,
        message,
        status=status,
        advice="the API rejected the request: check filters/JQL/options in config/sources.yaml",
    )


def _api_message(response: requests.Response) -> str:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        text = response.content[:200].decode("utf-8", "replace")
        return "non-JSON body" if "<html" in text.lower() else _short(text)
    parts: list[str] = []
    if isinstance(body, dict):
        for key in ("errorMessages", "message", "errorMessage", "error"):
            value = body.get(key)
            if isinstance(value, list):
                parts.extend(str(v) for v in value)
            elif isinstance(value, dict):
                parts.append(str(value.get("message") or value))
            elif value:
                parts.append(str(value))
        if isinstance(body.get("errors"), dict):
            parts.extend(f"{k}: {v}" for k, v in body["errors"].items())
    return _short("; ".join(parts))


def _looks_suspended(status: int, detail: str) -> bool:
    text = detail.lower()
    return status in (402, 503) and (
        "suspend" in text or "deactivated" in text or ("unavailable" in text and "site" in text)
    )


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 1.0)
    except ValueError:
        return _seconds_until(value)


def _seconds_until(value: str | None) -> float | None:
    """Seconds until a reset given as epoch seconds, a delta, or an ISO/HTTP date."""
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        try:
            return max(parse_iso(value).timestamp() - time.time(), 0.0)
        except ValueError:
            from email.utils import parsedate_to_datetime

            try:
                return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
            except (TypeError, ValueError):
                return None
    return max(number - time.time(), 0.0) if number > 1e9 else max(number, 0.0)


_END = object()


def _prefetched(pages):
    """The pages in order, each next one fetched in a background thread while the caller works on this one.

    HTTP latency (and parsing) then overlaps with the caller's processing instead of adding to it. One
    page at most is read ahead, so a caller that stops early may have caused one extra call. An error
    is raised to the caller where it happened in the sequence. `page.paginator` is a copy taken when
    the page arrived: the live paginator has moved on to the next page by the time the caller looks.
    """
    results: queue.SimpleQueue = queue.SimpleQueue()
    wanted = threading.Semaphore(0)
    stopped = threading.Event()

    def fetch() -> None:
        while wanted.acquire() and not stopped.is_set():
            try:
                page = next(pages)
            except StopIteration:
                results.put((_END, None))
                return
            except BaseException as exc:  # raised again in the caller's thread
                results.put((exc, None))
                return
            page.paginator = copy.copy(page.paginator)
            results.put((None, page))

    worker = None
    try:
        while True:
            if worker is None:
                worker = threading.Thread(target=fetch, name="dpl-prefetch", daemon=True)
                worker.start()
                wanted.release()
            problem, page = results.get()
            if problem is _END:
                return
            if problem is not None:
                raise problem
            wanted.release()  # the next page, while the caller works on this one
            yield page
    finally:
        stopped.set()
        wanted.release()


MAX_EMPTY_PAGES = 20  # consecutive empty pages that still announce a next page


def _checked_pages(pages, where: str, data_selector):
    """The pages, unless an answer has an unexpected shape or pagination goes round in circles.

    A body without the list the selector names (dlt would read it as "no records"), a page request
    sent twice, the same records served twice, or a long run of empty pages that keep announcing a
    next one end the iteration with a BAD_PAYLOAD error instead of losing data or looping forever.
    """
    requests_seen: set[tuple] = set()
    pages_seen: set[bytes] = set()
    empty = 0
    for page in pages:
        shape = _shape_problem(page.response.json(), data_selector)
        if shape:
            raise DplError(
                ErrorClass.BAD_PAYLOAD, f"{page.response.status_code} from {where}: {shape}", transient=False
            )
        request = page.response.request
        key = (request.method, request.url, request.body)
        if key in requests_seen:
            raise _loop(where, "its next-page link or token leads back to a page already read")
        requests_seen.add(key)
        empty = 0 if page else empty + 1
        if empty > MAX_EMPTY_PAGES:
            raise _loop(where, f"{empty} empty pages in a row, each announcing a next page")
        if page:
            try:
                digest = hashlib.sha1(orjson.dumps(list(page))).digest()
            except (TypeError, orjson.JSONEncodeError):
                digest = hashlib.sha1(repr(list(page)).encode("utf-8", "replace")).digest()
            if digest in pages_seen:
                raise _loop(where, "it served the same records again for another page")
            pages_seen.add(digest)
        yield page


_SIMPLE_SELECTOR = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def _shape_problem(body, data_selector) -> str | None:
    """What is wrong with a body whose records should be the list at `data_selector` (a dotted key)."""
    if not isinstance(data_selector, str) or not _SIMPLE_SELECTOR.fullmatch(data_selector):
        return None
    for key in data_selector.split("."):
        if not isinstance(body, dict):
            return f"expected a JSON object with {data_selector!r}, got a JSON {type(body).__name__}"
        if key not in body:
            return f"the answer has no {data_selector!r} list"
        body = body[key]
    if body is not None and not isinstance(body, list):
        return f"{data_selector!r} is a JSON {type(body).__name__}, not a list"
    return None


def _loop(where: str, why: str) -> DplError:
    return DplError(
        ErrorClass.BAD_PAYLOAD,
        f"pagination of {where} loops: {why}",
        transient=False,
        advice="the API's paging is inconsistent: run again later; if it persists, report it to the vendor",
    )


# 19+ digits in a row somewhere: maybe an integer orjson would turn into a float. Rare, so a cheap
# C-speed scan (digits → "0", the rest → " ") gates the exact, slower stdlib parse; a long digit
# run inside a string only costs that slower parse.
_DIGITS = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))
_LONG_RUN = b"0" * 19


def _parse_json_once(response: requests.Response, where: str, stats: HttpStats) -> None:
    """Parse the body once (orjson; stdlib for big ints, which orjson turns into floats) and cache it."""
    content = response.content
    try:
        if _LONG_RUN in content.translate(_DIGITS):
            raise orjson.JSONDecodeError("integer beyond 64 bits", "", 0)
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = content.decode("utf-8", "replace")
            stats.add(utf8_errors=text.count("\ufffd") - content.count("\ufffd".encode()))
        try:
            data = json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            raise DplError(
                ErrorClass.BAD_PAYLOAD,
                f"{response.status_code} from {where} is JSON nested too deeply",
                transient=False,
            ) from None
        except ValueError:
            kind = "an HTML page" if "<html" in text[:500].lower() else "not valid JSON"
            raise DplError(ErrorClass.BAD_PAYLOAD, f"{response.status_code} from {where} was {kind}") from None
    response.json = lambda **_: data  # dlt's paginators and selectors call .json() repeatedly


def _no_json(response: requests.Response, where: str):
    """`response.json` for an empty body: asking it for JSON is a BAD_PAYLOAD error, not a JSONDecodeError."""

    def refuse(**_):
        raise DplError(ErrorClass.BAD_PAYLOAD, f"{response.status_code} from {where} has an empty body, not JSON")

    return refuse


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
