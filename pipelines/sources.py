"""The source registry, a leaf: which sources exist, what makes one "configured", their typed settings.

Silver, the report and the operations commands need the list of sources and each source's stream
settings, but not the API code: they import this module, never `pipelines.dlt`. The source modules
(`pipelines/dlt/resources/<name>/`) own their section of config/sources.yaml (`DEFAULTS`,
`CONFIG_SCHEMA`); `pipelines/settings.py` turns a validated section into `SourceSettings`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

SOURCE_NAMES: tuple[str, ...] = ("jira", "bitbucket", "jenkins")

# The variable whose presence makes a source "configured" (sync-all skips the others). Bitbucket's
# base URL has a default: its workspace is what a user must set.
BASE_URL_VARS: Mapping[str, str] = {
    "jira": "JIRA_BASE_URL",
    "bitbucket": "BITBUCKET_WORKSPACE",
    "jenkins": "JENKINS_BASE_URL",
}
# The unit scope of each source: what `sync --project/--repo/--job` (Make PROJECT=, REPO=, JOB=) names.
SCOPE_VARS: Mapping[str, str] = {"jira": "PROJECT", "bitbucket": "REPO", "jenkins": "JOB"}
STREAM_KEYS = ("enabled", "mode", "primary_key", "cursor_field", "schedule")


@dataclasses.dataclass(frozen=True)
class StreamSettings:
    """One stream's settings: the common keys, and the source-specific ones in `options`."""

    enabled: bool
    mode: str  # FULL | INCREMENTAL
    primary_key: str | None
    cursor_field: str | None
    schedule: str | None = None  # None: the default schedule of its mode (config/alerts.yaml)
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def is_full(self) -> bool:
        return self.mode.upper() == "FULL"

    def option(self, key: str) -> Any:
        """A source-specific key (its default comes from the source module's DEFAULTS)."""
        return self.options[key]


@dataclasses.dataclass(frozen=True)
class SourceSettings:
    """A source's section of config/sources.yaml, defaults applied."""

    name: str
    enabled: bool
    streams: Mapping[str, StreamSettings]
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def stream(self, name: str) -> StreamSettings:
        return self.streams[name]

    def option(self, key: str) -> Any:
        """A source-level key (projects, include, folder_depth, ...)."""
        return self.options[key]

    @classmethod
    def from_section(cls, name: str, section: Mapping) -> SourceSettings:
        """Typed settings from a validated section merged over its module's DEFAULTS."""
        streams = {
            stream: StreamSettings(
                enabled=bool(values["enabled"]),
                mode=str(values["mode"]).upper(),
                primary_key=values.get("primary_key"),
                cursor_field=values.get("cursor_field"),
                schedule=values.get("schedule"),
                options={k: v for k, v in values.items() if k not in STREAM_KEYS},
            )
            for stream, values in (section.get("streams") or {}).items()
        }
        options = {k: v for k, v in section.items() if k not in ("enabled", "streams")}
        return cls(name, bool(section["enabled"]), streams, options)
