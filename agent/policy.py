"""config/ai_policy.yaml: what the agent/ tools (AI assistants querying the warehouse) may read.

The policy is enforced by construction (agent/sandbox.py): a session holds only views of the
allowed tables with the allowed columns, masked columns already masked inside the view.
"""

from __future__ import annotations

import dataclasses
import re


@dataclasses.dataclass(frozen=True)
class AiPolicy:
    """The policy; the field defaults are the defaults."""

    enabled: bool = True
    allowed_schemas: tuple[str, ...] = ("main",)  # warehouse schemas the agent may query
    allowed_tables: tuple[str, ...] = (".*",)  # regexes on table/view names (case-insensitive)
    denied_columns: tuple[str, ...] = ()  # regexes on `column` or `table.column`: absent from the session
    masked_columns: tuple[str, ...] = ()  # regexes on `column` or `table.column`: a keyed hash inside the view
    redact_patterns: tuple[str, ...] = ()  # regexes replaced by *** in every text column, inside the view
    max_rows: int = 1000  # rows per answer
    max_result_bytes: int = 262144  # bytes of JSON rows per answer
    timeout_s: float = 10.0  # wall clock per query; the query is interrupted after it
    memory_limit: str = "512MB"  # DuckDB memory_limit of a session
    threads: int = 2  # DuckDB threads of a session
    allow_bronze: bool = False  # raw bronze payloads (bronze_<source>_<stream>) are off limits by default
    audit: bool = True  # append every tool call to agent_audit.jsonl beside the warehouse

    def table_allowed(self, schema: str, table: str) -> bool:
        """Whether a warehouse relation (or a bronze view, schema "bronze") may be exposed."""
        if schema == "bronze":
            return self.allow_bronze and matches(self.allowed_tables, table)
        return schema.lower() in {s.lower() for s in self.allowed_schemas} and matches(self.allowed_tables, table)

    def column_denied(self, table: str, column: str) -> bool:
        return matches(self.denied_columns, column, f"{table}.{column}")

    def column_masked(self, table: str, column: str) -> bool:
        return matches(self.masked_columns, column, f"{table}.{column}")


def matches(patterns: tuple[str, ...], *names: str) -> bool:
    """True when any pattern fully matches any of the names, ignoring case."""
    return any(re.fullmatch(p, name, re.IGNORECASE) for p in patterns for name in names)


AI_POLICY_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "allowed_schemas": {"type": "array", "items": {"type": "string"}},
        "allowed_tables": {"type": "array", "items": {"type": "string", "format": "regex"}},
        "denied_columns": {"type": "array", "items": {"type": "string", "format": "regex"}},
        "masked_columns": {"type": "array", "items": {"type": "string", "format": "regex"}},
        "redact_patterns": {"type": "array", "items": {"type": "string", "format": "regex"}},
        "max_rows": {"type": "integer", "minimum": 1},
        "max_result_bytes": {"type": "integer", "minimum": 1024},
        "timeout_s": {"type": "number", "exclusiveMinimum": 0},
        "memory_limit": {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$"},
        "threads": {"type": "integer", "minimum": 1},
        "allow_bronze": {"type": "boolean"},
        "audit": {"type": "boolean"},
    },
}
