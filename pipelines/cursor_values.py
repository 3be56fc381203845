"""Cursor values that are not plain times: their formats, and a one-line summary a person can read.

A leaf (imports only `timeutil`), so that the resources writing these cursors and every display
reading them (`show-cursors`, `make stats`, `make units`, the report) share one definition:

- Jenkins builds (scope = job): the integer `built_ms * NUMBER_SPAN + number`, the highest build
  number below which every build was read and the start time of the newest build read; a value
  below NUMBER_SPAN is a plain build number (written before the time was recorded).
- Bitbucket commits (scope = repository): `{"at": "<run start>", "heads": {"<branch>": "<hash>"}}`,
  the branch heads seen by the last run.
"""

from __future__ import annotations

import datetime as dt

import orjson

from pipelines.timeutil import parse_iso, to_utc_iso

NUMBER_SPAN = 10**10  # Jenkins cursor = timestamp_ms * NUMBER_SPAN + build number (numbers are 32-bit ints)
HASH_SHOWN = 8  # characters of a commit hash in a summary
MAIN_BRANCHES = ("main", "master", "develop", "trunk")  # the head a heads summary names, first found


def stored_number(value) -> int | None:
    """An integer cursor as stored in cursors.parquet (a string), or None."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def encode_build_cursor(number: int, built_ms: int | None) -> int:
    """The cursor for `number` when the newest build read so far started at `built_ms` (epoch ms)."""
    return built_ms * NUMBER_SPAN + number if built_ms else number


def decode_build_cursor(value) -> tuple[int | None, int | None]:
    """(build number, newest build timestamp in ms or None) of a stored cursor; (None, None) if unset."""
    raw = stored_number(value)
    if raw is None:
        return None, None
    if raw < NUMBER_SPAN:
        return raw, None  # a plain build number (written before the timestamp was recorded)
    return raw % NUMBER_SPAN, raw // NUMBER_SPAN


def encode_heads(at, heads: dict[str, str]) -> str:
    """The cursor value for a set of branch heads seen at `at`."""
    return orjson.dumps({"at": to_utc_iso(at), "heads": dict(sorted(heads.items()))}).decode()


def decode_heads(value: str | None) -> dict[str, str] | None:
    """The heads stored in a cursor value; None when there is none (or it is not a heads cursor)."""
    document = _heads_document(value)
    return document["heads"] if document else None


def _heads_document(value) -> dict | None:
    if not isinstance(value, str) or not value.startswith("{"):
        return None
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return document if isinstance(document, dict) and isinstance(document.get("heads"), dict) else None


def describe_cursor(cursor_field: str | None, value) -> str:
    """A stored cursor value as a person reads it: `#3 (built 2026-11-21 10:00Z)`, `12 branch heads, ...`.

    Jenkins build cursors show their build number and build time, branch-head sets their size, the
    head of their main branch and the run that saw them; any other value is shown as it is stored.
    """
    if value is None:
        return ""
    text = str(value)
    document = _heads_document(text)
    if document is not None:
        heads = document["heads"]
        count = f"{len(heads)} branch head{'' if len(heads) == 1 else 's'}"
        main = next((name for name in MAIN_BRANCHES if name in heads), min(heads, default=None))
        shown = f", {main} {str(heads[main])[:HASH_SHOWN]}" if main else ""
        seen = cursor_time(cursor_field, text)
        return count + shown + (f" seen {seen:%Y-%m-%d %H:%M}Z" if seen else "")
    if _is_build_cursor(cursor_field, text):
        number, _ = decode_build_cursor(text)
        built = cursor_time(cursor_field, text)
        return f"#{number}" + (f" (built {built:%Y-%m-%d %H:%M}Z)" if built else "")
    return text


def cursor_time(cursor_field: str | None, value) -> dt.datetime | None:
    """The moment a cursor value stands for (UTC), or None: an ISO time, a build's start, a heads run."""
    if not isinstance(value, str) or not value:
        return None
    document = _heads_document(value)
    try:
        if document is not None:
            return parse_iso(str(document.get("at")))
        if _is_build_cursor(cursor_field, value):
            built_ms = decode_build_cursor(value)[1]
            return dt.datetime.fromtimestamp(built_ms / 1000, dt.UTC) if built_ms else None
        if value.lstrip("-").isdigit():
            return None
        return parse_iso(value).astimezone(dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _is_build_cursor(cursor_field: str | None, text: str) -> bool:
    return cursor_field == "number" and stored_number(text) is not None
