"""The server's timing headers: `Retry-After` and the reset time of `X-RateLimit-*`."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import requests

from pipelines.timeutil import parse_iso


def retry_after(response: requests.Response) -> float | None:
    """Seconds the server asks us to wait (`Retry-After`: a delta of at least 1 s, or a date), or None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 1.0)
    except ValueError:
        return seconds_until(value)


def seconds_until(value: str | None) -> float | None:
    """Seconds until a reset given as epoch seconds, a delta, or an ISO/HTTP date."""
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        try:
            return max(parse_iso(value).timestamp() - time.time(), 0.0)
        except ValueError:
            try:
                return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
            except (TypeError, ValueError):
                return None
    return max(number - time.time(), 0.0) if number > 1e9 else max(number, 0.0)
