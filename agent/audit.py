"""The audit log of agent tool calls: one JSON line per call, redacted, beside the warehouse.

Fields: `at` (UTC), `tool`, `sql` (or the tool's arguments), `rows`, `bytes`, `duration_ms`,
`truncated`, `outcome` (ok, refused, timeout, memory, error) and `reason`. The log is
`agent_audit.jsonl` in the warehouse's folder; for a warehouse that is not a local file
(`ducklake:...`), in the default warehouse folder (`warehouse/`) of the working directory.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from pipelines.display import table
from pipelines.secrets import redact
from pipelines.settings import DEFAULT_WAREHOUSE

AUDIT_FILE = "agent_audit.jsonl"
MAX_SQL_CHARS = 4000
COLUMNS = ["at", "tool", "outcome", "rows", "bytes", "duration_ms", "sql", "reason"]


def audit_path(settings) -> Path:
    """Where the audit log of this warehouse lives."""
    location = str(settings.warehouse)
    if location.startswith("ducklake:") or "://" in location:
        return Path(DEFAULT_WAREHOUSE).parent / AUDIT_FILE
    return Path(location).parent / AUDIT_FILE


def record(settings, entry: dict) -> None:
    """Append one call to the log (secrets redacted, SQL cut at MAX_SQL_CHARS)."""
    entry = {"at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), **entry}
    if isinstance(entry.get("sql"), str) and len(entry["sql"]) > MAX_SQL_CHARS:
        entry["sql"] = entry["sql"][:MAX_SQL_CHARS] + "…"
    line = redact(json.dumps(entry, ensure_ascii=False, default=str)) + "\n"
    path = audit_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())  # one write per line: concurrent servers never interleave a line
    finally:
        os.close(fd)


def last(settings, limit: int) -> list[dict]:
    """The last `limit` calls, oldest first; lines that are not JSON are skipped."""
    path = audit_path(settings)
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines()[-limit:]:
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


def show(settings, limit: int) -> str:
    """The last calls as a table."""
    entries = last(settings, limit)
    if not entries:
        return f"no agent calls logged yet ({audit_path(settings)})"
    rows = [{**e, "sql": " ".join(str(e.get("sql") or "").split())} for e in entries]
    return table(rows, COLUMNS) + f"\n({len(entries)} calls from {audit_path(settings)})"
