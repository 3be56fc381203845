"""JSON that keeps every number exactly: orjson when it can, the standard library when it would not.

orjson turns integers beyond 64 bits into floats, refuses numbers beyond double range (`1e400`) and
silently reads `1e-400` as 0.0. Such numbers are rare, so a cheap C-speed scan of a translated copy
of the text (digits → "0", e/E → "e", signs → "+", the rest → " ") gates the exact, slower stdlib
parse: integers stay ints, numbers a double cannot hold become Decimals. Such text inside a string
only costs that slower parse. Used for API answers and for reading bronze lines back.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

import orjson

_SHAPES = bytes(48 if 48 <= i <= 57 else 101 if i in (69, 101) else 43 if i in (43, 45) else 32 for i in range(256))
_INEXACT = (b"0" * 19, b"0e000", b"0e+000")  # 19+ digits in a row; an exponent of 3+ digits


def needs_exact_parse(data: bytes) -> bool:
    """Might orjson not keep a number of `data` exactly?"""
    shapes = data.translate(_SHAPES)
    return any(pattern in shapes for pattern in _INEXACT)


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
