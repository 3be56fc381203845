"""config/alerts.yaml: channels, triggers, default schedules and failure backoff (defaults in the dataclasses)."""

from __future__ import annotations

import dataclasses

from pipelines.config import SCHEDULE
from pipelines.schedules import ScheduleSettings


@dataclasses.dataclass(frozen=True)
class SlackSettings:
    """A Slack-compatible webhook (its URL, a secret, comes from DPL_SLACK_WEBHOOK_URL)."""

    enabled: bool = True
    timeout_s: float = 10
    username: str = "data-platform-light"


@dataclasses.dataclass(frozen=True)
class EmailSettings:
    """SMTP e-mail (the password, a secret, comes from DPL_SMTP_PASSWORD)."""

    enabled: bool = True
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # none | starttls | ssl
    username: str = ""
    sender: str = dataclasses.field(default="dpl@localhost", metadata={"key": "from"})
    to: tuple[str, ...] = ()
    subject_prefix: str = "[DPL]"
    timeout_s: float = 10


@dataclasses.dataclass(frozen=True)
class AlertsSettings:
    """When to alert and through which channels."""

    enabled: bool = True
    notify_on: tuple[str, ...] = ("failed", "partial")
    repeat_threshold: int = 3
    notify_recovery: bool = True
    schedule: ScheduleSettings = dataclasses.field(default_factory=ScheduleSettings)
    slack: SlackSettings = dataclasses.field(default_factory=SlackSettings)
    email: EmailSettings = dataclasses.field(default_factory=EmailSettings)


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
                "default_incremental": SCHEDULE,
                "default_full": SCHEDULE,
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
