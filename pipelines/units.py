"""Units (source × stream): their settings, last run, failure backoff and when they are next due.

Everything is derived from the ledgers, so there is no extra state to corrupt: a unit's runs are
the rows of `runs.parquet` whose `streams` JSON names it (a row with an empty `streams` — a run
that failed before its first page — counts for every stream of the source; scoped runs and cursor
resets do not count). Failed runs in a row
with the same error class back the unit's schedule off exponentially (capped); any other outcome
restores it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import orjson

from pipelines.bronze.ledger import RESET_MODE, bronze_sources, read_ledger
from pipelines.drift import drift_label, latest_changes
from pipelines.schedules import (
    ScheduleSettings,
    backoff_multiplier,
    failure_streak,
    next_due_at,
    parse_schedule,
    stream_schedule,
)
from pipelines.sources import BASE_URL_VARS, SOURCE_NAMES


@dataclasses.dataclass
class LastRun:
    """The latest run that attempted a unit."""

    run_id: str
    status: str
    mode: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    written: int | None  # records written for this stream (None: the run recorded no count for it)
    error_class: str | None


@dataclasses.dataclass
class Unit:
    """One stream of one source, with everything `units` shows and `sync-due` decides on."""

    source: str
    stream: str
    enabled: bool
    mode: str
    primary_key: str | None
    cursor_field: str | None
    schedule: str  # as configured, or the default for the mode (see `schedule_default`)
    schedule_default: bool
    interval: dt.timedelta | None  # None = manual
    configured: bool  # the source module exists and its base URL variable is set
    reason: str = ""  # why it is not configured / not runnable
    last: LastRun | None = None
    rows_total: int = 0  # rows in the manifest
    failures: int = 0  # failed runs in a row with the same error class
    failure_class: str | None = None
    backoff: float = 1.0  # multiplier applied to `interval`
    next_due: dt.datetime | None = None  # None: never run (due now) or not schedulable
    drift: str = ""  # last change of the stream's JSON paths: "+new −vanished date"

    @property
    def runnable(self) -> bool:
        """Can `sync-due` run it at all (configured, enabled, scheduled)?"""
        return self.configured and self.enabled and self.interval is not None

    @property
    def state(self) -> str:
        """One word for humans: not-configured, disabled, manual, never-run, backoff, failing, ok, partial."""
        if not self.configured:
            return "not-configured"
        if not self.enabled:
            return "disabled"
        if self.last is None:
            return "never-run" if self.interval else "manual"
        if self.failures and self.backoff > 1:
            return "backoff"
        if self.last.status == "failed":
            return "failing"
        return "ok" if self.last.status == "success" else self.last.status

    def due(self, now: dt.datetime, grace: dt.timedelta = dt.timedelta(0)) -> bool:
        """Is it runnable and due at `now` (within `grace`)?"""
        return self.runnable and (self.next_due is None or self.next_due <= now + grace)


def select_due(units: list[Unit], now: dt.datetime, grace: dt.timedelta = dt.timedelta(0)) -> dict[str, list[str]]:
    """{source: [streams due at `now`]} in source and stream order — what `sync-due` runs."""
    plan: dict[str, list[str]] = {}
    for unit in units:
        if unit.due(now, grace):
            plan.setdefault(unit.source, []).append(unit.stream)
    return plan


def _stream_counts(row: dict) -> dict:
    try:
        counts = orjson.loads(row.get("streams") or "{}")
    except orjson.JSONDecodeError:
        return {}
    return counts if isinstance(counts, dict) else {}


def attempted_streams(row: dict) -> set[str] | None:
    """Streams a runs.parquet row attempted; None when it names none (it counts for every enabled stream)."""
    return set(_stream_counts(row)) or None


def list_units(settings, env=None) -> list[Unit]:
    """Every unit of every source module, plus bronze sources without a module (listed, not invented)."""
    env = os.environ if env is None else env
    policy = settings.alerts.schedule
    units: list[Unit] = []
    names = [name for name in SOURCE_NAMES if name in settings.sources]
    for source in names:
        units += _source_units(settings, source, env, policy)
    for source in bronze_sources(settings.bronze_dir):
        if source not in names and read_ledger(settings.bronze_dir, source, "runs"):
            units += _orphan_units(settings, source)
    return units


def _source_units(settings, source: str, env, policy: ScheduleSettings) -> list[Unit]:
    config = settings.source(source)
    base_url_var = BASE_URL_VARS[source]
    configured = bool(env.get(base_url_var))
    reason = "" if configured else f"{base_url_var} is not set"
    runs, rows_total = _history(settings.bronze_dir, source)
    changes = latest_changes(settings.bronze_dir, source)
    units = []
    for stream, stream_config in config.streams.items():
        mode = stream_config.mode
        schedule = stream_schedule(stream_config, policy)
        enabled = config.enabled and stream_config.enabled
        unit = Unit(
            source=source,
            stream=stream,
            enabled=enabled,
            mode=mode,
            primary_key=stream_config.primary_key,
            cursor_field=stream_config.cursor_field,
            schedule=schedule,
            schedule_default=stream_config.schedule is None,
            interval=parse_schedule(schedule),
            configured=configured,
            reason=reason if enabled else ("source disabled in sources.yaml" if not config.enabled else "disabled"),
            rows_total=rows_total.get(stream, 0),
            drift=drift_label(changes.get(stream)),
        )
        _apply_history(unit, runs, policy)
        units.append(unit)
    return units


def _orphan_units(settings, source: str) -> list[Unit]:
    runs, rows_total = _history(settings.bronze_dir, source)
    streams = sorted({s for row in runs for s in (attempted_streams(row) or ())} | set(rows_total))
    units = []
    for stream in streams:
        unit = Unit(source, stream, False, "?", None, None, "manual", False, None, False, "no source module")
        unit.rows_total = rows_total.get(stream, 0)
        _apply_history(unit, runs, None)
        units.append(unit)
    return units


def _history(bronze_dir, source: str) -> tuple[list[dict], dict[str, int]]:
    # A scoped run (PROJECT=, REPO=, JOB=) read some units' data, a reset dropped cursors: neither refreshed
    # a unit as a whole, so neither is its last run.
    runs = [r for r in read_ledger(bronze_dir, source, "runs") if not r["scope"] and r["mode"] != RESET_MODE]
    runs.sort(key=lambda r: (r["started_at"], r["run_id"]))
    totals: dict[str, int] = {}
    for row in read_ledger(bronze_dir, source, "manifest"):
        totals[row["stream"]] = totals.get(row["stream"], 0) + (row["rows"] or 0)
    return runs, totals


def _apply_history(unit: Unit, runs: list[dict], policy: ScheduleSettings | None) -> None:
    mine = [
        r for r in runs if unit.stream in ((names := attempted_streams(r)) or ()) or (names is None and unit.enabled)
    ]
    if not mine:
        return
    row = mine[-1]
    counts = _stream_counts(row).get(unit.stream)
    unit.last = LastRun(
        row["run_id"],
        row["status"],
        row["mode"],
        row["started_at"],
        row["ended_at"],
        counts.get("written") if counts else None,
        row["error_class"],
    )
    unit.failures, unit.failure_class = failure_streak(mine)
    if policy is None or unit.interval is None:
        return
    unit.backoff = backoff_multiplier(unit.failures, policy.backoff_factor)
    cap = dt.timedelta(minutes=policy.backoff_max_minutes)
    unit.next_due = next_due_at(row["started_at"], unit.interval, unit.backoff, cap)
