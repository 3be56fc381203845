"""Saved queries: `sql/queries/<name>.sql`, each a SELECT over silver/gold marts with a header.

    -- name: release_readiness
    -- description: Per release: issues done and not done, blocked issues, open bugs.
    -- param: release varchar = null      -- a release name; null: every unreleased release
    -- param: days integer = 30
    select ... where ($release is null or release_name = $release)

Parameters are DuckDB named parameters (`$release`); `render(name, params)` types and checks the
given values and returns the SQL with its parameter dict. User values are never formatted into SQL.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

from pipelines.errors import ConfigError, DplError, ErrorClass

QUERIES_DIR = Path(__file__).resolve().parents[2] / "sql" / "queries"
HEADER = re.compile(r"^--\s*(name|description|param):\s*(.*?)\s*$")
PARAM = re.compile(
    r"^(?P<name>[a-z_][a-z0-9_]*)\s+(?P<type>[a-z]+)(?:\s*=\s*(?P<default>.*?))?\s*(?:--\s*(?P<help>.*))?$"
)
TYPES = ("varchar", "integer", "double", "boolean", "date", "timestamp")


class QueryError(DplError):
    """A saved query that does not exist, or a parameter that does not fit."""

    def __init__(self, message: str):
        super().__init__(ErrorClass.CONFIG, message, advice="`make queries` lists the queries and their parameters")


@dataclasses.dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: object = None
    help: str = ""


@dataclasses.dataclass(frozen=True)
class SavedQuery:
    name: str
    description: str
    params: tuple[Param, ...]
    sql: str
    path: Path


def list_queries(folder: Path = QUERIES_DIR) -> list[SavedQuery]:
    """Every saved query, by name."""
    return [load(path) for path in sorted(folder.glob("*.sql"))]


def get_query(name: str, folder: Path = QUERIES_DIR) -> SavedQuery:
    """The saved query `name`; a QueryError naming the known ones otherwise."""
    path = folder / f"{name}.sql"
    if not re.fullmatch(r"[a-z0-9_]+", name) or not path.exists():
        known = ", ".join(q.name for q in list_queries(folder))
        raise QueryError(f"no saved query {name!r} (known: {known})")
    return load(path)


def load(path: Path) -> SavedQuery:
    """Parse a saved query file: its header lines, then the SQL."""
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    params: list[Param] = []
    for line in text.splitlines():
        match = HEADER.match(line)
        if not match:
            if line.startswith("--") or not line.strip():
                continue
            break
        key, value = match.groups()
        if key == "param":
            params.append(_param(path, value))
        else:
            meta[key] = value
    if meta.get("name") != path.stem or not meta.get("description"):
        raise ConfigError(f"{path}: the header needs `-- name: {path.stem}` and `-- description: ...`")
    return SavedQuery(path.stem, meta["description"], tuple(params), text.strip().rstrip(";"), path)


def _param(path: Path, text: str) -> Param:
    match = PARAM.match(text)
    if not match or match["type"] not in TYPES:
        expected = f"`name type [= default] [-- help]` ({', '.join(TYPES)})"
        raise ConfigError(f"{path}: `-- param: {text}`: expected {expected}")
    default = match["default"]
    value = None if default in (None, "null") else convert(match["type"], default.strip("'\""), match["name"])
    return Param(match["name"], match["type"], value, match["help"] or "")


def convert(kind: str, text: str, name: str):
    """A parameter value from text, typed; a QueryError when it does not fit."""
    try:
        if kind == "integer":
            return int(text)
        if kind == "double":
            return float(text)
        if kind == "boolean":
            if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(text)
            return text.lower() in ("true", "1", "yes")
        if kind == "date":
            return dt.date.fromisoformat(text)
        if kind == "timestamp":
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return text
    except ValueError:
        raise QueryError(f"parameter {name}: {text!r} is not a valid {kind}") from None


def render(name: str, params: dict | None = None, folder: Path = QUERIES_DIR) -> tuple[str, dict]:
    """(SQL, named parameters) of a saved query; values may be text (typed here) or already typed."""
    query = get_query(name, folder)
    given = {key.lower(): value for key, value in (params or {}).items()}
    known = {p.name for p in query.params}
    unknown = sorted(set(given) - known)
    if unknown:
        expected = ", ".join(sorted(known)) or "none"
        raise QueryError(f"query {name}: unknown parameter(s) {', '.join(unknown)} (it takes: {expected})")
    values = {}
    for param in query.params:
        value = given.get(param.name, param.default)
        if isinstance(value, str) and param.type != "varchar":
            value = convert(param.type, value, param.name)
        values[param.name] = value
    return query.sql, values
