"""Schedules of units: `every N m|h` or `manual`, default schedules, and the backoff after failures in a row.

The `schedule:` section of config/alerts.yaml (`ScheduleSettings`) and the pure functions that units,
`sync-due` and the alerts share.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re


@dataclasses.dataclass(frozen=True)
class ScheduleSettings:
    """Default schedules of units without their own, and the backoff after failures in a row."""

    default_incremental: str = "every 60m"
    default_full: str = "every 24h"
    grace_minutes: float = 5
    backoff_factor: float = 2
    backoff_max_minutes: float = 1440


_EVERY = re.compile(r"^every (\d+) ?(m|min|minutes|h|hours)$")


def parse_schedule(text: str) -> dt.timedelta | None:
    """`every 30m` / `every 2 hours` → its interval; `manual` → None."""
    if text == "manual":
        return None
    match = _EVERY.match(text)
    if not match:
        raise ValueError(f"schedule {text!r}: expected 'manual' or 'every N m|min|minutes|h|hours'")
    number = int(match.group(1))
    return dt.timedelta(hours=number) if match.group(2).startswith("h") else dt.timedelta(minutes=number)


def stream_schedule(stream_settings, policy: ScheduleSettings) -> str:
    """A stream's schedule: its own `schedule`, else the default of its mode (alerts.yaml `schedule:`)."""
    default = policy.default_full if stream_settings.is_full else policy.default_incremental
    return stream_settings.schedule or default


def backoff_multiplier(failures: int, factor: float) -> float:
    """1 for 0–1 failures in a row, then factor^(failures−1): 1, 2, 4, 8 … (capped by the caller)."""
    return float(factor) ** max(0, failures - 1)


def next_due_at(last_started: dt.datetime, interval: dt.timedelta, multiplier: float, cap: dt.timedelta):
    """When a unit last attempted at `last_started` is due again: interval × multiplier, at most `cap`."""
    wait = interval * multiplier if multiplier > 1 else interval
    if multiplier > 1:
        wait = min(wait, max(cap, interval))
    return last_started + wait


def failure_streak(rows: list[dict]) -> tuple[int, str | None]:
    """(failed runs at the end of `rows` in a row with the same error class, that class). A run stopped by
    a signal (INTERRUPTED: a cancelled job, Ctrl-C) is not the source failing: it is passed over."""
    count, klass = 0, None
    for row in reversed(rows):
        if row["status"] == "failed" and row["error_class"] == "INTERRUPTED":
            continue
        if row["status"] != "failed" or (count and row["error_class"] != klass):
            break
        count, klass = count + 1, row["error_class"]
    return count, klass
