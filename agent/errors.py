"""The one-line answers for refused and failed queries (never a traceback, never a secret)."""

from __future__ import annotations

import duckdb

from pipelines.errors import DplError, ErrorClass
from pipelines.secrets import redact


class QueryError(DplError):
    """A query that did not run to an answer; `kind` is refused, timeout, memory or error."""

    def __init__(self, message: str, kind: str = "error"):
        super().__init__(ErrorClass.CONFIG if kind == "refused" else ErrorClass.INTERNAL, redact(message))
        self.kind = kind

    def __str__(self) -> str:
        return self.message if self.kind == "error" else f"{self.kind}: {self.message}"


class Refused(QueryError):  # noqa: N818 (a refusal, not a crash)
    """A statement or access the sandbox does not allow."""

    def __init__(self, message: str, kind: str = "refused"):
        super().__init__(message, kind="refused")


def explain(exc: duckdb.Error) -> QueryError:
    """DuckDB's error as one line, classified: what the sandbox refused, or why the query failed."""
    line = first_line(exc)
    if isinstance(exc, duckdb.PermissionException):
        return Refused(f"files, extensions and secrets are outside the sandbox ({line})")
    if "configuration has been locked" in line:
        return Refused(f"settings are locked in the sandbox ({line})")
    if isinstance(exc, duckdb.OutOfMemoryException):
        return QueryError(f"stopped: the query needs more memory than the session's memory_limit ({line})", "memory")
    return QueryError(line)


def as_query_error(exc: DplError | duckdb.Error) -> QueryError:
    """Any failure of a tool call as a QueryError (a LOCKED or STORAGE error keeps its class and advice)."""
    if isinstance(exc, QueryError):
        return exc
    if isinstance(exc, duckdb.Error):
        return explain(exc)
    return QueryError(str(exc))


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
