"""Jenkins' `tree=` query: nested field selection with `{M,N}` ranges on lists.

`jobs[name,jobs[name]],allBuilds[number,result]{0,100}` keeps only the named fields, at any depth.
As in Jenkins, every object keeps its `_class`; an object selected without sub-fields shows only
its `_class` (or `{}`), a missing field is simply absent, and `{M,N}` slices a list (`{M,}`, `{,N}`
and `{N}` too). Values may be `Lazy`: computed only when selected (e.g. `allBuilds`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from simulators.common import HttpError


class Lazy:
    """A value computed only when a tree (or the default view) selects it."""

    def __init__(self, compute: Callable[[], object]) -> None:
        self.compute = compute

    def __call__(self) -> object:
        return self.compute()


@dataclasses.dataclass
class Field:
    """One selected field, its sub-fields and its `{M,N}` range."""

    name: str
    children: list[Field] | None = None
    range: tuple[int | None, int | None] | None = None


def parse(text: str) -> list[Field]:
    """Parse a tree expression; HttpError 400 on malformed input."""
    fields, pos = _parse_list(text, 0)
    if pos != len(text):
        raise _bad(text, pos)
    return fields


def _bad(text: str, pos: int) -> HttpError:
    return HttpError(400, f"<html><body>Bad tree parameter near {text[pos : pos + 20]!r}</body></html>".encode())


def _parse_list(text: str, pos: int) -> tuple[list[Field], int]:
    fields = []
    while True:
        start = pos
        while pos < len(text) and text[pos] not in ",[]{}":
            pos += 1
        name = text[start:pos].strip()
        if not name:
            raise _bad(text, pos)
        field = Field(name)
        if pos < len(text) and text[pos] == "[":
            field.children, pos = _parse_list(text, pos + 1)
            if pos >= len(text) or text[pos] != "]":
                raise _bad(text, pos)
            pos += 1
        if pos < len(text) and text[pos] == "{":
            end = text.find("}", pos)
            if end < 0:
                raise _bad(text, pos)
            field.range = _parse_range(text[pos + 1 : end], text, pos)
            pos = end + 1
        fields.append(field)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return fields, pos


def _parse_range(spec: str, text: str, pos: int) -> tuple[int | None, int | None]:
    try:
        if "," not in spec:
            index = int(spec)
            return index, index + 1
        low, high = spec.split(",", 1)
        return (int(low) if low.strip() else None), (int(high) if high.strip() else None)
    except ValueError:
        raise _bad(text, pos) from None


def resolve(value):
    """The value, computed if it is `Lazy`."""
    return value() if isinstance(value, Lazy) else value


def apply(value, fields: list[Field]):
    """`value` reduced to the selected fields."""
    value = resolve(value)
    if isinstance(value, list):
        return [apply(item, fields) for item in value]
    if not isinstance(value, dict):
        return value
    out = {"_class": value["_class"]} if "_class" in value else {}
    for field in fields:
        if field.name == "*":
            out.update({k: shallow(v) for k, v in value.items() if not isinstance(v, Lazy)})
            continue
        if field.name not in value:
            continue
        item = resolve(value[field.name])
        if field.range and isinstance(item, list):
            item = item[field.range[0] : field.range[1]]
        out[field.name] = apply(item, field.children) if field.children is not None else shallow(item)
    return out


def shallow(value):
    """A value selected without sub-fields: objects collapse to their `_class`."""
    value = resolve(value)
    if isinstance(value, list):
        return [shallow(item) for item in value]
    if isinstance(value, dict):
        return {"_class": value["_class"]} if "_class" in value else {}
    return value
