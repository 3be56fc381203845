"""The bronze envelope: one JSON line per record, payload byte-for-byte JSON-equal to the API's.

Lines are assembled from a per-page prefix and the orjson-serialised payload, so a record is
serialised exactly once. Payloads orjson cannot write (lone surrogates, integers beyond 64 bits,
numbers beyond double range, which the HTTP layer keeps as Decimals) take a slower path:
surrogates are replaced with U+FFFD and counted; big numbers are written exactly by simplejson.
"""

from __future__ import annotations

from typing import Any

import orjson
import simplejson

ENVELOPE_KEYS = ("__source", "__stream", "__ingested_at_utc", "__run_id", "__id", "__cursor", "__parent", "payload")
REPLACEMENT = "\ufffd"


def line_prefix(source: str, stream: str, ingested_at: str, run_id: str) -> bytes:
    """The constant start of every line of one page, up to and including `"__id":`."""
    head = orjson.dumps({"__source": source, "__stream": stream, "__ingested_at_utc": ingested_at, "__run_id": run_id})
    return head[:-1] + b',"__id":'


def encode_lines(
    prefix: bytes, records: list[dict], ids: list[Any], cursors: list[Any], parent: Any, parents: list | None = None
) -> tuple[bytes, int]:
    """Encode a page as JSONL; return (bytes, number of UTF-8 repairs made).

    `parent` goes in every line's `__parent`, unless `parents` gives one per record (a page that
    gathers the children of many issues); each distinct parent object is serialised once.
    """
    dumps = orjson.dumps
    repairs = 0
    tails: dict[int, bytes] = {}

    def tail_for(value: Any) -> bytes:
        nonlocal repairs
        key = id(value)
        if key not in tails:
            parent_json, parent_repairs = dumps_repaired(value)
            repairs += parent_repairs
            tails[key] = b',"__parent":' + parent_json + b',"payload":'
        return tails[key]

    shared_tail = tail_for(parent) if parents is None else None
    # One buffer per page: each payload is copied once, straight after its small envelope head.
    out = bytearray()
    cursor_key, end = b',"__cursor":', b"}\n"
    for index, (record, record_id, cursor) in enumerate(zip(records, ids, cursors, strict=True)):
        tail = shared_tail or tail_for(parents[index])
        try:
            payload = dumps(record)
            head = prefix + dumps(record_id) + cursor_key + dumps(cursor) + tail
        except (TypeError, orjson.JSONEncodeError):
            id_json, n_id = dumps_repaired(record_id)
            cursor_json, n_cursor = dumps_repaired(cursor)
            payload, n_payload = dumps_repaired(record)
            repairs += n_id + n_cursor + n_payload
            head = prefix + id_json + cursor_key + cursor_json + tail
        out += head
        out += payload
        out += end
    return out, repairs


def dumps_repaired(value: Any) -> tuple[bytes, int]:
    """Serialise anything JSON-shaped: (bytes, lone surrogates replaced)."""
    try:
        return orjson.dumps(value), 0
    except (TypeError, orjson.JSONEncodeError):
        pass
    repaired, count = repair_surrogates(value)
    try:
        return orjson.dumps(repaired), count
    except (TypeError, orjson.JSONEncodeError):
        # Integers beyond 64 bits and Decimals (numbers beyond double range): written exactly.
        text = simplejson.dumps(repaired, ensure_ascii=False, separators=(",", ":"), allow_nan=False, use_decimal=True)
        return text.encode("utf-8"), count


def repair_surrogates(value: Any) -> tuple[Any, int]:
    """A copy of `value` with every lone surrogate replaced by U+FFFD, and how many were replaced."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value, 0
        except UnicodeEncodeError:
            count = sum(1 for char in value if 0xD800 <= ord(char) <= 0xDFFF)
            return "".join(REPLACEMENT if 0xD800 <= ord(c) <= 0xDFFF else c for c in value), count
    if isinstance(value, dict):
        total = 0
        out = {}
        for key, item in value.items():
            new_key, n_key = repair_surrogates(key)
            new_item, n_item = repair_surrogates(item)
            out[new_key] = new_item
            total += n_key + n_item
        return out, total
    if isinstance(value, list | tuple):
        total = 0
        items = []
        for item in value:
            new_item, n_item = repair_surrogates(item)
            items.append(new_item)
            total += n_item
        return items, total
    return value, 0
