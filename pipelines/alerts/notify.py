"""Decide whether a run deserves an alert, compose it, and deliver it through every configured channel."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

import orjson

from pipelines.alerts.channels import Alert, Channel, ChannelError, channels_from
from pipelines.alerts.settings import AlertsSettings
from pipelines.bronze.ledger import RESET_MODE, read_ledger
from pipelines.errors import ADVICE, ErrorClass
from pipelines.schedules import backoff_multiplier, failure_streak
from pipelines.secrets import redact

log = logging.getLogger("pipelines.alerts")
MAX_GAPS_SHOWN = 5


def notify_run(settings, result, env=None) -> list[str]:
    """Alert on a failed or partial run, a repeated failure class or a recovery; returns the channels used.

    `result` is a `RunResult` whose audit row was appended. Never raises: a problem is one warning line.
    """
    try:
        config = settings.alerts
        if not config.enabled:
            return []
        row = result.audit_row()
        history = [r for r in read_ledger(settings.bronze_dir, result.source, "runs") if r["mode"] != RESET_MODE]
        history.sort(key=lambda r: (r["started_at"], r["run_id"]))
        ids = [r["run_id"] for r in history]
        history = history[: ids.index(row["run_id"]) + 1] if row["run_id"] in ids else [*history, row]
        advice = getattr(result.error, "advice", None)
        alert = compose_run_alert(config, history, advice)
        return deliver(alert, channels_from(config, os.environ if env is None else env)) if alert else []
    except Exception as exc:
        log.warning(
            "alerts: no alert sent for %s (%s: %s)", getattr(result, "source", "?"), type(exc).__name__, redact(exc)
        )
        return []


def notify_failure(settings, source: str, error_class: str, message: str, env=None) -> list[str]:
    """Alert on a sync that ended before it could record a run (bad secret, crash); never raises."""
    try:
        config = settings.alerts
        if not config.enabled or "failed" not in config.notify_on:
            return []
        klass = error_class if error_class in ErrorClass.__members__ else str(ErrorClass.INTERNAL)
        alert = Alert(
            source,
            "failed",
            f"{source}: sync FAILED [{klass}] before a run was recorded",
            [
                f"source: {source} (no run id: the sync stopped before its audit row)",
                f"error: [{klass}] {redact(message)}",
                f"advice: {advice_for(klass)}",
                f"host: {socket.gethostname()}",
            ],
            error_class=klass,
        )
        return deliver(alert, channels_from(config, os.environ if env is None else env))
    except Exception as exc:
        log.warning("alerts: no alert sent for %s (%s: %s)", source, type(exc).__name__, redact(exc))
        return []


def compose_run_alert(config: AlertsSettings, history: list[dict], advice: str | None = None) -> Alert | None:
    """The alert for the last run of `history` (runs.parquet rows, oldest first), or None."""
    row = history[-1]
    status, source = row["status"], row["source"]
    streak, klass = failure_streak(history)
    threshold = config.repeat_threshold
    if status == "failed":
        if streak >= threshold and (streak - threshold) % threshold == 0:
            kind = "repeated"
        elif "failed" in config.notify_on:
            kind = "failed"
        else:
            return None
    elif status == "partial" and "partial" in config.notify_on:
        kind = "partial"
    elif status == "success" and config.notify_recovery and failure_streak(history[:-1])[0]:
        kind = "recovered"
    else:
        return None
    lines = [_run_line(row)]
    if row["error_class"]:
        advice = advice or advice_for(row["error_class"])
        lines += [f"error: [{row['error_class']}] {row['error_message'] or ''}".rstrip(), f"advice: {advice}"]
    if kind in ("failed", "repeated") and streak > 1:
        policy = config.schedule
        factor = backoff_multiplier(streak, policy.backoff_factor)
        lines.append(
            f"repeated: {streak} failed runs in a row with {klass}; schedules back off ×{factor:g} "
            f"(at most {policy.backoff_max_minutes:g} min between attempts) until a run succeeds"
        )
    if kind == "recovered":
        previous, previous_class = failure_streak(history[:-1])
        lines.append(f"recovered after {previous} failed run(s) ({previous_class}); schedules are back to normal")
    lines += _gap_lines(row)
    lines += [f"host: {socket.gethostname()}", f"details: python -m pipelines show-runs --source {source}"]
    title = {
        "failed": f"run FAILED [{row['error_class']}]",
        "repeated": f"run FAILED [{row['error_class']}] {streak} times in a row",
        "partial": "run PARTIAL (gaps recorded)",
        "recovered": "run succeeded again",
    }[kind]
    return Alert(
        source,
        kind,
        redact(f"{source}: {title} — run {row['run_id']}"),
        [redact(line) for line in lines],
        row["run_id"],
        row["error_class"],
    )


def advice_for(error_class: str | None) -> str:
    """The one line of advice of an error class (INTERNAL's for an unknown one)."""
    try:
        return ADVICE[ErrorClass(error_class)]
    except ValueError:
        return ADVICE[ErrorClass.INTERNAL]


def _run_line(row: dict) -> str:
    started, ended = row["started_at"], row["ended_at"]
    took = f", {(ended - started).total_seconds():.0f} s" if isinstance(ended, dt.datetime) else ""
    return (
        f"source: {row['source']}, run {row['run_id']} ({row['mode']}), started {started:%Y-%m-%d %H:%M:%S} UTC{took}; "
        f"{row['records_written'] or 0:,} records written, {row['api_calls'] or 0:,} API calls, "
        f"{row['retries'] or 0:,} retries"
    )


def _gap_lines(row: dict) -> list[str]:
    try:
        gaps = orjson.loads(row.get("gaps") or "[]")
    except orjson.JSONDecodeError:
        return []
    if not gaps:
        return []
    lines = [f"gaps: {len(gaps)} (what the run could not read and skipped)"]
    for gap in gaps[:MAX_GAPS_SHOWN]:
        lines.append(f"  - {gap.get('stream')}/{gap.get('scope')}: [{gap.get('error_class')}] {gap.get('message')}")
    if len(gaps) > MAX_GAPS_SHOWN:
        lines.append(f"  … and {len(gaps) - MAX_GAPS_SHOWN} more (python -m pipelines show-runs)")
    return lines


def deliver(alert: Alert, channels: list[Channel]) -> list[str]:
    """Send through every channel; a failing channel logs one warning line. Returns the channels that delivered."""
    if not channels:
        log.info("alert (no channel configured in alerts.yaml): %s", alert.subject)
        return []
    sent = []
    for channel in channels:
        try:
            channel.send(alert)
        except ChannelError as exc:
            log.warning("alerts: %s: not delivered: %s (alert: %s)", channel.name, redact(exc), alert.subject)
        except Exception as exc:
            log.warning("alerts: %s: not delivered (%s) (alert: %s)", channel.name, type(exc).__name__, alert.subject)
        else:
            sent.append(channel.name)
    if sent:
        log.info("alert sent via %s: %s", ", ".join(sent), alert.subject)
    return sent
