"""The data dictionary: what each silver, gold and anomaly relation and column means.

Descriptions live in one `schema.yml` per SQL folder (`sql/silver/schema.yml`, ...), like dbt's::

    shared_columns:            # any model of this folder with a column of that name
      _run_id: the bronze run that delivered this version of the row
    models:
      jira_issues:
        description: more than the grain comment (optional)
        columns:
          issue_id: Jira's numeric issue id

A column takes the first description found: the model's own, then that of the same column in the
models it reads (each resolved the same way, so `select *` views inherit), then the folder's
`shared_columns`. The table comment is the grain comment (line 1 of the SQL) plus the description.
The build applies all of it as DuckDB comments (`pipelines/silver/comments.py`); `make docs`
renders it into docs/tables.md; tests/silver/test_dictionary.py fails on a mart column without a
description and on a description of a column or model that does not exist.

Why YAML beside the SQL rather than comments inside it: editing a description never changes a
model's SQL, so it never forces a full rebuild (the build's checksum covers the SQL); `select *`
views inherit instead of repeating; and the docs, the comments and the tests read one structure.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from pipelines.config import validate
from pipelines.errors import ConfigError
from pipelines.silver.models import LAYERS, SQL_DIR, Model

FILE_NAME = "schema.yml"
_TEXTS = {"type": "object", "additionalProperties": {"type": "string", "minLength": 3}}
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "shared_columns": _TEXTS,
        "models": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"description": {"type": "string", "minLength": 3}, "columns": _TEXTS},
            },
        },
    },
}


@dataclasses.dataclass(frozen=True)
class Entry:
    """One model's entry in a schema.yml."""

    name: str
    layer: str
    description: str = ""
    columns: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Dictionary:
    """Every folder's schema.yml, parsed."""

    entries: Mapping[str, Entry]
    shared: Mapping[str, Mapping[str, str]]  # layer -> column -> description

    def columns_of(self, name: str) -> list[str]:
        """The columns a model's own entry describes (in file order)."""
        entry = self.entries.get(name)
        return list(entry.columns) if entry else []

    def with_columns(self, name: str, layer: str, columns: Mapping[str, str]) -> Dictionary:
        """A copy where model `name` also describes `columns` (e.g. the configured Jira custom fields)."""
        entry = self.entries.get(name, Entry(name, layer))
        merged = dataclasses.replace(entry, columns={**entry.columns, **columns})
        return dataclasses.replace(self, entries={**self.entries, name: merged})

    def table_comment(self, model: Model) -> str:
        """The relation's comment: its grain, then its description."""
        entry = self.entries.get(model.name)
        grain = model.grain[:1].upper() + model.grain[1:]
        return f"{grain}. {entry.description}" if entry and entry.description else grain

    def column_comments(self, models: Mapping[str, Model]) -> Resolver:
        """A resolver of column descriptions through the models' lineage."""
        return Resolver(self, models)


class Resolver:
    """Column descriptions per model: own, then the models it reads (recursively), then shared."""

    def __init__(self, dictionary: Dictionary, models: Mapping[str, Model]) -> None:
        self.dictionary = dictionary
        self.models = models

    @functools.cache  # noqa: B019 - one resolver per build, models are immutable
    def describe(self, model: str, column: str) -> str | None:
        """The description of `model.column`, or None when nothing describes it."""
        entry = self.dictionary.entries.get(model)
        if entry and column in entry.columns:
            return entry.columns[column]
        found = self.models.get(model)
        for upstream in found.depends_on if found else ():
            text = self.describe(upstream, column)
            if text:
                return text
        layer = found.layer if found else (entry.layer if entry else None)
        return self.dictionary.shared.get(layer, {}).get(column)


def load_dictionary(sql_dir: Path = SQL_DIR) -> Dictionary:
    """Read and check every `sql/<layer>/schema.yml` (a missing file is an empty one)."""
    return _load(Path(sql_dir), tuple(_stamp(Path(sql_dir) / layer / FILE_NAME) for layer in LAYERS))


def _stamp(path: Path) -> float:
    return path.stat().st_mtime_ns if path.exists() else -1


@functools.lru_cache(maxsize=8)
def _load(sql_dir: Path, _stamps: tuple) -> Dictionary:
    entries: dict[str, Entry] = {}
    shared: dict[str, dict[str, str]] = {}
    for layer in LAYERS:
        path = sql_dir / layer / FILE_NAME
        document = _read(path)
        shared[layer] = dict(document.get("shared_columns") or {})
        for name, body in (document.get("models") or {}).items():
            if name in entries:
                raise ConfigError(f"{path}: model {name} is also described in sql/{entries[name].layer}/{FILE_NAME}")
            body = body or {}
            entries[name] = Entry(name, layer, body.get("description", "").strip(), dict(body.get("columns") or {}))
    return Dictionary(entries, shared)


def _read(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML ({str(exc).splitlines()[0]})") from None
    validate(document, SCHEMA, path)
    return document


def problems(
    dictionary: Dictionary, models: Iterable[Model], columns: Mapping[str, list[str]], required: Iterable[str]
) -> list[str]:
    """Every gap and stale entry, each a line saying what to add or remove where.

    `columns`: the columns of each relation as built; `required`: the relations whose every column
    needs a description (the marts).
    """
    by_name = {model.name: model for model in models}
    resolver = dictionary.column_comments(by_name)
    found = []
    for name in sorted(required):
        model = by_name[name]
        where = f"sql/{model.layer}/{FILE_NAME}"
        missing = [c for c in columns.get(name, []) if not resolver.describe(name, c)]
        if missing:
            lines = "".join(f"\n        {c}: <what it means, its unit or values>" for c in missing)
            found.append(
                f"{name}: {len(missing)} column(s) without a description ({', '.join(missing)}); add them to "
                f"{where}:\n  models:\n    {name}:\n      columns:{lines}\n"
                f"  (or describe them in the model they come from, or under shared_columns of {where})"
            )
    for name, entry in sorted(dictionary.entries.items()):
        where = f"sql/{entry.layer}/{FILE_NAME}"
        if name not in by_name:
            found.append(f"{where}: describes model {name}, which does not exist (sql/<layer>/{name}.sql): remove it")
            continue
        if by_name[name].layer != entry.layer:
            found.append(f"{where}: {name} is a model of sql/{by_name[name].layer}: move its entry there")
        if name in columns:
            stale = [c for c in entry.columns if c not in columns[name]]
            if stale:
                found.append(f"{where}: {name} has no column(s) {', '.join(stale)}: remove or rename them")
    for layer, texts in sorted(dictionary.shared.items()):
        names = {c for model in by_name.values() if model.layer == layer for c in columns.get(model.name, [])}
        stale = sorted(set(texts) - names)
        if stale:
            found.append(f"sql/{layer}/{FILE_NAME}: shared_columns {', '.join(stale)} match no column: remove them")
    return found


def is_mart(model: Model) -> bool:
    """A relation people query (plain name): its columns must all be described."""
    return not model.name.startswith(("stg_", "int_")) and model.materialized != "batch"
