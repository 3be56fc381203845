"""config/ai_policy.yaml: what the agent/ tools (AI assistants querying the warehouse) may read."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class AiPolicy:
    """The policy; the field defaults are the defaults."""

    enabled: bool = True
    allowed_schemas: tuple[str, ...] = ("main",)  # warehouse schemas the agent may query
    allowed_tables: tuple[str, ...] = (".*",)  # regexes on table/view names
    denied_columns: tuple[str, ...] = ()  # regexes on column names never returned
    redact_patterns: tuple[str, ...] = ()  # regexes masked in every returned value
    max_rows: int = 1000  # rows per answer
    allow_bronze: bool = False  # raw bronze payloads are off limits by default


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
