"""JSON that keeps every number exactly: orjson when it can, the standard library when it would not.

orjson turns integers beyond 64 bits into floats and silently reads `1e-400` as 0.0 (it refuses
`1e400`, which then goes to the standard library anyway). Such numbers are rare, so a cheap C-speed
scan gates the exact, slower stdlib parse (integers stay ints, numbers a double cannot hold become
Decimals): the text is translated (digits → "0", e/E → "e", `"` `:` `[` `,` `.` `-` kept, whitespace
dropped, the rest → " "); only when it holds a run of 19 digits or `e-` with 3+ digits (two substring
searches) is it searched for a number token — one right after `":`, `[` or `,` — with 19+ digits in
its integer or fraction part or a negative exponent of 3+ digits. Text inside strings cannot look
like that unless it holds `":`, `[` or `,` before such digits: it then only costs the slower parse.
(Scanning for digit runs anywhere sent most real answers down the slow path: Atlassian account ids
are hex, and `e269` reads like an exponent; running the token search on every answer cost 2.6× the
orjson parse itself.) Used for API answers and for reading bronze lines back.
"""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

import orjson

_KEPT = {ord(c): ord(c) for c in '":[,.-'}
_SHAPES = bytes(48 if 48 <= i <= 57 else 101 if i in (69, 101) else _KEPT.get(i, 32) for i in range(256))
_WHITESPACE = b" \t\r\n"
_LONG_DIGITS, _TINY_EXPONENT = b"0" * 19, b"e-000"
# after `":`, `[` or `,` (or at the start): a sign, then 19+ integer or fraction digits, or an exponent of -100 or less
_INEXACT = re.compile(rb'(?:":|[\[,])-?(?:0{19}|0+\.0{19}|0+(?:\.0+)?e-000)')


def needs_exact_parse(data: bytes) -> bool:
    """Might orjson read a number of `data` as another number, without an error?"""
    shapes = data.translate(_SHAPES, _WHITESPACE)
    if _LONG_DIGITS not in shapes and _TINY_EXPONENT not in shapes:
        return False
    return _INEXACT.search(b"[" + shapes) is not None


def loads(data: bytes | str) -> Any:
    """The JSON value of `data`, every number exact (ValueError when it is not JSON)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not needs_exact_parse(raw):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # the stdlib says why, or reads what orjson refuses (1e400)
    return loads_text(raw.decode("utf-8") if isinstance(data, bytes) else data)


def loads_text(text: str) -> Any:
    """The stdlib parse with exact numbers; NaN/Infinity are refused (they are not JSON)."""
    return json.loads(text, parse_constant=_reject_constant, parse_float=_exact_float)


def _exact_float(text: str) -> float | Decimal:
    """A JSON number as a float, or as the exact Decimal when a double would lose it (overflow, underflow)."""
    value = float(text)
    mantissa = text.partition("e")[0].partition("E")[0]
    if math.isinf(value) or (value == 0 and any(c in "123456789" for c in mantissa)):
        return Decimal(text)
    return value


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")
