"""Bitbucket's list mechanics: `q=` (BBQL), `sort=`, `fields=` (partial responses) and `next`-linked pages.

The traps are the real ones: `pagelen` is silently capped, `fields=` keeps only what is selected —
the page's `next` link included, so a client that selects `values.id` alone sees one page — and
`next` is an absolute URL carrying every original parameter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from urllib.parse import urlencode

from simulators.common import HttpError, Request

_TOKEN = re.compile(
    r"""\s*(?:(?P<open>\()|(?P<close>\))|(?P<logic>AND|OR)(?=[\s(])|"""
    r"""(?P<field>[A-Za-z_][\w.]*)\s*(?P<op>>=|<=|!=|!~|>|<|=|~)\s*(?P<value>"(?:[^"\\]|\\.)*"|[^\s()]+))""",
    re.IGNORECASE,
)


def error(status: int, message: str) -> HttpError:
    """Bitbucket's error body."""
    return HttpError(status, {"type": "error", "error": {"message": message}})


# -- q= -------------------------------------------------------------------------------------------


def compile_query(text: str) -> Callable[[dict], bool]:
    """A predicate over rendered objects for a BBQL expression (comparisons, AND, OR, parentheses)."""
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise error(400, f"Invalid query: unexpected input at position {pos}: {text[pos : pos + 20]!r}")
        tokens.append(match)
        pos = match.end()
    predicate, rest = _parse_or(tokens)
    if rest:
        raise error(400, "Invalid query: unbalanced parentheses")
    return predicate


def _parse_or(tokens):
    left, tokens = _parse_and(tokens)
    while tokens and (tokens[0].group("logic") or "").upper() == "OR":
        right, tokens = _parse_and(tokens[1:])
        left = (lambda a, b: lambda obj: a(obj) or b(obj))(left, right)
    return left, tokens


def _parse_and(tokens):
    left, tokens = _parse_atom(tokens)
    while tokens and (tokens[0].group("logic") or "").upper() == "AND":
        right, tokens = _parse_atom(tokens[1:])
        left = (lambda a, b: lambda obj: a(obj) and b(obj))(left, right)
    return left, tokens


def _parse_atom(tokens):
    if not tokens:
        raise error(400, "Invalid query: expression expected")
    head = tokens[0]
    if head.group("open"):
        inner, rest = _parse_or(tokens[1:])
        if not rest or not rest[0].group("close"):
            raise error(400, "Invalid query: missing ')'")
        return inner, rest[1:]
    if not head.group("field"):
        raise error(400, f"Invalid query: comparison expected, got {head.group(0).strip()!r}")
    return _comparison(head.group("field"), head.group("op"), _literal(head.group("value"))), tokens[1:]


def _literal(raw: str):
    if raw.startswith('"'):
        text = raw[1:-1].replace('\\"', '"')
        return _as_datetime(text) or text
    lowered = raw.lower()
    if lowered in ("null", "true", "false"):
        return {"null": None, "true": True, "false": False}[lowered]
    try:
        return int(raw)
    except ValueError:
        pass
    moment = _as_datetime(raw)
    if moment is None:
        raise error(400, f"Invalid query: cannot read value {raw!r} (quote strings)")
    return moment


def _as_datetime(value):
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _comparison(field: str, op: str, literal) -> Callable[[dict], bool]:
    def test(obj: dict) -> bool:
        value = resolve(obj, field)
        if isinstance(literal, dt.datetime):
            value = _as_datetime(value)
            if value is None:
                return False
        if op == "~":
            return str(literal).lower() in str(value or "").lower()
        if op == "!~":
            return str(literal).lower() not in str(value or "").lower()
        if op in ("=", "!="):
            return (value == literal) == (op == "=")
        if value is None or literal is None:
            return False
        try:
            return {">": value > literal, ">=": value >= literal, "<": value < literal, "<=": value <= literal}[op]
        except TypeError as exc:
            raise error(400, f"Invalid query: cannot compare {field} with {literal!r}") from exc

    return test


def resolve(obj, path: str):
    """The value at a dotted path, or None."""
    for key in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def filter_and_sort(objects: list[dict], request: Request) -> list[dict]:
    """Apply `q=` and `sort=` (`field` or `-field`) to rendered objects."""
    query = request.arg("q")
    if query:
        predicate = compile_query(query)
        objects = [o for o in objects if predicate(o)]
    sort = request.arg("sort")
    if sort:
        field, reverse = sort.lstrip("-"), sort.startswith("-")
        objects = sorted(objects, key=lambda o: (resolve(o, field) is None, resolve(o, field) or ""), reverse=reverse)
    return objects


# -- paging and fields= ---------------------------------------------------------------------------


def page(items: list, request: Request, cap: int = 100, render: Callable | None = None, size: bool = True) -> dict:
    """One page of `items` (rendered lazily), `pagelen` capped at `cap`, with an absolute `next`."""
    pagelen = min(max(request.int_arg("pagelen", 10), 1), cap)
    number = max(request.int_arg("page", 1), 1)
    start = (number - 1) * pagelen
    chunk = items[start : start + pagelen]
    body: dict = {"pagelen": pagelen, "values": [render(i) for i in chunk] if render else chunk, "page": number}
    if size:
        body["size"] = len(items)
    if start + pagelen < len(items):
        body["next"] = link(request, number + 1)
    if number > 1:
        body["previous"] = link(request, number - 1)
    return apply_fields(body, request.arg("fields"))


def link(request: Request, number: int) -> str:
    """The absolute URL of page `number` of the same query."""
    query = {k: v for k, v in request.query.items() if k != "page"} | {"page": [str(number)]}
    return f"{request.base_url}{request.path}?{urlencode(query, doseq=True)}"


def apply_fields(body, spec: str | None):
    """Bitbucket partial responses: `a.b` keeps only selected paths (`*` = any key), `-a.b` removes."""
    if not spec:
        return body
    tokens = [t.strip() for t in spec.split(",") if t.strip()]
    selected = [t.split(".") for t in tokens if t[0] not in "+-"]
    if selected:
        body = _select(body, selected)
    for token in tokens:
        if token.startswith("-"):
            _remove(body, token[1:].split("."))
    return body


def _select(value, paths: list[list[str]]):
    if isinstance(value, list):
        return [_select(v, paths) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        rest = [p[1:] for p in paths if p and p[0] in (key, "*")]
        if rest:
            out[key] = item if any(not r for r in rest) else _select(item, rest)
    return out


def _remove(value, path: list[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _remove(item, path)
    elif isinstance(value, dict) and path:
        if len(path) == 1:
            value.pop(path[0], None)
        elif path[0] in value:
            _remove(value[path[0]], path[1:])
