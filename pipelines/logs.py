"""Logging to stderr, every line redacted; dlt's own chatter kept at WARNING."""

from __future__ import annotations

import logging
import os
import sys

from pipelines.secrets import RedactingFilter


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (it may be replaced after setup)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def setup_logging(level: str | None = None) -> None:
    """Configure the root logger once: `DPL_LOG_LEVEL` (default INFO), redacting handler."""
    root = logging.getLogger()
    if any(getattr(h, "_dpl", False) for h in root.handlers):
        return
    handler = _StderrHandler()
    handler._dpl = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel((level or os.environ.get("DPL_LOG_LEVEL") or "INFO").upper())
    for noisy in ("dlt", "urllib3", "requests", "botocore", "aiobotocore", "s3fs", "fsspec"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
