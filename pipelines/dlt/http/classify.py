"""Failed calls as classified `DplError`s (DESIGN.md §5): network errors and HTTP error statuses."""

from __future__ import annotations

from urllib.parse import urlsplit

import orjson
import requests

from pipelines.dlt.http.headers import retry_after
from pipelines.errors import DplError, ErrorClass

# What `requests` raises when the network, not the server, failed us.
NETWORK_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


def network_error(exc: Exception, request: requests.PreparedRequest, where: str) -> DplError:
    """The NETWORK error for one of `NETWORK_ERRORS`; an unresolvable host is not worth retrying."""
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if "NameResolutionError" in text or "Name or service not known" in text or "nodename" in text:
            host = urlsplit(request.url).hostname
            return DplError(ErrorClass.NETWORK, f"cannot resolve host {host} ({where})", transient=False)
        if "Connection refused" in text:
            return DplError(ErrorClass.NETWORK, f"connection refused by {urlsplit(request.url).netloc} ({where})")
        return DplError(ErrorClass.NETWORK, f"connection failed ({where}): {short(text)}")
    if isinstance(exc, requests.exceptions.Timeout):
        return DplError(ErrorClass.NETWORK, f"timed out ({where})")
    return DplError(ErrorClass.NETWORK, f"response cut off ({where}): {short(str(exc))}")


def check_status(response: requests.Response, where: str) -> None:
    """Raise the classified error of an HTTP error status (4xx/5xx); nothing for other statuses."""
    status = response.status_code
    if status < 400:
        return
    detail = api_message(response)
    message = f"{status} {response.reason or ''} from {where}".replace("  ", " ") + (f": {detail}" if detail else "")
    if status == 429:
        raise DplError(ErrorClass.RATE_LIMITED, message, status=status, retry_after=retry_after(response) or 1.0)
    if status == 401:
        raise DplError(ErrorClass.AUTH_FAILED, message, status=status)
    if status == 403:
        raise DplError(ErrorClass.FORBIDDEN, message, status=status)
    if status in (404, 410):
        advice = "the endpoint was removed by the vendor: upgrade the pipelines" if status == 410 else None
        raise DplError(ErrorClass.NOT_FOUND, message, status=status, advice=advice)
    if looks_suspended(status, detail):
        raise DplError(ErrorClass.SUSPENDED, message, status=status)
    if status >= 500:
        raise DplError(ErrorClass.SERVER_ERROR, message, status=status, retry_after=retry_after(response))
    raise DplError(
        ErrorClass.CONFIG,
        message,
        status=status,
        advice="the API rejected the request: check filters/JQL/options in config/sources.yaml",
    )


def api_message(response: requests.Response) -> str:
    """The error message an error body carries (Jira, Bitbucket or Jenkins style), shortened."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        text = response.content[:200].decode("utf-8", "replace")
        return "non-JSON body" if "<html" in text.lower() else short(text)
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
    return short("; ".join(parts))


def looks_suspended(status: int, detail: str) -> bool:
    """Does a 402/503 say the site is suspended or deactivated (not just busy)?"""
    text = detail.lower()
    return status in (402, 503) and (
        "suspend" in text or "deactivated" in text or ("unavailable" in text and "site" in text)
    )


def short(text: str, limit: int = 200) -> str:
    """`text` on one line, cut to `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
