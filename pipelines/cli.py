"""`python -m pipelines <command>`: the one entry point every Make target calls."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import sys
import time
from pathlib import Path

from agent import cli as agent_cli
from pipelines import cli_bronze, cli_dlt, cli_docs, cli_lake, cli_ops, cli_reset, ledger_views, signals
from pipelines.alerts import notify_run
from pipelines.bronze.verify import verify
from pipelines.display import human_bytes, table
from pipelines.dlt.pipelines import new_run_id, run_source
from pipelines.dlt.resources import get
from pipelines.dlt.streams import BACKFILL, FULL, INCREMENTAL, SyncContext
from pipelines.errors import PARTIAL_EXIT, DplError, ErrorClass
from pipelines.logs import run_log, setup_logging, to_log_file
from pipelines.ops import collect_ledgers, write_gate
from pipelines.secrets import redact
from pipelines.selectors import scope_of, split_list, validate_args
from pipelines.settings import Settings, load_settings
from pipelines.shell import DEFAULT_WIDTH, run_shell
from pipelines.silver import anomaly_summary, build_silver, stats
from pipelines.sources import BASE_URL_VARS, SOURCE_NAMES
from pipelines.timeutil import utc_now
from pipelines.workbench import cli as workbench_cli

log = logging.getLogger("pipelines")
# SIGTERM stops these like Ctrl-C: audit row, temp files removed, lock released, exit 143 (pipelines/signals.py)
STOPPED_LIKE_CTRL_C = frozenset({"sync", "sync-all", "backfill", "sync-due"})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description="Data Platform Light pipelines.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    sub.add_parser("check", help="validate config and secrets, and reach every configured source")
    sync = sub.add_parser("sync", help="sync one source into bronze")
    sync.add_argument("source")
    sync.add_argument("--full", action="store_true", help="ignore cursors and re-read everything")
    sync.add_argument("--streams", help="comma-separated streams (default: every enabled stream)")
    sync.add_argument("--run-id", help=argparse.SUPPRESS)  # set by sync-all/sync-due to find the audit row
    add_scope_flags(sync)
    sync_all = sub.add_parser("sync-all", help="sync every configured source, in parallel")
    sync_all.add_argument("--full", action="store_true")
    backfill = sub.add_parser("backfill", help="re-extract the last N days regardless of cursors")
    backfill.add_argument("--days", type=int, required=True)
    backfill.add_argument("--source", help="one source (default: every configured source)")
    backfill.add_argument("--streams", help="comma-separated streams")
    add_scope_flags(backfill)
    for name in ("show-cursors", "show-manifest", "show-runs"):
        shown = sub.add_parser(name, help=f"print {name.split('-')[1]}.parquet of each source as a table")
        shown.add_argument("--source")
        shown.add_argument("--limit", type=int, default=50)
    verify = sub.add_parser("verify", help="check every bronze file against the manifests")
    verify.add_argument("--source")
    verify.add_argument("--quarantine", action="store_true", help="move orphan files to <source>/_quarantine/")
    verify.add_argument("--quick", action="store_true", help="check sizes only (no sha256, no row counts)")
    verify.add_argument("--strict", action="store_true", help="exit non-zero on orphans too")
    silver = sub.add_parser("silver", help="build/merge the DuckDB silver tables from the manifests' files")
    silver.add_argument("--full", action="store_true", help="rebuild every table from all bronze")
    sub.add_parser("anomalies", help="print integrity anomalies: counts by type and first rows")
    stats = sub.add_parser("stats", help="bronze files/rows/bytes per day, last run, cursor, freshness")
    stats.add_argument("--source")
    stats.add_argument("--stream")
    shell = sub.add_parser("shell", help="read-only SQL prompt on the warehouse with bronze_<source>_<stream> views")
    shell.add_argument("--sql", help="run these statements and exit (non-zero on the first error)")
    shell.add_argument("--file", help="run the statements of this file and exit")
    shell.add_argument("--max-width", type=int, default=DEFAULT_WIDTH, help="widest text cell shown")
    shell.add_argument("--timeout", type=float, help="interrupt a statement after this many seconds")
    shell.add_argument("--as-of", help="read this DuckLake snapshot: its id (make snapshots) or a UTC time")
    gate = sub.add_parser("schedule-gate", help="scheduled workflow: is this cron firing at 02:00 Europe/Berlin?")
    gate.add_argument("--cron", default="")
    ledgers = sub.add_parser("ledgers-artifact", help="copy every source's manifest/cursors/runs parquet to a folder")
    ledgers.add_argument("--out", required=True)
    cli_ops.register(sub)
    agent_cli.register(sub)
    cli_dlt.register(sub)
    cli_lake.register(sub)
    cli_docs.register(sub)
    workbench_cli.register(sub)
    cli_bronze.register(sub)
    cli_reset.register(sub)
    return parser


def add_scope_flags(parser: argparse.ArgumentParser) -> None:
    """--project (Jira), --repo (Bitbucket), --job (Jenkins): comma lists of the units to sync."""
    parser.add_argument("--project", help="Jira only: these project keys (comma-separated)")
    parser.add_argument("--repo", help="Bitbucket only: these repositories (slugs, comma-separated)")
    parser.add_argument("--job", help="Jenkins only: these jobs or folders (full names, comma-separated)")


def main(argv: list[str] | None = None) -> int:
    """Parse, run, and turn every failure into one line and an exit code."""
    args = build_parser().parse_args(argv)
    setup_logging()
    try:
        with signals.stop_on_signals() if args.command in STOPPED_LIKE_CTRL_C else contextlib.nullcontext():
            settings = load_settings()
            validate_args(settings, args)
            return COMMANDS[args.command](settings, args)
    except DplError as exc:
        print(f"error: {redact(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        stop = signals.as_interrupted(exc)
        print(f"error: {DplError(ErrorClass.INTERRUPTED, signals.describe(stop))}", file=sys.stderr)
        return stop.exit_code
    except Exception as exc:
        if os.environ.get("DPL_DEBUG"):
            raise
        print(
            f"error: [{ErrorClass.INTERNAL}] {redact(f'{type(exc).__name__}: {exc}')} — set DPL_DEBUG=1 for "
            "the traceback and report it",
            file=sys.stderr,
        )
        return 1


def configured_sources(settings: Settings, env=os.environ) -> tuple[list[str], list[str]]:
    """(sources to run, notices for the ones skipped) — a source needs `enabled` and its base URL."""
    run, notices = [], []
    for name in SOURCE_NAMES:
        if not settings.source(name).enabled:
            notices.append(f"{name}: skipped (enabled: false in sources.yaml)")
        elif not env.get(BASE_URL_VARS[name]):
            notices.append(f"{name}: skipped ({BASE_URL_VARS[name]} is not set)")
        else:
            run.append(name)
    return run, notices


def cmd_check(settings: Settings, args) -> int:
    run, notices = configured_sources(settings)
    print(f"config: OK ({settings.config_dir}/sources.yaml, time.yaml, identity.yaml, ai_policy.yaml)")
    for notice in notices:
        print(notice)
    codes = []
    for name in run:
        module = get(name)
        try:
            ctx = SyncContext(
                name,
                settings.source(name),
                settings.time,
                module.read_env(os.environ),
                http_policy=dataclasses.replace(settings.http, max_attempts=2),
            )
            print(module.check(ctx))
        except DplError as exc:
            codes.append(exc.exit_code)
            print(f"{name}: FAILED {redact(exc)}")
    return max(codes, default=0)  # 2 when a secret or setting is missing, 1 when a source failed


def cmd_sync(settings: Settings, args, mode: str | None = None, days: int | None = None) -> int:
    mode = mode or (FULL if args.full else INCREMENTAL)
    streams = split_list(getattr(args, "streams", None)) or None
    source, scopes = scope_of(args, args.source)
    started = time.monotonic()
    run_id = getattr(args, "run_id", None) or new_run_id(utc_now())
    with run_log(settings.logs, source, run_id) as log_file:
        try:
            result = run_source(
                settings, source, mode=mode, streams=streams, backfill_days=days, run_id=run_id, scopes=scopes
            )
        except KeyboardInterrupt as exc:  # stopped by a signal: the run recorded itself as INTERRUPTED
            stop = signals.as_interrupted(exc)
            _say(f"error: {source}: {DplError(ErrorClass.INTERRUPTED, signals.describe(stop))}", sys.stderr)
            _name_log(log_file)
            return stop.exit_code
        _say(summary(result, time.monotonic() - started), sys.stdout)
        notify_run(settings, result)
        if result.error:
            _say(f"error: {source}: {redact(result.error)}", sys.stderr)
        elif result.status == "partial":
            gaps = len(result.gaps)
            _say(f"{source}: exit {PARTIAL_EXIT} (PARTIAL): {gaps} gap(s) above; the rest is in bronze", sys.stdout)
        _name_log(log_file)
    if result.error:
        return result.error.exit_code
    return PARTIAL_EXIT if result.status == "partial" else 0


def _say(text: str, stream) -> None:
    """Print a run's closing lines to the terminal and into its log file, in order."""
    print(text, file=stream, flush=True)
    to_log_file(text)


def _name_log(log_file: Path | None) -> None:
    """The last line of a run: where its log is (when it was written)."""
    if log_file is not None and log_file.exists():
        print(f"log: {log_file}", flush=True)


def summary(result, seconds: float) -> str:
    """Per-stream counts and the run's totals."""
    rows = [{"stream": s, **c} for s, c in sorted(result.counts.items())]
    size = sum(f["bytes"] for f in result.files)
    stats = result.stats
    lines = [
        table(rows, ["stream", "fetched", "written", "skipped"], empty="(no records)"),
        f"{result.source}: {result.status.upper()} run {result.run_id} ({result.mode}) — "
        f"{result.records_written:,} records in {len(result.files)} files ({human_bytes(size)}), "
        f"{stats.api_calls:,} API calls, {stats.retries} retries, {stats.rate_limit_waits_s:.1f}s rate-limit waits, "
        f"{seconds:.1f}s",
    ]
    lines += [f"  gap: {g.stream}/{g.scope}: [{g.error_class}] {redact(g.message)}" for g in result.gaps]
    return "\n".join(lines)


def cmd_sync_all(settings: Settings, args, extra: list[str] | None = None) -> int:
    """Each source in its own process, in parallel; one failing does not stop the others."""
    run, notices = configured_sources(settings)
    for notice in notices:
        print(notice)
    if not run:
        print("nothing to sync: set the base URL variables of at least one source (see .env.example)")
        return 1
    flags = extra or (["--full"] if getattr(args, "full", False) else [])
    results = cli_ops.run_parallel({name: ["sync", name, *flags] for name in run}, settings.bronze_dir)
    print("sync-all: " + ", ".join(f"{name} {child.outcome}" for name, child in results.items()))
    return cli_ops.combined_exit(child.code for child in results.values())


def cmd_backfill(settings: Settings, args) -> int:
    if args.days <= 0:
        raise DplError(ErrorClass.CONFIG, f"DAYS={args.days}: expected a positive number of days")
    args.source, _ = scope_of(args, args.source)  # PROJECT= alone means SOURCE=jira, and so on
    if args.source:
        args.full = False
        return cmd_sync(settings, args, mode=BACKFILL, days=args.days)
    return cmd_sync_all_backfill(settings, args.days, split_list(args.streams))


def cmd_sync_all_backfill(settings: Settings, days: int, streams: tuple[str, ...]) -> int:
    """Backfill each configured source in turn; STREAM= names go to the sources that have them."""
    run, notices = configured_sources(settings)
    for notice in notices:
        print(notice)
    codes = []
    for name in run:
        own = [s for s in streams if s in settings.source(name).streams]
        if streams and not own:
            print(f"{name}: skipped (no stream {', '.join(streams)})")
            continue
        extra = ["--streams", ",".join(own)] if own else []
        codes.append(cli_ops.run_child(["backfill", "--days", str(days), "--source", name, *extra]))
    return cli_ops.combined_exit(codes) if codes else 1


def cmd_verify(settings: Settings, args) -> int:
    report = verify(settings.bronze_dir, [args.source] if args.source else None, args.quarantine, not args.quick)
    for path in report.missing:
        print(f"MISSING   {path}")
    for problem in report.mismatched:
        print(f"MISMATCH  {problem}")
    for path in report.orphans:
        moved = " (quarantined)" if path in report.quarantined else ""
        print(f"ORPHAN    {path}{moved}")
    print(
        f"verify: {report.checked} files checked, {len(report.missing)} missing, {len(report.mismatched)} "
        f"mismatched, {len(report.orphans)} orphans ({len(report.quarantined)} quarantined)"
    )
    if report.corrupt or (args.strict and len(report.orphans) > len(report.quarantined)):
        return 1
    return 0


def cmd_silver(settings: Settings, args) -> int:
    started = time.monotonic()
    summary = build_silver(settings, full=args.full)
    rows = [
        {"table": name, **info}
        for name, info in sorted(summary.get("tables", summary).items())
        if isinstance(info, dict)
    ]
    columns = sorted({key for row in rows for key in row} - {"table"})
    print(table(rows, ["table", *columns], empty="(no tables)"))
    print(
        f"silver: {'full rebuild' if args.full else 'merge'} into {settings.warehouse} in "
        f"{time.monotonic() - started:.1f}s"
    )
    return 0


def cmd_anomalies(settings: Settings, args) -> int:
    print(anomaly_summary(settings))
    return 0


def cmd_stats(settings: Settings, args) -> int:
    print(stats(settings, source=args.source, stream=args.stream))
    return 0


def cmd_shell(settings: Settings, args) -> int:
    sql = args.sql
    if args.file:
        try:
            sql = (sql + ";\n" if sql else "") + Path(args.file).read_text(encoding="utf-8")
        except OSError as exc:
            raise DplError(ErrorClass.CONFIG, f"FILE={args.file}: {exc.strerror or exc}") from None
    settings = settings.as_of(args.as_of)
    return run_shell(settings, sql=sql, max_width=max(args.max_width, 4), timeout_s=args.timeout)


def cmd_schedule_gate(settings: Settings, args) -> int:
    write_gate(args.cron)
    return 0


def cmd_ledgers_artifact(settings: Settings, args) -> int:
    copied = collect_ledgers(settings.bronze_dir, args.out)
    print(f"copied {len(copied)} ledger files to {args.out}")
    return 0


COMMANDS = {
    "check": cmd_check,
    "sync": cmd_sync,
    "sync-all": cmd_sync_all,
    "backfill": cmd_backfill,
    "show-cursors": ledger_views.show_cursors,
    "show-manifest": ledger_views.show_manifest,
    "show-runs": ledger_views.show_runs,
    "verify": cmd_verify,
    "silver": cmd_silver,
    "anomalies": cmd_anomalies,
    "stats": cmd_stats,
    "shell": cmd_shell,
    "schedule-gate": cmd_schedule_gate,
    "ledgers-artifact": cmd_ledgers_artifact,
}
COMMANDS.update(cli_ops.COMMANDS)
COMMANDS.update(agent_cli.COMMANDS)
COMMANDS.update(cli_dlt.COMMANDS)
COMMANDS.update(cli_lake.COMMANDS)
COMMANDS.update(cli_docs.COMMANDS)
COMMANDS.update(workbench_cli.COMMANDS)
COMMANDS.update(cli_bronze.COMMANDS)
COMMANDS.update(cli_reset.COMMANDS)
