"""`reset`: drop cursors so that the next run re-reads those units from the start; bronze stays as it is.

Merged into the CLI by `pipelines/cli.py`: `cli_reset.register(sub)` in `build_parser()` and
`COMMANDS.update(cli_reset.COMMANDS)`. Under the source's lock, the cursors of the named streams (of
the named scopes only, with `--scope`) are removed from cursors.parquet with a conditional write
(`ledger.drop_cursors`, local folder or object store alike), and an audit row (`mode=reset`, its `note`
naming every cursor dropped and its old value) is appended to runs.parquet. Files and the manifest are
never touched: silver de-duplicates what the next run reads again.
"""

from __future__ import annotations

import sys

import orjson

from pipelines.bronze.ledger import RESET_MODE, append_run, drop_cursors, read_ledger
from pipelines.bronze.lock import SourceLock
from pipelines.cursor_values import describe_cursor
from pipelines.display import table
from pipelines.dlt.pipelines import new_run_id
from pipelines.errors import ConfigError
from pipelines.selectors import split_list
from pipelines.timeutil import utc_now


def register(sub) -> None:
    """Add the `reset` sub-command to the CLI's subparsers."""
    reset = sub.add_parser("reset", help="drop cursors so the next run re-reads those units (bronze untouched)")
    reset.add_argument("--source", required=True)
    reset.add_argument("--streams", required=True, help="comma-separated streams whose cursors to drop")
    reset.add_argument("--scope", help="only these scopes (project keys, repositories, jobs; comma-separated)")
    reset.add_argument("--yes", action="store_true", help="do not ask for a confirmation")


def cmd_reset(settings, args) -> int:
    """Show the cursors that would go, ask (unless --yes), drop them under the lock, record an audit row."""
    source, streams, scopes = args.source, split_list(args.streams), split_list(args.scope) or None
    rows = chosen(read_ledger(settings.bronze_dir, source, "cursors"), streams, scopes)
    if not rows:
        print(f"reset: {source} has no cursor for {', '.join(streams)}: the next run reads it from the start already")
        return 0
    print(table([shown(r) for r in rows], ["stream", "scope", "cursor_field", "cursor_value", "updated_at"]))
    if not args.yes and not confirmed(f"drop these {len(rows)} cursor(s) of {source}? [y/N] "):
        print("reset: not confirmed; nothing changed")
        return 1
    run_id, started = new_run_id(utc_now()), utc_now()
    with SourceLock(settings.bronze_dir, source, settings.bronze.lock_lease_s, run_id):
        dropped = drop_cursors(settings.bronze_dir, source, streams, scopes)
        note = "dropped " + "; ".join(f"{r['stream']}/{r['scope']} (was {r['cursor_value']})" for r in dropped)
        append_run(settings.bronze_dir, source, audit_row(run_id, source, started, scopes, note or "dropped none"))
    print(
        f"reset: {len(dropped)} cursor(s) of {source} dropped (run {run_id} in runs.parquet); bronze is unchanged, "
        "the next run re-reads these units from the start"
    )
    return 0


def chosen(rows: list[dict], streams: tuple[str, ...], scopes: tuple[str, ...] | None) -> list[dict]:
    """The cursor rows of `streams` (and `scopes`); ConfigError for a scope none of them has."""
    mine = [r for r in rows if r["stream"] in streams]
    if scopes:
        known = sorted({r["scope"] for r in mine})
        unknown = [s for s in scopes if s not in known]
        if unknown:
            shown_scopes = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
            raise ConfigError(
                f"SCOPE={','.join(unknown)}: no cursor of {', '.join(streams)} has it; "
                f"expected one of: {shown_scopes or '(none)'}"
            )
        mine = [r for r in mine if r["scope"] in scopes]
    return mine


def shown(row: dict) -> dict:
    return {**row, "cursor_value": describe_cursor(row["cursor_field"], row["cursor_value"])}


def confirmed(question: str) -> bool:
    """A yes from a person at a terminal; without one, ConfigError saying how to confirm."""
    if not sys.stdin.isatty():
        raise ConfigError("reset needs a confirmation: run it in a terminal, or add YES=1 (--yes)")
    return input(question).strip().lower() in ("y", "yes")


def audit_row(run_id: str, source: str, started, scopes, note: str) -> dict:
    """The runs.parquet row of a reset: no data read or written, what was dropped in `note`."""
    return {
        "run_id": run_id,
        "source": source,
        "mode": RESET_MODE,
        "started_at": started,
        "ended_at": utc_now(),
        "status": "success",
        "streams": orjson.dumps({}).decode(),
        "records_written": 0,
        "files_published": 0,
        "api_calls": 0,
        "retries": 0,
        "rate_limit_waits_s": 0.0,
        "error_class": None,
        "error_message": None,
        "gaps": "[]",
        "scope": ",".join(scopes) if scopes else None,
        "note": note,
    }


COMMANDS = {"reset": cmd_reset}
