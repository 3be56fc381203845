"""Validation schema and defaults of config/alerts.yaml (channels, triggers, schedule defaults and backoff).

Import-light on purpose: `pipelines.config` imports this module, so it must not import
`pipelines.config` at module level.
"""

from __future__ import annotations

_SCHEDULE = {"type": "string", "pattern": r"^(manual|every \d+ ?(m|min|minutes|h|hours))$"}
_POSITIVE = {"type": "number", "exclusiveMinimum": 0}

ALERTS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "notify_on": {"type": "array", "items": {"enum": ["failed", "partial"]}, "uniqueItems": True},
        "repeat_threshold": {"type": "integer", "minimum": 1},
        "notify_recovery": {"type": "boolean"},
        "schedule": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "default_incremental": _SCHEDULE,
                "default_full": _SCHEDULE,
                "grace_minutes": {"type": "number", "minimum": 0},
                "backoff_factor": {"type": "number", "minimum": 1},
                "backoff_max_minutes": _POSITIVE,
            },
        },
        "slack": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"enabled": {"type": "boolean"}, "timeout_s": _POSITIVE, "username": {"type": "string"}},
        },
        "email": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "enabled": {"type": "boolean"},
                "host": {"type": "string", "minLength": 1},
                "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                "security": {"enum": ["none", "starttls", "ssl"]},
                "username": {"type": "string"},
                "from": {"type": "string", "minLength": 3},
                "to": {"type": "array", "items": {"type": "string", "minLength": 3}},
                "subject_prefix": {"type": "string"},
                "timeout_s": _POSITIVE,
            },
        },
    },
}

ALERTS_DEFAULTS = {
    "enabled": True,
    "notify_on": ["failed", "partial"],
    "repeat_threshold": 3,
    "notify_recovery": True,
    "schedule": {
        "default_incremental": "every 60m",
        "default_full": "every 24h",
        "grace_minutes": 5,
        "backoff_factor": 2,
        "backoff_max_minutes": 1440,
    },
    "slack": {"enabled": True, "timeout_s": 10, "username": "data-platform-light"},
    "email": {
        "enabled": True,
        "host": "localhost",
        "port": 587,
        "security": "starttls",
        "username": "",
        "from": "dpl@localhost",
        "to": [],
        "subject_prefix": "[DPL]",
        "timeout_s": 10,
    },
}


def alerts_config(settings) -> dict:
    """config/alerts.yaml of these settings (validated, defaults applied)."""
    loaded = getattr(settings, "alerts", None)
    if loaded:
        return loaded
    from pipelines.config import load_yaml

    return load_yaml(settings.config_dir / "alerts.yaml", ALERTS_SCHEMA, ALERTS_DEFAULTS)
