"""A query's answer, capped in rows and in bytes, as JSON-ready values."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import json
import math
import uuid

import pyarrow as pa

from pipelines.secrets import redact

FETCH_ROWS = 256


@dataclasses.dataclass
class QueryResult:
    """Columns, their DuckDB types, rows (lists of JSON-ready values) and whether a cap cut them."""

    columns: list[str]
    types: list[str]
    rows: list[list]
    truncated: bool = False
    bytes: int = 0
    truncated_by: str | None = None  # max_rows or max_result_bytes

    def as_dict(self) -> dict:
        """The answer as structured data (what the tools return)."""
        return {
            "columns": self.columns,
            "types": self.types,
            "rows": self.rows,
            "row_count": len(self.rows),
            "truncated": self.truncated,
            "truncated_by": self.truncated_by,
            "bytes": self.bytes,
        }

    def records(self) -> list[dict]:
        """One dict per row."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_arrow(self) -> pa.Table:
        """The rows as an Arrow table (`.to_pandas()` for a DataFrame)."""
        return pa.Table.from_pylist(self.records()) if self.rows else pa.table({c: [] for c in self.columns})


def collect(cursor, max_rows: int | None, max_bytes: int | None) -> QueryResult:
    """Fetch rows until the end or a cap (rows or bytes of JSON); the rest is never fetched."""
    description = cursor.description or []
    result = QueryResult([d[0] for d in description], [str(d[1]) for d in description], [])
    while True:
        chunk = cursor.fetchmany(FETCH_ROWS)
        if not chunk:
            return result
        for row in chunk:
            values = [jsonable(value) for value in row]
            size = len(json.dumps(values, ensure_ascii=False).encode())
            if max_rows is not None and len(result.rows) >= max_rows:
                result.truncated, result.truncated_by = True, "max_rows"
                return result
            if max_bytes is not None and result.bytes + size > max_bytes:
                result.truncated, result.truncated_by = True, "max_result_bytes"
                return result
            result.rows.append(values)
            result.bytes += size


def jsonable(value):
    """A DuckDB value as JSON data; strings pass through secret redaction."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return redact(str(value))
