"""Operations commands: `units`, `sync-due`, `report`, `dora`, and running syncs as child processes.

Merged into the CLI by `pipelines/cli.py`: `cli_ops.register(sub)` in `build_parser()` and
`COMMANDS.update(cli_ops.COMMANDS)`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson

from pipelines import signals
from pipelines.alerts import notify_failure
from pipelines.bronze.ledger import read_ledger
from pipelines.display import table
from pipelines.dlt.pipelines import new_run_id
from pipelines.dlt.resources import get
from pipelines.errors import EXIT_CODES, PARTIAL_EXIT, ConfigError, DplError, ErrorClass, Interrupted
from pipelines.report import build_report
from pipelines.report.dora import read_dora, summary_line, text_rows
from pipelines.timeutil import parse_iso, utc_now
from pipelines.units import list_units, select_due

LOCKED_EXIT = EXIT_CODES[ErrorClass.LOCKED]  # another run of the source is still going: not an alert


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
    try:
        now = parse_iso(args.now) if args.now else utc_now()
    except ValueError:
        raise ConfigError(f"--now {args.now!r}: expected an ISO-8601 time such as 2026-11-21T02:00:00Z") from None
    grace = dt.timedelta(minutes=settings.alerts.schedule.grace_minutes)
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
    results = run_parallel(
        {s: ["sync", s, "--streams", ",".join(streams)] for s, streams in plan.items()}, settings.bronze_dir
    )
    for source, child in results.items():
        if child.run is None and child.code not in (0, LOCKED_EXIT):
            notify_failure(settings, source, child.error_class, child.error_message)
    print("sync-due: " + ", ".join(f"{name} {child.outcome}" for name, child in results.items()))
    return combined_exit(child.code for child in results.values())


def combined_exit(codes) -> int:
    """The exit code of several syncs: 0 when all succeeded, PARTIAL when the others were partial, else 1."""
    codes = set(codes)
    if codes <= {0}:
        return 0
    return PARTIAL_EXIT if codes <= {0, PARTIAL_EXIT} else 1


@dataclasses.dataclass
class ChildSync:
    """How a `sync` child process ended: its exit code and its audit row in runs.parquet (if it wrote one)."""

    source: str
    run_id: str
    code: int
    run: dict | None = None  # the runs.parquet row of `run_id`
    error_class: str | None = None
    error_message: str | None = None

    @property
    def outcome(self) -> str:
        if self.code == PARTIAL_EXIT:
            return f"PARTIAL (exit {self.code})"
        return "ok" if self.code == 0 else f"FAILED (exit {self.code})"


def run_parallel(commands: dict[str, list[str]], bronze_dir: Path) -> dict[str, ChildSync]:
    """Run `python -m pipelines sync <source> ...` per source in parallel, relaying output prefixed by the name.

    Each child gets a run id, so its result is read from its audit row in runs.parquet afterwards. A
    source whose secrets are missing is not started: the error is known here, with its message.
    """
    results: dict[str, ChildSync] = {}
    procs: dict[str, subprocess.Popen] = {}
    for name, argv in commands.items():
        run_id = new_run_id(utc_now())
        results[name] = ChildSync(name, run_id, 0)
        try:
            get(name).read_env(os.environ)
        except DplError as exc:
            print(f"[{name}] error: {exc}")
            results[name] = ChildSync(name, run_id, exc.exit_code, None, str(exc.error_class), exc.message)
            continue
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "pipelines", *argv, "--run-id", run_id],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    threads = [threading.Thread(target=_relay, args=(name, proc)) for name, proc in procs.items()]
    for thread in threads:
        thread.start()
    stopped = None
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt as exc:  # SIGINT/SIGTERM: each child stops the same way and records its run
        stopped = signals.as_interrupted(exc)
        stop_children(list(procs.values()), stopped)
        for thread in threads:
            thread.join()
    for name, proc in procs.items():
        child = results[name]
        child.code = proc.wait()
        child.run = next((r for r in read_ledger(bronze_dir, name, "runs") if r["run_id"] == child.run_id), None)
        if child.run is not None:
            child.error_class, child.error_message = child.run["error_class"], child.run["error_message"]
        elif child.code != 0:
            child.error_class = _class_of_exit(child.code)
            child.error_message = f"`sync {name}` exited with code {child.code} before recording run {child.run_id}"
    if stopped is not None:
        print("stopped: " + ", ".join(f"{name} {child.outcome}" for name, child in results.items()), flush=True)
        raise stopped
    return results


def run_child(argv: list[str]) -> int:
    """Run `python -m pipelines <argv>` in the foreground; a signal that stops us stops it the same way."""
    proc = subprocess.Popen([sys.executable, "-m", "pipelines", *argv])
    try:
        return proc.wait()
    except KeyboardInterrupt as exc:
        stop_children([proc], signals.as_interrupted(exc))
        raise


def stop_children(procs: list[subprocess.Popen], stop: Interrupted) -> None:
    """Pass the signal on to each child still running, then wait for it to record its run and exit.

    A child that already got the signal (a terminal's Ctrl-C reaches the whole process group) ignores the
    second one; one still running after the grace period is killed.
    """
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.send_signal(stop.signum)
    deadline = time.monotonic() + signals.GRACE_S
    for proc in procs:
        try:
            proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _class_of_exit(code: int) -> str:
    """The error class an exit code stands for (CONFIG 2, LOCKED 3), INTERNAL otherwise."""
    return next((str(klass) for klass, value in EXIT_CODES.items() if value == code), str(ErrorClass.INTERNAL))


def _relay(name: str, proc: subprocess.Popen) -> None:
    for line in proc.stdout:
        sys.stdout.write(f"[{name}] {line}")
        sys.stdout.flush()


def cmd_report(settings, args) -> int:
    """Write the HTML report."""
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
    weeks = args.weeks or settings.delivery.dora_weeks
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
