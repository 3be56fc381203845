"""Guards on a paginated read: answers of an unexpected shape, and pagination that goes round in circles."""

from __future__ import annotations

import hashlib
import re

import orjson

from pipelines.errors import DplError, ErrorClass

MAX_EMPTY_PAGES = 20  # consecutive empty pages that still announce a next page

_SIMPLE_SELECTOR = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def checked_pages(pages, where: str, data_selector):
    """The pages, unless an answer has an unexpected shape or pagination goes round in circles.

    A body without the list the selector names (dlt would read it as "no records"), a page request
    sent twice, the same records served twice, or a long run of empty pages that keep announcing a
    next one end the iteration with a BAD_PAYLOAD error instead of losing data or looping forever.
    """
    requests_seen: set[tuple] = set()
    pages_seen: set[bytes] = set()
    empty = 0
    for page in pages:
        shape = shape_problem(page.response.json(), data_selector)
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
            digest = page_digest(list(page))
            if digest in pages_seen:
                raise _loop(where, "it served the same records again for another page")
            pages_seen.add(digest)
        yield page


def page_digest(records: list) -> bytes:
    """What identifies a page's records: their ids, in order, when every record has one (hashing a
    search page's ids instead of its 2 MB of records), else the records themselves."""
    ids = [record.get("id") if isinstance(record, dict) else None for record in records]
    if None not in ids:
        return hashlib.sha1(b"ids:" + repr(ids).encode("utf-8", "replace")).digest()
    try:
        return hashlib.sha1(orjson.dumps(records)).digest()
    except (TypeError, orjson.JSONEncodeError):
        return hashlib.sha1(repr(records).encode("utf-8", "replace")).digest()


def shape_problem(body, data_selector) -> str | None:
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
