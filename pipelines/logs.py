"""Logging: to stderr and, for each sync run, to `<logs.dir>/<source>/<run_id>.log`; every line redacted.

dlt's own chatter is kept at WARNING. A run's file gets every line its terminal shows (progress
lines too, even when the terminal shows them as one live line), and the files of a source older
than `logs.keep_days` are deleted when a run of that source starts. Settings: `logs:` in
config/sources.yaml; `DPL_LOG_DIR` overrides `logs.dir`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from pipelines.secrets import RedactingFilter

log = logging.getLogger("pipelines")
LIVE = "dpl_live"  # a record's attribute: a progress line a terminal already shows as a live line
FILE_ONLY = "dpl_file_only"  # a record's attribute: a line the terminal already got by `print`


@dataclasses.dataclass(frozen=True)
class LogSettings:
    """Where run logs go and how long they are kept; the field defaults are the defaults."""

    dir: str = "logs"  # relative to the working directory (DPL_LOG_DIR overrides it)
    keep_days: int = 30  # a source's run logs older than this are deleted when it runs (0 = keep every log)


LOGS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "dir": {"type": "string", "minLength": 1},
        "keep_days": {"type": "integer", "minimum": 0},
    },
}


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (it may be replaced after setup)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _for_the_terminal(record: logging.LogRecord) -> bool:
    """Not the lines the terminal already shows: printed ones, and progress lines, which a terminal
    shows as one live line (pipelines/progress.py)."""
    if getattr(record, FILE_ONLY, False):
        return False
    return not (getattr(record, LIVE, False) and sys.stderr.isatty())


def setup_logging(level: str | None = None) -> None:
    """Configure the root logger once: `DPL_LOG_LEVEL` (default INFO), redacting handler."""
    root = logging.getLogger()
    if any(getattr(h, "_dpl", False) for h in root.handlers):
        return
    handler = _StderrHandler()
    handler._dpl = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactingFilter())
    handler.addFilter(_for_the_terminal)
    root.addHandler(handler)
    root.setLevel((level or os.environ.get("DPL_LOG_LEVEL") or "INFO").upper())
    for noisy in ("dlt", "urllib3", "requests", "botocore", "aiobotocore", "s3fs", "fsspec"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class _RunLogHandler(logging.FileHandler):
    """A run's log file: created at its first line (a run refused before it starts leaves none); a
    line that cannot be written is dropped, once warned about: a log never fails a run."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging.Handler names it so)
        if not self.failed:
            self.failed = True
            sys.stderr.write(f"warning: the run's log {self.baseFilename} cannot be written; the terminal has it all\n")


@contextlib.contextmanager
def run_log(settings: LogSettings, source: str, run_id: str) -> Iterator[Path | None]:
    """Copy every log line of the block to `<dir>/<source>/<run_id>.log` (redacted, UTC times); yield its path.

    Old logs of the source are deleted first. A log that cannot be written is a warning, never a failure.
    """
    folder = Path(settings.dir) / source
    path = folder / f"{run_id}.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("%s: the run's log is not written to %s: %s", source, path, exc.strerror or exc)
        yield None
        return
    prune(folder, settings.keep_days)
    handler = _RunLogHandler(path, encoding="utf-8", delay=True)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()


def to_log_file(text: str) -> None:
    """Write lines the terminal already shows (a run's summary, its error) to the run's log file only."""
    for line in text.splitlines():
        log.info(line, extra={FILE_ONLY: True})


def prune(folder: Path, keep_days: int, now: float | None = None) -> list[Path]:
    """Delete the `*.log` files of `folder` last written more than `keep_days` ago (0: none); return them."""
    if keep_days <= 0:
        return []
    cutoff = (time.time() if now is None else now) - keep_days * 86400
    removed = []
    for path in folder.glob("*.log"):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed.append(path)
    return removed
