"""The contract between source modules and the runner: stream specs, pages and the sync context.

A source module (`pipelines/dlt/resources/<source>.py`) declares `STREAMS` (one `StreamSpec` per
bronze stream) and a `@dlt.source` whose resources yield `Page` objects — never single records.
The runner writes each page through the bronze writer and commits cursors once the files that
hold a page are published.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from pipelines.dlt.http import ApiClient, CallGate, HttpPolicy, HttpStats, make_client, make_gate
from pipelines.dlt.pending import PendingWork
from pipelines.sources import SourceSettings, StreamSettings
from pipelines.timeutil import TimeSettings, parse_iso, to_utc_iso, utc_now

FULL = "full"
INCREMENTAL = "incremental"
BACKFILL = "backfill"
MODES = (FULL, INCREMENTAL, BACKFILL)
REFRESH = "*"  # the pending-work key of a catalog refresh owed (pending.py)


@dataclasses.dataclass(frozen=True)
class StreamSpec:
    """A bronze stream: how to get a record's stable id and cursor value."""

    name: str
    primary_key: str  # documentation of the key, e.g. "id" or "repo_full_name#id"
    id_of: Callable[[dict, Any], Any]  # (record, page.parent) -> id (str or int)
    cursor_field: str | None = None  # documentation, e.g. "fields.updated"
    cursor_of: Callable[[dict], str | int | None] | None = None  # normalised: UTC ISO or int


@dataclasses.dataclass
class Page:
    """A page of records of one stream, exactly as the API returned them.

    `scope` is the cursor scope (project key, repo full name, job full name, or "*").
    `parent` lands in every record's `__parent` (context the payload lacks); `parents`, when set,
    gives one parent per record instead (a page gathering the children of many issues: fewer,
    bigger pages are cheaper to iterate and write).
    `checkpoint`, when set, is the cursor value to commit for (stream, scope) once this page
    is published; otherwise the runner commits the max `cursor_of` over published records.
    `fetched` counts records the API returned for this page that are not in `records`
    (filtered duplicates, for example); they show as `skipped` in runs.parquet.
    """

    stream: str
    records: list[dict]
    scope: str = "*"
    parent: Any = None
    checkpoint: str | int | None = None
    skipped: int = 0
    parents: list | None = None


@dataclasses.dataclass
class Gap:
    """Something the run could not read, recorded instead of failing the whole run."""

    stream: str
    scope: str
    error_class: str
    message: str


@dataclasses.dataclass
class SyncContext:
    """Everything a source needs for one run, passed in explicitly (no globals, no os.environ)."""

    source: str
    settings: SourceSettings  # the source's section of config/sources.yaml, defaults applied
    time: TimeSettings  # config/time.yaml
    secrets: dict[str, str]  # the source's environment variables (URLs, users, tokens)
    mode: str = INCREMENTAL
    cursors: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)
    backfill_days: int | None = None
    streams: tuple[str, ...] | None = None  # restrict to these streams (None = all enabled)
    scopes: tuple[str, ...] | None = None  # restrict to these units (project keys, repositories, jobs)
    started_at: dt.datetime = dataclasses.field(default_factory=utc_now)
    gaps: list[Gap] = dataclasses.field(default_factory=list)
    log: logging.Logger = dataclasses.field(default_factory=lambda: logging.getLogger("pipelines"))
    http: HttpStats = dataclasses.field(default_factory=HttpStats)  # the run's counters, shared by every client
    http_policy: HttpPolicy = dataclasses.field(default_factory=HttpPolicy)  # sources.yaml `http:`
    # Each stream's unit schedule (None = manual) and the grace of `sync-due`: when catalogs are due.
    schedules: dict[str, dt.timedelta | None] = dataclasses.field(default_factory=dict)
    schedule_grace: dt.timedelta = dt.timedelta(0)
    not_refreshed: set[str] = dataclasses.field(default_factory=set)  # catalogs this run left as they were
    pending: PendingWork = dataclasses.field(default_factory=PendingWork)  # work owed for what was read (pending.py)
    totals: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)  # (stream, scope): records to read
    _gate: CallGate | None = dataclasses.field(default=None, init=False, repr=False)

    @property
    def gate(self) -> CallGate:
        """The run's one gate: every client of this source shares its concurrency bound, pacing and holds."""
        if self._gate is None:
            self._gate = make_gate(self.http_policy)
        return self._gate

    @property
    def max_concurrency(self) -> int:
        """Calls this source may have in flight at once (sources.yaml `http.max_concurrency`)."""
        return self.gate.max_concurrency

    def client(self, base_url: str, auth: Any = None, **kwargs: Any) -> ApiClient:
        """A REST client for this run: counted in `self.http`, retrying per `self.http_policy`, through `self.gate`."""
        return make_client(base_url, auth, self.http, self.http_policy, self.source, gate=self.gate, **kwargs)

    def stream_settings(self, stream: str) -> StreamSettings:
        return self.settings.stream(stream)

    def wants(self, stream: str) -> bool:
        """Is the stream enabled in config and selected for this run?"""
        if self.streams is not None and stream not in self.streams:
            return False
        return self.stream_settings(stream).enabled

    def stream_mode(self, stream: str) -> str:
        """The effective mode: a FULL stream is always full; backfill and full runs win otherwise."""
        if self.stream_settings(stream).is_full:
            return FULL
        return self.mode

    def cursor(self, stream: str, scope: str = "*") -> str | None:
        return self.cursors.get((stream, scope))

    def since(self, stream: str, scope: str = "*") -> dt.datetime | None:
        """Lower bound of the window for a time-cursored stream, or None for everything.

        incremental: stored cursor minus the safety window (None when no cursor yet);
        backfill: now minus `backfill_days`; full: None.
        """
        mode = self.stream_mode(stream)
        if mode == FULL:
            return None
        if mode == BACKFILL:
            return self.started_at - dt.timedelta(days=self.backfill_days or 0)
        value = self.cursor(stream, scope)
        if value is None:
            return None
        return parse_iso(value) - dt.timedelta(minutes=float(self.time.safety_window_minutes))

    def refresh_due(self, stream: str) -> bool:
        """Is a catalog (a stream re-read whole) due for a refresh in this run?

        Always in full and backfill runs and when the run names the stream (`--streams`, as
        `sync-due` does for due units); otherwise when it was never refreshed, or its last complete
        refresh (its `*` cursor: the start of that run) is at least its schedule ago, within the
        grace of `sync-due`. A `manual` catalog is refreshed only when asked for by name.
        """
        if self.mode != INCREMENTAL or (self.streams is not None and stream in self.streams):
            return True
        last = self.cursor(stream)
        if last is None:
            return True
        interval = self.schedules.get(stream)
        if interval is None:
            return False
        try:
            return self.started_at - parse_iso(last) >= interval - self.schedule_grace
        except ValueError:
            return True

    def refreshed_checkpoint(self, stream: str, scope: str = "*") -> Page:
        """The empty page that records a complete refresh of a catalog: its cursor becomes this run's start,
        and a refresh owed to it (pending work) is paid once the page is published."""
        if scope == "*" and not self.scopes:  # a scoped run refreshes part of the catalog: the refresh stays owed
            self.pending.resolve(stream, [REFRESH])
        return Page(stream, [], scope, checkpoint=to_utc_iso(self.started_at))

    def owe(self, stream: str, key: str) -> None:
        """Note work `stream` owes for what this run read (kept until done, across runs; see pending.py).
        Nothing is noted for a stream disabled in sources.yaml."""
        if self.stream_settings(stream).enabled:
            self.pending.add(stream, key)

    def expect(self, stream: str, scope: str, total: object) -> None:
        """Note how many records a scope of a stream holds, when the API says (progress lines show an ETA)."""
        if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
            self.totals[(stream, scope)] = total

    def record_gap(self, stream: str, scope: str, error_class: str, message: str) -> None:
        self.gaps.append(Gap(stream, scope, str(error_class), message))
        self.log.warning("%s/%s: gap recorded for %s: [%s] %s", self.source, stream, scope, error_class, message)


def cursor_from(path: tuple[str, ...]) -> Callable[[dict], str | None]:
    """A `cursor_of` that reads a timestamp at `path` and normalises it to UTC ISO."""

    def cursor_of(record: dict) -> str | None:
        value: Any = record
        try:
            for key in path:
                value = value[key]
            return None if value is None else to_utc_iso(value)
        except (KeyError, TypeError, ValueError, IndexError):
            return None

    return cursor_of


def id_from(key: str = "id") -> Callable[[dict, Any], Any]:
    """An `id_of` that reads one top-level key."""

    def id_of(record: dict, parent: Any) -> Any:
        return record.get(key)

    return id_of
