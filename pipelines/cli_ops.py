"""Operations commands: `units`, `sync-due`, `report`, `dora`.

Merged into the CLI by `pipelines/cli.py`: `cli_ops.register(sub)` in `build_parser()` and
`COMMANDS.update(cli_ops.COMMANDS)`. Kept free of module-level imports of `pipelines.cli`.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import threading
from pathlib import Path

import orjson

from pipelines.display import table
from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.timeutil import parse_iso, utc_now

_ERROR_LINE = re.compile(r"^error: (?:\w+: )?\[(?P<klass>[A-Z_]+)\] (?P<message>.*)$")
NO_RUN_CODES = {0, 3}  # ok, or LOCKED: another run of the source is still going (not an alert)


def register(sub) -> None:
    """Add the `units`, `sync-due`, `report` and `dora` sub-commands to the CLI's subparsers."""
    units = sub.add_parser("units", help="list every source × stream: settings, last run, backoff, next due")
    units.add_argument("--source")
    units.add_argument("--json", action="store_true", help="one JSON object per unit")
    due = sub.add_parser("sync-due", help="sync only the units whose schedule is due (what a cron calls)")
    due.add_argument("--dry-run", action="store_true", help="print what is due, run nothing")
    due.add_argument("--now", help="evaluate the schedule at this UTC time (ISO-8601), for a what-if")
    due.add_argument("--source", help="consider only this source")
    report = sub.add_parser("report", help="write the self-contained HTML report (runs, volumes, freshness, drift)")
    report.add_argument("--out", default="reports/latest.html")
    report.add_argument("--days", type=int, default=30, help="days of volume history in the charts")
    dora = sub.add_parser("dora", help="print the DORA metrics of the last weeks (production deployments)")
    dora.add_argument("--weeks", type=int, help="weeks to show (default: dora_weeks in config/delivery.yaml, 12)")


def unit_rows(units, now: dt.datetime) -> list[dict]:
    """Display rows of `list_units` output."""
    rows = []
    for unit in units:
        last = unit.last
        if not unit.runnable:
            due = "-"
        else:
            due = f"{unit.next_due:%Y-%m-%d %H:%M}" if unit.next_due and unit.next_due > now else "due"
        rows.append(
            {
                "source": unit.source,
                "stream": unit.stream,
                "mode": unit.mode,
                "schedule": unit.schedule + ("*" if unit.schedule_default else ""),
                "state": unit.state,
                "last_run": last.started_at if last else None,
                "status": last.status if last else "",
                "rows_last": last.written if last else None,
                "rows_total": unit.rows_total,
                "failures": f"{unit.failures}× {unit.failure_class}" if unit.failures else "",
                "backoff": f"×{unit.backoff:g}" if unit.backoff > 1 else "",
                "next_due": due,
                "drift": unit.drift,
            }
        )
    return rows


def cmd_units(settings, args) -> int:
    """Print every unit (or one JSON object per unit with --json)."""
    from pipelines.units import list_units

    now = utc_now()
    units = [u for u in list_units(settings) if args.source in (None, u.source)]
    if args.json:
        for unit, row in zip(units, unit_rows(units, now), strict=True):
            row.update(
                enabled=unit.enabled,
                configured=unit.configured,
                reason=unit.reason,
                run_id=unit.last and unit.last.run_id,
                next_due_at=unit.next_due,
                error_class=unit.last and unit.last.error_class,
            )
            print(orjson.dumps(row, default=str).decode())
        return 0
    rows = unit_rows(units, now)
    print(table(rows, list(rows[0]) if rows else [], empty="(no units)"))
    reasons = {u.source: u.reason for u in units if u.enabled and not u.configured}
    for source, reason in sorted(reasons.items()):
        print(f"{source}: not configured ({reason}): listed from its module; no run, no schedule")
    print("* default schedule (config/alerts.yaml schedule:); set `schedule` per stream in config/sources.yaml")
    return 0


def cmd_sync_due(settings, args) -> int:
    """Run, per source in parallel, the units whose schedule is due; alert on syncs that recorded no run."""
    from pipelines.alerts import alerts_config, notify_failure
    from pipelines.units import list_units, select_due

    try:
        now = parse_iso(args.now) if args.now else utc_now()
    except ValueError:
        raise ConfigError(f"--now {args.now!r}: expected an ISO-8601 time such as 2026-11-21T02:00:00Z") from None
    grace = dt.timedelta(minutes=alerts_config(settings)["schedule"]["grace_minutes"])
    units = [u for u in list_units(settings) if args.source in (None, u.source)]
    plan = select_due(units, now, grace)
    waiting = sorted(
        (u.next_due, u.source, u.stream)
        for u in units
        if u.runnable and u.next_due and u.source not in plan and u.next_due > now + grace
    )
    if not plan:
        upcoming = f"; next: {waiting[0][1]}/{waiting[0][2]} at {waiting[0][0]:%Y-%m-%d %H:%M} UTC" if waiting else ""
        print(f"sync-due: nothing due at {now:%Y-%m-%d %H:%M} UTC{upcoming}")
        return 0
    for source, streams in plan.items():
        print(f"sync-due: {source}: {', '.join(streams)}")
    if args.dry_run:
        return 0
    started = utc_now()
    results = run_parallel({s: ["sync", s, "--streams", ",".join(streams)] for s, streams in plan.items()})
    for source, (code, error) in results.items():
        if code not in NO_RUN_CODES and not _recorded_run_since(settings.bronze_dir, source, started):
            klass, message = error or ("INTERNAL", f"`sync {source}` exited with code {code} and no message")
            notify_failure(settings, source, klass, message)
    print("sync-due: " + ", ".join(f"{n} {'ok' if c == 0 else f'FAILED (exit {c})'}" for n, (c, _) in results.items()))
    return 0 if all(code == 0 for code, _ in results.values()) else 1


def run_parallel(commands: dict[str, list[str]]) -> dict[str, tuple[int, tuple[str, str] | None]]:
    """Run `python -m pipelines <argv>` per name in parallel, relaying output prefixed by the name.

    Returns {name: (exit code, (error class, message) of its last `error:` line or None)}.
    """
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "pipelines", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, argv in commands.items()
    }
    errors: dict[str, tuple[str, str] | None] = dict.fromkeys(procs)
    threads = [threading.Thread(target=_relay, args=(name, proc, errors)) for name, proc in procs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {name: (proc.wait(), errors[name]) for name, proc in procs.items()}


def _relay(name: str, proc: subprocess.Popen, errors: dict) -> None:
    for line in proc.stdout:
        sys.stdout.write(f"[{name}] {line}")
        sys.stdout.flush()
        match = _ERROR_LINE.match(line.strip())
        if match:
            errors[name] = (match["klass"], match["message"])


def _recorded_run_since(bronze_dir, source: str, since: dt.datetime) -> bool:
    from pipelines.bronze.ledger import RUNS_SCHEMA, ledger_path, read_rows

    rows = read_rows(ledger_path(bronze_dir, source, "runs"), RUNS_SCHEMA)
    return any(row["started_at"] >= since - dt.timedelta(seconds=1) for row in rows)


def cmd_report(settings, args) -> int:
    """Write the HTML report."""
    from pipelines.report import build_report

    if args.days <= 0:
        raise ConfigError(f"--days {args.days}: expected a positive number of days")
    try:
        out = build_report(settings, Path(args.out), days=args.days)
    except OSError as exc:
        raise DplError(
            ErrorClass.STORAGE,
            f"cannot write the report to {args.out}: {exc.strerror or exc}",
            advice="choose a writable path with OUT=... (the folder is created if possible)",
        ) from None
    print(f"report: {out} ({out.stat().st_size / 1024:,.0f} KB) — open it in a browser; it needs no network")
    return 0


def cmd_dora(settings, args) -> int:
    """Print the DORA metrics of the last weeks, one row per week, and the window as a whole."""
    from pipelines.report.dora import read_dora, summary_line, text_rows
    from pipelines.silver.delivery import delivery_config

    weeks = args.weeks or delivery_config(settings)["dora_weeks"]
    if weeks <= 0:
        raise ConfigError(f"--weeks {weeks}: expected a positive number of weeks")
    dora = read_dora(settings.warehouse, weeks)
    if dora.note:
        print(f"dora: {dora.note}", file=sys.stderr)
        return 1
    print("DORA metrics, production deployments (weeks from Monday, UTC; config/delivery.yaml)")
    print(table(text_rows(dora), list(text_rows(dora)[0])))
    print(summary_line(dora))
    return 0


COMMANDS = {"units": cmd_units, "sync-due": cmd_sync_due, "report": cmd_report, "dora": cmd_dora}
