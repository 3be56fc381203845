"""Answers whose JSON body is parsed once, on arrival, and cached for every later `.json()`.

dlt's paginators and data selectors call `.json()` on the same response several times; parsing
once also means a body that is not JSON fails the attempt (so it is retried) instead of failing
somewhere downstream.
"""

from __future__ import annotations

from typing import Any

import orjson
import requests

from pipelines.dlt.http.stats import HttpStats
from pipelines.errors import DplError, ErrorClass
from pipelines.jsonnumbers import loads_text, needs_exact_parse

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
    if not needs_exact_parse(content):
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("utf-8", "replace")
        stats.add(utf8_errors=text.count("\ufffd") - content.count("\ufffd".encode()))
    try:
        return loads_text(text)
    except RecursionError:
        raise DplError(ErrorClass.BAD_PAYLOAD, f"{what} is JSON nested too deeply", transient=False) from None
    except ValueError:
        kind = "an HTML page" if "<html" in text[:500].lower() else "not valid JSON"
        raise DplError(ErrorClass.BAD_PAYLOAD, f"{what} was {kind}") from None
