"""The `http:` section of config/sources.yaml: timeouts, retries, pacing and concurrency, with their defaults.

The dataclass's field defaults are the defaults; `HTTP_SCHEMA` validates the section and names
exactly the dataclass's fields.
"""

from __future__ import annotations

import dataclasses

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
    | {"max_attempts": {"type": "integer", "minimum": 1}, "max_concurrency": {"type": "integer", "minimum": 1}},
}


@dataclasses.dataclass(frozen=True)
class HttpPolicy:
    """Retry and pacing settings (config/sources.yaml `http:`)."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    max_attempts: int = 6  # per call, first try included
    max_elapsed_s: float = 600.0  # give up on one call after this long
    backoff_base_s: float = 1.0  # exponential backoff with jitter: ~1, 2, 4, 8 ... s
    backoff_max_s: float = 60.0
    max_retry_after_s: float = 300.0  # cap on a server's Retry-After (and on pacing waits)
    slow_down_below: float = 0.1  # pace calls when X-RateLimit-Remaining < this share of the limit
    max_concurrency: int = 4  # calls in flight at once per source (1 = one call at a time)

    @classmethod
    def from_settings(cls, settings: dict | None) -> HttpPolicy:
        """The policy of a `http:` section; unknown keys are ignored, missing ones take the defaults."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (settings or {}).items() if k in known})
