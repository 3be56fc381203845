"""Answers whose JSON body is parsed once, on arrival, and cached for every later `.json()`.

dlt's paginators and data selectors call `.json()` on the same response several times; parsing
once also means a body that is not JSON fails the attempt (so it is retried) instead of failing
somewhere downstream.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import orjson
import requests

from pipelines.dlt.http.stats import HttpStats
from pipelines.errors import DplError, ErrorClass

# Numbers orjson would not keep exactly: 19+ digits in a row (an integer it would turn into a float)
# or an exponent of 3+ digits (beyond double range: 1e400 is refused, 1e-400 silently becomes 0.0).
# Rare, so a cheap C-speed scan of a translated copy (digits → "0", e/E → "e", signs → "+", the rest
# → " ") gates the exact, slower stdlib parse; such text inside a string only costs that slower parse.
_SHAPES = bytes(48 if 48 <= i <= 57 else 101 if i in (69, 101) else 43 if i in (43, 45) else 32 for i in range(256))
_INEXACT = (b"0" * 19, b"0e000", b"0e+000")
BOM = b"\xef\xbb\xbf"  # some proxies and Jenkins set-ups start a UTF-8 body with it: stripped, counted


class JsonResponse(requests.Response):
    """A `requests.Response` whose `json()` returns the body parsed on arrival, the same object each time.

    An empty body has no JSON: `json()` raises a BAD_PAYLOAD error (not a JSONDecodeError).
    """

    _where: str = ""
    _has_body: bool = False
    _body: Any = None

    @classmethod
    def parsed(cls, response: requests.Response, where: str, stats: HttpStats) -> JsonResponse:
        """`response` (status, headers, content, request...) with its body parsed; BAD_PAYLOAD if not JSON."""
        new = cls.__new__(cls)
        new.__dict__.update(response.__dict__)
        new._where = where
        new._has_body = bool(response.content)
        if new._has_body:
            new._body = parse_json(response.content, f"{response.status_code} from {where}", stats)
        return new

    def json(self, **_: Any) -> Any:
        """The parsed body (cached; keyword arguments are ignored)."""
        if not self._has_body:
            raise DplError(ErrorClass.BAD_PAYLOAD, f"{self.status_code} from {self._where} has an empty body, not JSON")
        return self._body


def parse_json(content: bytes, what: str, stats: HttpStats) -> Any:
    """The JSON value of a body (orjson; stdlib for integers beyond 64 bits, which orjson turns into floats).

    Invalid UTF-8 is replaced and counted in `stats.utf8_errors`, as is a leading byte order mark
    (removed); a number beyond double range (`1e400`) is kept exactly as a Decimal instead of becoming
    infinity. A body that is not JSON is a (transient) BAD_PAYLOAD error, one nested too deeply a
    permanent one. `what` names the answer.
    """
    if content.startswith(BOM):
        content = content[len(BOM) :]
        stats.add(utf8_errors=1)
    try:
        shapes = content.translate(_SHAPES)
        if any(pattern in shapes for pattern in _INEXACT):
            raise orjson.JSONDecodeError("a number orjson would not keep exactly", "", 0)
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        pass
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("utf-8", "replace")
        stats.add(utf8_errors=text.count("\ufffd") - content.count("\ufffd".encode()))
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_exact_float)
    except RecursionError:
        raise DplError(ErrorClass.BAD_PAYLOAD, f"{what} is JSON nested too deeply", transient=False) from None
    except ValueError:
        kind = "an HTML page" if "<html" in text[:500].lower() else "not valid JSON"
        raise DplError(ErrorClass.BAD_PAYLOAD, f"{what} was {kind}") from None


def _exact_float(text: str) -> float | Decimal:
    """A JSON number as a float, or as the exact Decimal when a double would lose it (overflow, underflow)."""
    value = float(text)
    if math.isinf(value) or (value == 0 and any(c in "123456789" for c in text.partition("e")[0].partition("E")[0])):
        return Decimal(text)
    return value


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")
