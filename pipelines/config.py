"""Load and validate config/*.yaml once, at start; every error is one line naming file and key."""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import zoneinfo
from pathlib import Path

import jsonschema
import yaml

from pipelines.alerts.schema import ALERTS_DEFAULTS, ALERTS_SCHEMA
from pipelines.dlt.resources import available, get
from pipelines.errors import ConfigError
from pipelines.secrets import load_dotenv_file, register_environment_secrets

STREAM_KEYS = {
    "enabled": {"type": "boolean"},
    "mode": {"enum": ["FULL", "INCREMENTAL"]},
    "primary_key": {"type": "string"},
    "cursor_field": {"type": ["string", "null"]},
    "schedule": {"type": "string", "pattern": r"^(manual|every \d+ ?(m|min|minutes|h|hours))$"},
}

HTTP_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        key: {"type": "number", "exclusiveMinimum": 0}
        for key in (
            "connect_timeout_s",
            "read_timeout_s",
            "max_elapsed_s",
            "backoff_base_s",
            "backoff_max_s",
            "max_retry_after_s",
            "slow_down_below",
        )
    }
    | {"max_attempts": {"type": "integer", "minimum": 1}},
}

BRONZE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "part_max_bytes": {"type": "integer", "minimum": 1},
        "part_max_rows": {"type": "integer", "minimum": 1},
        "zstd_level": {"type": "integer", "minimum": 1, "maximum": 22},
    },
}

BRONZE_DEFAULTS = {"part_max_bytes": 128 * 1024 * 1024, "part_max_rows": 1_000_000, "zstd_level": 3}

TIME_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "safety_window_minutes": {"type": "number", "minimum": 0},
        "census_interval_hours": {"type": "number", "minimum": 0},
        "report_timezone": {"type": "string", "format": "timezone"},
        "progress_interval_s": {"type": "number", "exclusiveMinimum": 0},
    },
}
TIME_DEFAULTS = {
    "safety_window_minutes": 60,
    "census_interval_hours": 24,
    "report_timezone": "UTC",
    "progress_interval_s": 10,
}

IDENTITY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "jira_key_aliases": {
            "type": "object",
            "additionalProperties": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]+$"},
        },
        "people": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "emails": {"type": "array", "items": {"type": "string"}},
                    "jira_account_ids": {"type": "array", "items": {"type": "string"}},
                    "bitbucket_uuids": {"type": "array", "items": {"type": "string"}},
                    "bitbucket_nicknames": {"type": "array", "items": {"type": "string"}},
                    "jenkins_user_ids": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
IDENTITY_DEFAULTS = {"jira_key_aliases": {}, "people": []}

AI_POLICY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "allowed_schemas": {"type": "array", "items": {"type": "string"}},
        "allowed_tables": {"type": "array", "items": {"type": "string", "format": "regex"}},
        "denied_columns": {"type": "array", "items": {"type": "string", "format": "regex"}},
        "redact_patterns": {"type": "array", "items": {"type": "string", "format": "regex"}},
        "max_rows": {"type": "integer", "minimum": 1},
        "allow_bronze": {"type": "boolean"},
    },
}
AI_POLICY_DEFAULTS = {
    "enabled": True,
    "allowed_schemas": ["main"],
    "allowed_tables": [".*"],
    "denied_columns": [],
    "redact_patterns": [],
    "max_rows": 1000,
    "allow_bronze": False,
}


@dataclasses.dataclass
class Settings:
    """Validated configuration and paths of one invocation."""

    config_dir: Path
    bronze_dir: Path
    warehouse: Path
    sources: dict  # {"http": ..., "bronze": ..., "<source>": {...}}
    time: dict
    identity: dict
    ai_policy: dict
    alerts: dict = dataclasses.field(default_factory=dict)
    delivery: dict = dataclasses.field(default_factory=dict)

    def source(self, name: str) -> dict:
        return self.sources[name]


def load_settings(env: dict | None = None) -> Settings:
    """Read .env, validate every config file and register secrets for redaction."""
    from pipelines.silver.delivery import DELIVERY_DEFAULTS, DELIVERY_SCHEMA  # not at the top: silver imports config

    load_dotenv_file(Path(".env"))
    env = os.environ if env is None else env
    register_environment_secrets()
    config_dir = Path(env.get("DPL_CONFIG_DIR") or "config")
    if not config_dir.is_dir():
        raise ConfigError(f"DPL_CONFIG_DIR={config_dir}: not a directory (expected the folder holding sources.yaml)")
    sources_defaults = {"http": {}, "bronze": BRONZE_DEFAULTS}
    sources_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"http": HTTP_SCHEMA, "bronze": BRONZE_SCHEMA},
    }
    for name in available():
        module = get(name)
        sources_defaults[name] = module.DEFAULTS
        sources_schema["properties"][name] = module.CONFIG_SCHEMA
    settings = Settings(
        config_dir=config_dir,
        bronze_dir=Path(env.get("DPL_BRONZE_DIR") or "bronze"),
        warehouse=Path(env.get("DPL_WAREHOUSE") or "warehouse/lakehouse.duckdb"),
        sources=load_yaml(config_dir / "sources.yaml", sources_schema, sources_defaults),
        time=load_yaml(config_dir / "time.yaml", TIME_SCHEMA, TIME_DEFAULTS),
        identity=load_yaml(config_dir / "identity.yaml", IDENTITY_SCHEMA, IDENTITY_DEFAULTS),
        ai_policy=load_yaml(config_dir / "ai_policy.yaml", AI_POLICY_SCHEMA, AI_POLICY_DEFAULTS),
        alerts=load_yaml(config_dir / "alerts.yaml", ALERTS_SCHEMA, ALERTS_DEFAULTS),
        delivery=load_yaml(config_dir / "delivery.yaml", DELIVERY_SCHEMA, DELIVERY_DEFAULTS),
    )
    if "jira" in settings.sources:
        from pipelines.silver.jira import silver_config  # the `jira.silver` section: validated here, at start

        silver_config(settings.sources, config_dir / "sources.yaml")
    return settings


def load_yaml(path: Path, schema: dict, defaults: dict) -> dict:
    """Parse, validate against `schema` and merge over `defaults`; a missing file means defaults."""
    if not path.exists():
        return copy.deepcopy(defaults)
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
    if data is None:
        data = {}
    validate(data, schema, path)
    return deep_merge(defaults, data)


def validate(data: object, schema: dict, path: Path) -> None:
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


def deep_merge(base: dict, override: dict) -> dict:
    """A new dict: `override` over `base`, recursively for nested dicts."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


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
