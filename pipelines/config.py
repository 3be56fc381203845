"""Config helpers, a leaf: read a YAML file, validate it against a JSON Schema, build typed settings.

Every error is one line naming the file and the key. This module imports nothing from the project
but its errors: each stage owns its settings (a frozen dataclass whose field defaults are *the*
defaults, and the JSON Schema of its section), and `pipelines/settings.py` composes them.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import types
import typing
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from pipelines.errors import ConfigError

SCHEDULE = {"type": "string", "pattern": r"^(manual|every \d+ ?(m|min|minutes|h|hours))$"}
STREAM_KEYS = {
    "enabled": {"type": "boolean"},
    "mode": {"enum": ["FULL", "INCREMENTAL"]},
    "primary_key": {"type": "string"},
    "cursor_field": {"type": ["string", "null"]},
    "schedule": SCHEDULE,
}


def read_yaml(path: Path) -> dict | None:
    """The document in `path` (None when the file does not exist; `{}` when it is empty)."""
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.__class__.__name__}: {exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML ({problem})") from None
    return {} if data is None else data


def validate(data: object, schema: dict, path: Path | str) -> None:
    """Raise ConfigError for the first (most relevant) schema violation."""
    checker = jsonschema.FormatChecker()
    checker.checks("timezone", raises=(zoneinfo.ZoneInfoNotFoundError, ValueError))(zoneinfo.ZoneInfo)
    checker.checks("regex", raises=re.error)(re.compile)
    validator = jsonschema.Draft202012Validator(schema, format_checker=checker)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is None:
        return
    key = ".".join(str(p) for p in error.absolute_path) or "(top level)"
    raise ConfigError(f"{path}: {key}: {describe(error)}")


def describe(error: jsonschema.ValidationError) -> str:
    """A short human explanation of a schema violation: what is expected."""
    value = error.instance
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed)) if isinstance(value, dict) else []
        names = ", ".join(extra)
        return f"unknown key {names!r}" + (f" (expected one of: {', '.join(allowed)})" if allowed else "")
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {expected}, got {type(value).__name__} {_show(value)}"
    if error.validator == "enum":
        return f"expected one of {', '.join(map(str, error.validator_value))}, got {_show(value)}"
    if error.validator == "format":
        if error.validator_value == "regex":
            try:
                re.compile(value)
            except re.error as exc:
                return f"not a valid regular expression {_show(value)}: {exc}"
        return f"expected a valid {error.validator_value}, got {_show(value)}"
    if error.validator == "pattern":
        return f"{_show(value)} does not match the expected form {error.validator_value}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    return error.message


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def deep_merge(base: Mapping, override: Mapping) -> dict:
    """A new dict: `override` over `base`, recursively for nested dicts."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# -- typed settings ------------------------------------------------------------------------------

T = typing.TypeVar("T")


def build(cls: type[T], data: Mapping | None) -> T:
    """A settings dataclass from validated data: missing keys take the dataclass defaults.

    Nested dataclasses, `tuple[X, ...]` and `Mapping[str, X]` fields are built recursively; a field
    whose YAML key is not a Python name (`from`) names it in `metadata={"key": ...}`.
    """
    data = data or {}
    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):
        key = field.metadata.get("key", field.name)
        if key in data:
            values[field.name] = _convert(hints[field.name], data[key])
    return cls(**values)


def _convert(kind: Any, value: Any) -> Any:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if dataclasses.is_dataclass(kind) and isinstance(value, Mapping):
        return build(kind, value)
    if origin in (typing.Union, types.UnionType):
        for option in args:
            if dataclasses.is_dataclass(option) and isinstance(value, Mapping):
                return build(option, value)
        return value
    if origin is tuple and isinstance(value, list | tuple):
        item = args[0] if args else Any
        return tuple(_convert(item, v) for v in value)
    if origin in (Mapping, dict) and isinstance(value, Mapping):
        item = args[1] if len(args) == 2 else Any
        return types.MappingProxyType({k: _convert(item, v) for k, v in value.items()})
    return value


def schema_keys(cls: type) -> set[str]:
    """The YAML keys a settings dataclass reads (for tests that keep a schema and its dataclass in step)."""
    return {field.metadata.get("key", field.name) for field in dataclasses.fields(cls)}


def stream_schema(extra: dict | None = None) -> dict:
    """JSON Schema of one stream's settings: the common keys plus source-specific ones."""
    return {"type": "object", "additionalProperties": False, "properties": {**STREAM_KEYS, **(extra or {})}}


def source_schema(properties: dict, streams: dict[str, dict | None]) -> dict:
    """JSON Schema of a source's section: its own keys, `enabled`, and a `streams` map."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "enabled": {"type": "boolean"},
            **properties,
            "streams": {
                "type": "object",
                "additionalProperties": False,
                "properties": {name: stream_schema(extra) for name, extra in streams.items()},
            },
        },
    }
