"""Error classes of DESIGN.md §5: every failure is one of these, with one line of advice.

A run stopped by a signal (SIGINT, SIGTERM: `pipelines/signals.py`) is recorded as INTERRUPTED and
exits 128 + the signal's number (130, 143).
"""

from __future__ import annotations

import enum


class ErrorClass(enum.StrEnum):
    AUTH_FAILED = "AUTH_FAILED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    SUSPENDED = "SUSPENDED"
    SERVER_ERROR = "SERVER_ERROR"
    NETWORK = "NETWORK"
    BAD_PAYLOAD = "BAD_PAYLOAD"
    CONFIG = "CONFIG"
    LOCKED = "LOCKED"
    STORAGE = "STORAGE"
    INTERRUPTED = "INTERRUPTED"
    INTERNAL = "INTERNAL"


ADVICE = {
    ErrorClass.AUTH_FAILED: "check the source's user/e-mail and API token in .env or the environment",
    ErrorClass.FORBIDDEN: "the account lacks permission: grant access or exclude the resource in config/sources.yaml",
    ErrorClass.NOT_FOUND: "the resource or endpoint is gone: check the base URL and the names in config/sources.yaml",
    ErrorClass.RATE_LIMITED: "the API kept rate limiting: run later, lower page concurrency or raise http.max_attempts",
    ErrorClass.SUSPENDED: "the site is suspended or unavailable: check its status and billing with the site admin",
    ErrorClass.SERVER_ERROR: "the API kept failing with 5xx: retry later; the next run resumes from the last cursor",
    ErrorClass.NETWORK: "the host could not be reached: check the base URL, DNS, proxy and network",
    ErrorClass.BAD_PAYLOAD: "the API answered something that is not the expected JSON: check the base URL (SSO page?)",
    ErrorClass.CONFIG: "fix the named file/key or variable and run again (`make check` validates everything)",
    ErrorClass.LOCKED: "wait for the other run to finish; the lock is released when its process exits",
    ErrorClass.STORAGE: "check that the bronze directory exists, is writable and has free space",
    ErrorClass.INTERRUPTED: "run again: the next run resumes from the cursors (published files are kept)",
    ErrorClass.INTERNAL: "this is a bug: please report it with the run id",
}

TRANSIENT = frozenset({ErrorClass.RATE_LIMITED, ErrorClass.SERVER_ERROR, ErrorClass.NETWORK, ErrorClass.BAD_PAYLOAD})

EXIT_CODES = {ErrorClass.CONFIG: 2, ErrorClass.LOCKED: 3}
PARTIAL_EXIT = 4  # a sync (or sync-all/sync-due/backfill) that kept going past gaps: data usable, something unread
INTERRUPTED_EXIT = 130  # Ctrl-C (SIGINT)
TERMINATED_EXIT = 143  # SIGTERM (128 + 15), as a shell reports a process it ended

# Every exit code of `python -m pipelines` (README "Exit codes" is checked against this table). `make` turns
# any non-zero code of a recipe into its own exit code 2: call `bin/dpl` (or `.venv/bin/python -m
# pipelines`) where the code matters.
EXIT_STATUS = {
    0: "success",
    1: "failed (any error class without a code of its own: AUTH_FAILED, NETWORK, STORAGE, INTERNAL ...)",
    2: "CONFIG: bad or missing config, secret, argument or selector (SOURCE, STREAM, PROJECT, REPO, JOB, SCOPE)",
    3: "LOCKED: another run holds the source's lock (or changed its ledgers meanwhile)",
    PARTIAL_EXIT: "PARTIAL: the run finished but recorded gaps (a project, repository, job or folder not read)",
    INTERRUPTED_EXIT: "INTERRUPTED by Ctrl-C (SIGINT): the run recorded itself, the next one resumes",
    TERMINATED_EXIT: "INTERRUPTED by SIGTERM (a cancelled workflow, systemd stop, timeout): the same",
}


class Interrupted(KeyboardInterrupt):
    """A stop asked for by a signal (SIGINT, SIGTERM): raised in the main thread; exit code 128 + signal."""

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(name)
        self.signum = signum
        self.name = name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class DplError(Exception):
    """A classified failure; `str()` is the one line a user sees."""

    def __init__(
        self,
        error_class: ErrorClass,
        message: str,
        *,
        status: int | None = None,
        advice: str | None = None,
        retry_after: float | None = None,
        transient: bool | None = None,
    ):
        super().__init__(message)
        self.error_class = ErrorClass(error_class)
        self.message = message
        self.status = status
        self.advice = advice or ADVICE[self.error_class]
        self.retry_after = retry_after
        self.transient = self.error_class in TRANSIENT if transient is None else transient

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.error_class, 1)

    def __str__(self) -> str:
        return f"[{self.error_class}] {self.message} — {self.advice}"


class ConfigError(DplError):
    """A bad or missing configuration value or secret (exit code 2)."""

    def __init__(self, message: str):
        super().__init__(ErrorClass.CONFIG, message)
