"""Run one source: cursors → dlt resources (pages) → bronze writer → manifest → cursors → runs.

No HTTP and no transforms here: sources yield `Page`s, this wires them to the bronze core and
keeps the audit trail. Cursors of a resource are committed only after every part it wrote is
published, so a failed run never leaves a cursor ahead of the data; pages already written by a
failed run are published (they are complete, valid records) and re-read by the next run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
import secrets as pysecrets
from collections import defaultdict

import orjson

from pipelines import signals
from pipelines.bronze.ledger import append_run, read_cursors, upsert_cursors
from pipelines.bronze.lock import SourceLock
from pipelines.bronze.storage import BronzeRoot
from pipelines.bronze.writer import BronzeWriter
from pipelines.dlt.http import HttpStats
from pipelines.dlt.pending import load_pending
from pipelines.dlt.resources import get
from pipelines.dlt.streams import BACKFILL, INCREMENTAL, MODES, Page, StreamSpec, SyncContext
from pipelines.drift import PathCollector
from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.progress import Progress
from pipelines.schedules import ScheduleSettings, parse_schedule, stream_schedule
from pipelines.secrets import redact
from pipelines.selectors import scoped_streams
from pipelines.settings import Settings
from pipelines.sources import SOURCE_NAMES, SourceSettings
from pipelines.timeutil import parse_iso, utc_now

log = logging.getLogger("pipelines.run")
REJECTED_STREAM = "_rejected"


@dataclasses.dataclass
class RunResult:
    """What one run did; also the row appended to runs.parquet."""

    run_id: str
    source: str
    mode: str
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    status: str = "running"
    counts: dict = dataclasses.field(
        default_factory=lambda: defaultdict(lambda: {"fetched": 0, "written": 0, "skipped": 0})
    )
    files: list[dict] = dataclasses.field(default_factory=list)
    stats: HttpStats = dataclasses.field(default_factory=HttpStats)
    gaps: list = dataclasses.field(default_factory=list)
    error: DplError | None = None
    scopes: tuple[str, ...] | None = None  # the units of a scoped run (PROJECT=, REPO=, JOB=); None: every unit

    @property
    def records_written(self) -> int:
        return sum(c["written"] for c in self.counts.values())

    def audit_row(self) -> dict:
        return {
            "run_id": self.run_id,
            "source": self.source,
            "mode": self.mode,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "status": self.status,
            "streams": orjson.dumps(dict(self.counts)).decode(),
            "records_written": self.records_written,
            "files_published": len(self.files),
            "api_calls": self.stats.api_calls,
            "retries": self.stats.retries,
            "rate_limit_waits_s": round(self.stats.rate_limit_waits_s, 3),
            "error_class": str(self.error.error_class) if self.error else None,
            "error_message": redact(self.error.message) if self.error else None,
            "gaps": orjson.dumps([{**dataclasses.asdict(g), "message": redact(g.message)} for g in self.gaps]).decode(),
            "scope": ",".join(self.scopes) if self.scopes else None,
        }


RUN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")


def new_run_id(now: dt.datetime) -> str:
    """Sortable, unique: 20261121T233000Z-a1b2c3."""
    return f"{now:%Y%m%dT%H%M%SZ}-{pysecrets.token_hex(3)}"


def run_source(
    settings: Settings,
    source: str,
    mode: str = INCREMENTAL,
    streams: tuple[str, ...] | None = None,
    backfill_days: int | None = None,
    env: dict | None = None,
    run_id: str | None = None,
    scopes: tuple[str, ...] | None = None,
) -> RunResult:
    """Run one source end to end under its lock; always appends an audit row once locked.

    `run_id` lets a caller that starts the run in a child process find its audit row afterwards.
    `scopes` limits the run to these units (project keys, repositories, jobs: the source's `SCOPE_VAR`):
    only the streams whose cursors are per unit run, and only those units' cursors move.
    """
    if mode not in MODES:
        raise ConfigError(f"mode {mode!r}: expected one of {', '.join(MODES)}")
    try:
        module = get(source)
        source_settings = settings.source(source)
    except KeyError:
        raise ConfigError(f"unknown source {source!r}: expected one of {', '.join(SOURCE_NAMES)}") from None
    if run_id is not None and not RUN_ID.fullmatch(run_id):
        raise ConfigError(f"run id {run_id!r}: expected the form 20261121T233000Z-a1b2c3")
    secrets = module.read_env(os.environ if env is None else env)
    _check_streams(module.STREAMS, streams, source_settings)
    if scopes:
        scopes = module.check_scopes(source_settings, secrets, scopes)
        streams = scoped_streams(source, module.SCOPED_STREAMS, streams, source_settings)
    bronze_dir = settings.bronze_dir
    started = utc_now()
    result = RunResult(run_id or new_run_id(started), source, mode, started, scopes=scopes or None)
    with SourceLock(bronze_dir, source, settings.bronze.lock_lease_s, result.run_id):
        ctx = SyncContext(
            source=source,
            settings=source_settings,
            time=settings.time,
            secrets=secrets,
            mode=mode,
            cursors=read_cursors(bronze_dir, source),
            backfill_days=backfill_days,
            streams=streams,
            scopes=scopes or None,
            started_at=started,
            http=result.stats,
            http_policy=settings.http,
            schedules=_schedules(source_settings, settings.alerts.schedule),
            schedule_grace=dt.timedelta(minutes=float(settings.alerts.schedule.grace_minutes)),
            pending=load_pending(bronze_dir, source, source_settings),
        )
        writer = BronzeWriter(bronze_dir, source, result.run_id, settings.bronze)
        removed = writer.clear_dead_runs()  # we hold the lock: whatever is staged belongs to a dead run
        if removed:
            log.info("%s: removed %d temp file(s) left by dead runs: %s", source, len(removed), ", ".join(removed[:5]))
        # Every selected stream shows in the audit row, with zeros when it had nothing new.
        result.counts.update({s: {"fetched": 0, "written": 0, "skipped": 0} for s in module.STREAMS if ctx.wants(s)})
        progress = Progress(source, result.stats, settings.time.progress_interval_s, totals=ctx.totals)
        drift = PathCollector()
        log.info("%s: run %s started (%s)", source, result.run_id, mode)
        try:
            for resource in module.source(ctx).resources.values():
                _run_resource(resource, module.STREAMS, writer, ctx, result, progress, drift)
        except BaseException as exc:
            result.error = classify(exc)
            stop = signals.interruption(exc)
            if stop is not None or not isinstance(exc, Exception):  # a signal: publish whole pages, record, stop
                result.ended_at = utc_now()
                result.status = "failed"
                _finish(writer, result, bronze_dir)
                if stop is None or stop is exc:
                    raise
                raise stop from exc  # the signal's stop, not the wrapper a library put around it
        finally:
            progress.close()
        _finish(writer, result, bronze_dir, ctx)
        _commit_drift(drift, bronze_dir, result)
    return result


def _schedules(source_settings: SourceSettings, policy: ScheduleSettings) -> dict[str, dt.timedelta | None]:
    """Each stream's unit schedule as an interval (None = manual)."""
    return {name: parse_schedule(stream_schedule(stream, policy)) for name, stream in source_settings.streams.items()}


def _commit_drift(drift: PathCollector, bronze_dir: BronzeRoot, result: RunResult) -> None:
    """Record new/vanished JSON paths; drift bookkeeping never fails a run."""
    try:
        drift.commit(bronze_dir, result.source, result.run_id, complete=result.status != "failed")
    except Exception as exc:
        log.warning("%s: schema drift not recorded: %s", result.source, redact(exc))


def _run_resource(
    resource,
    specs: dict[str, StreamSpec],
    writer: BronzeWriter,
    ctx: SyncContext,
    result: RunResult,
    progress: Progress,
    drift: PathCollector,
) -> None:
    """Write every page of one resource, publish its parts, then save the work it left owed (pending.py),
    then commit its cursors."""
    pending: dict[tuple[str, str], tuple[str | None, object]] = {}
    touched: set[str] = set()
    for page in resource:
        if not isinstance(page, Page):
            raise DplError(ErrorClass.INTERNAL, f"resource {resource.name} yielded {type(page).__name__}, not a Page")
        spec = specs[page.stream]
        written, cursor = _write_page(page, spec, writer, ctx, result)
        drift.observe(page.stream, page.records)
        touched.add(page.stream)
        key = (page.stream, page.scope)
        if page.checkpoint is not None:
            pending[key] = (spec.cursor_field, page.checkpoint)
        elif cursor is not None and (key not in pending or cursor > pending[key][1]):
            pending[key] = (spec.cursor_field, cursor)
        progress.update(page.stream, written, page.scope, empty=not page.records)
    for stream in [*sorted(touched), REJECTED_STREAM]:
        writer.publish(stream)
    result.files = list(writer.published)
    ctx.pending.commit(writer.root, ctx.source, result.run_id)
    if ctx.scopes:  # a scoped run read some units of a stream: a whole-stream cursor would claim all of them
        pending = {key: value for key, value in pending.items() if key[1] != "*"}
    upsert_cursors(writer.root, ctx.source, result.run_id, _without_gaps(pending, ctx))


def _without_gaps(pending: dict, ctx: SyncContext) -> dict:
    """In a backfill, keep a time cursor where it is unless the window reached back to it.

    A backfill reads [now - N days, now]. If the stored cursor is older than that window (or there
    is none), moving it to "now" would skip the time between the cursor and the window start.
    """
    if ctx.mode != BACKFILL:
        return pending
    start = ctx.started_at - dt.timedelta(days=ctx.backfill_days or 0)
    kept = {}
    for key, value in pending.items():
        stored = ctx.cursors.get(key)
        try:
            reached = stored is not None and parse_iso(stored) >= start
        except ValueError:
            reached = stored is not None  # numeric cursors: sources checkpoint them explicitly
        if reached:
            kept[key] = value
        else:
            log.info(
                "%s/%s: backfill window starts after the stored cursor of %s; cursor kept", ctx.source, key[0], key[1]
            )
    return kept


def _write_page(page: Page, spec: StreamSpec, writer: BronzeWriter, ctx: SyncContext, result: RunResult):
    """Write a page; records without a usable id go to the `_rejected` stream with a reason."""
    counts = result.counts[page.stream]
    counts["fetched"] += len(page.records) + page.skipped
    counts["skipped"] += page.skipped
    good, ids, cursors, parents, rejected, rejected_parents = [], [], [], [], [], []
    cursor_of = spec.cursor_of
    per_record = page.parents
    for index, record in enumerate(page.records):
        parent = per_record[index] if per_record is not None else page.parent
        record_id = spec.id_of(record, parent) if isinstance(record, dict) else None
        if isinstance(record_id, bool) or not isinstance(record_id, str | int) or record_id == "":
            rejected.append(record)
            rejected_parents.append(parent)
            continue
        good.append(record)
        ids.append(record_id)
        cursors.append(cursor_of(record) if cursor_of else None)
        parents.append(parent)
    utf8 = ctx.http.take_utf8_errors() if ctx.http else 0
    written = writer.write_page(
        page.stream, good, ids, cursors, page.parent, utf8, parents if per_record is not None else None
    )
    counts["written"] += written
    if rejected:
        counts["skipped"] += len(rejected)
        reason = f"record without a usable id ({spec.primary_key})"
        reasons = [{"stream": page.stream, "reason": reason, "parent": p} for p in rejected_parents]
        writer.write_page(REJECTED_STREAM, rejected, [None] * len(rejected), [None] * len(rejected), None, 0, reasons)
        log.warning(
            "%s/%s: %d record(s) without a usable id quarantined in %s",
            ctx.source,
            page.stream,
            len(rejected),
            REJECTED_STREAM,
        )
    present = [c for c in cursors if c is not None]
    return written, (max(present) if present else None)


def _finish(writer: BronzeWriter, result: RunResult, bronze_dir: BronzeRoot, ctx: SyncContext | None = None) -> None:
    """Publish what was written, set the status and append the audit row (`written`: published rows only)."""
    try:
        writer.close()
    except DplError as exc:
        writer.discard()
        result.error = result.error or exc
    result.files = list(writer.published)
    result.gaps = list(ctx.gaps) if ctx else []
    for stream in ctx.not_refreshed if ctx else ():  # not attempted: its unit's last run stays the last refresh
        if result.counts.get(stream) == {"fetched": 0, "written": 0, "skipped": 0}:
            del result.counts[stream]
    _count_published(result)
    result.ended_at = result.ended_at or utc_now()
    result.status = "failed" if result.error else ("partial" if result.gaps else "success")
    try:
        append_run(bronze_dir, result.source, result.audit_row())
    except DplError as exc:
        if result.error is None:
            raise
        # the run's own error first: it is why the run failed; the audit row's loss comes second
        raise DplError(
            result.error.error_class,
            f"{result.error.message}; and its audit row was not saved: [{exc.error_class}] {exc.message}",
            status=result.error.status,
            advice=f"{result.error.advice}; {exc.advice}",
        ) from None
    level = logging.ERROR if result.error else logging.INFO
    log.log(level, "%s: run %s %s", result.source, result.run_id, result.status)


def _count_published(result: RunResult) -> None:
    """Each stream's `written`: the rows of its parts that were published (in the manifest), not the pages
    handed to the writer — a part dropped by a failed write or publish holds records nobody can read."""
    published: dict[str, int] = defaultdict(int)
    for row in result.files:
        published[row["stream"]] += int(row["rows"] or 0)
    for stream, counts in result.counts.items():
        counts["written"] = published.get(stream, 0)


def classify(exc: BaseException) -> DplError:
    """The DplError behind an exception (dlt wraps what resources raise), or an INTERNAL one."""
    stop = signals.interruption(exc)
    if stop is not None:  # first: a signal may land while an API error is being handled (a retry's wait)
        return DplError(ErrorClass.INTERRUPTED, signals.describe(stop))
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, DplError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    log.debug("unexpected error", exc_info=exc)
    return DplError(ErrorClass.INTERNAL, redact(f"{type(exc).__name__}: {exc}"))


def _check_streams(specs: dict, streams: tuple[str, ...] | None, settings: SourceSettings) -> None:
    unknown = sorted(set(streams or ()) - set(specs))
    if unknown:
        raise ConfigError(f"unknown stream(s) {', '.join(unknown)}: expected some of {', '.join(sorted(specs))}")
    disabled = sorted(s for s in streams or () if not settings.stream(s).enabled)
    if disabled:
        raise ConfigError(
            f"stream(s) {', '.join(disabled)} disabled in sources.yaml (enabled: false): enable them there to sync them"
        )
