"""What the HTML report shows, read from the bronze ledgers, the drift events and the warehouse (read-only)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

import duckdb

from pipelines.bronze.ledger import bronze_sources, read_ledger
from pipelines.bronze.storage import BronzeRoot
from pipelines.cursor_values import cursor_time, describe_cursor
from pipelines.drift import read_drift
from pipelines.errors import DplError
from pipelines.report.dora import Dora, read_dora
from pipelines.report.progress import Progress, read_progress
from pipelines.secrets import redact
from pipelines.silver.warehouse import available, connect
from pipelines.sources import SOURCE_NAMES
from pipelines.units import Unit, list_units

MAX_RUNS = 60
MAX_DRIFT = 100


@dataclasses.dataclass
class SourceData:
    """One source's ledgers, shaped for the report."""

    name: str
    days: list[str]  # YYYY-MM-DD, the last N days (report time zone)
    rows_per_day: dict[str, list[int]]  # stream -> rows per day
    bytes_per_day: dict[str, list[int]]
    streams: list[dict]  # stream, files, rows, bytes, last_written
    runs: list[dict]  # oldest first, with duration_s
    cursors: list[dict]  # stream, scope, cursor_value, cursor_age_h, updated_age_h
    drift: list[dict]  # new/vanished events, newest first
    drift_paths: dict[str, int]  # stream -> paths in its baseline + changes


@dataclasses.dataclass
class ReportData:
    """Everything on the page."""

    generated_at: dt.datetime
    timezone: str
    days: int
    sources: list[SourceData]
    units: list[Unit]
    anomalies: list[dict]  # anomaly_type, severity, findings
    anomalies_note: str  # why there are none to show ('' when read fine)
    dora: Dora | None = None  # the last weeks of DORA metrics (gold `dora_weekly`)
    progress: Progress | None = None  # release and epic progress (gold `release_progress`, `epic_progress`)


def collect(settings, days: int = 30, now: dt.datetime | None = None, env=None) -> ReportData:
    """Read every source's ledgers, drift events, units and the anomaly summary."""
    now = now or dt.datetime.now(dt.UTC)
    tz_name = settings.time.report_timezone
    tz = zoneinfo.ZoneInfo(tz_name)
    root = settings.bronze_dir
    names = list(SOURCE_NAMES)
    names += [name for name in bronze_sources(root) if name not in names and read_ledger(root, name, "runs")]
    sources = [_source(root, name, days, now, tz) for name in names]
    anomalies, note = read_anomalies(settings.warehouse)
    dora = read_dora(settings.warehouse, settings.delivery.dora_weeks)
    progress = read_progress(settings.warehouse)
    return ReportData(now, tz_name, days, sources, list_units(settings, env), anomalies, note, dora, progress)


def _source(root: BronzeRoot, name: str, days: int, now: dt.datetime, tz) -> SourceData:
    today = now.astimezone(tz).date()
    labels = [(today - dt.timedelta(days=days - 1 - i)).isoformat() for i in range(days)]
    index = {label: i for i, label in enumerate(labels)}
    rows_per_day: dict[str, list[int]] = {}
    bytes_per_day: dict[str, list[int]] = {}
    streams: dict[str, dict] = {}
    for row in read_ledger(root, name, "manifest"):
        stream = row["stream"]
        entry = streams.setdefault(stream, {"stream": stream, "files": 0, "rows": 0, "bytes": 0, "last_written": None})
        entry["files"] += 1
        entry["rows"] += row["rows"] or 0
        entry["bytes"] += row["bytes"] or 0
        written = row["written_at"]
        if written and (entry["last_written"] is None or written > entry["last_written"]):
            entry["last_written"] = written
        day = index.get(written.astimezone(tz).date().isoformat()) if written else None
        if day is not None:
            rows_per_day.setdefault(stream, [0] * days)[day] += row["rows"] or 0
            bytes_per_day.setdefault(stream, [0] * days)[day] += row["bytes"] or 0
    runs = read_ledger(root, name, "runs")
    runs.sort(key=lambda r: (r["started_at"], r["run_id"]))
    for run in runs:
        ended = run["ended_at"]
        run["duration_s"] = (ended - run["started_at"]).total_seconds() if ended else 0.0
        run["error_message"] = redact(run["error_message"]) if run["error_message"] else None
    drift = read_drift(root, name)
    paths: dict[str, int] = {}
    for event in drift:
        paths[event["stream"]] = paths.get(event["stream"], 0) + (-1 if event["change"] == "vanished" else 1)
    changes = [e for e in drift if e["change"] != "baseline"][-MAX_DRIFT:]
    return SourceData(
        name,
        labels,
        rows_per_day,
        bytes_per_day,
        sorted(streams.values(), key=lambda s: s["stream"]),
        runs[-MAX_RUNS:],
        [_freshness(row, now) for row in read_ledger(root, name, "cursors")],
        list(reversed(changes)),
        paths,
    )


def _freshness(row: dict, now: dt.datetime) -> dict:
    """A cursor row with its age: of the time its value stands for (if any), and of its last update."""
    value = row["cursor_value"]
    moment = cursor_time(row["cursor_field"], value)
    cursor_age = (now - moment).total_seconds() / 3600 if moment else None
    updated = row["updated_at"]
    return {
        "stream": row["stream"],
        "scope": row["scope"],
        "cursor_field": row["cursor_field"],
        "cursor_value": value,
        "cursor_text": describe_cursor(row["cursor_field"], value),
        "cursor_age_h": cursor_age,
        "updated_at": updated,
        "updated_age_h": (now - updated).total_seconds() / 3600 if updated else None,
    }


def read_anomalies(warehouse) -> tuple[list[dict], str]:
    """([{anomaly_type, severity, findings}], note): the `anomalies` view, read-only; a note when unreadable."""
    if not available(warehouse):
        return [], f"no warehouse yet at {warehouse} (run `make silver`)"
    try:
        with connect(warehouse, read_only=True) as con:
            names = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
            if "anomalies" not in names:
                return [], "the warehouse has no `anomalies` view yet (run `make silver`)"
            rows = con.execute(
                "select anomaly_type, severity, count(*) as findings from anomalies group by all "
                "order by findings desc, anomaly_type"
            ).fetchall()
    except DplError as exc:
        return [], redact(exc.message)
    except (duckdb.Error, OSError) as exc:
        return [], redact(f"the warehouse could not be read ({type(exc).__name__}: {str(exc).splitlines()[0]})")
    return [{"anomaly_type": t, "severity": s, "findings": int(n)} for t, s, n in rows], ""
