"""Rows out: a text table, CSV or JSON, at most `max_rows` of them."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json

from pipelines.display import table

FORMATS = ("table", "csv", "json")


def render(columns: list[str], rows: list[tuple], fmt: str, total: int) -> str:
    """The rows in `fmt`; `total` is the number of rows the query had (more than shown when truncated)."""
    records = [dict(zip(columns, (plain(v) for v in row), strict=True)) for row in rows]
    if fmt == "json":
        return json.dumps({"columns": columns, "rows": records, "total": total}, ensure_ascii=False, indent=1)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[record[c] for c in columns] for record in records])
        return out.getvalue().rstrip("\n")
    shown = table([{k: _text_bool(v) for k, v in r.items()} for r in records], columns, empty="(no rows)")
    more = f" (first {len(rows)} shown)" if total > len(rows) else ""
    return f"{shown}\n{total} row{'s' if total != 1 else ''}{more}"


def _text_bool(value):
    return ("yes" if value else "no") if isinstance(value, bool) else value


def plain(value):
    """A value JSON and CSV can hold."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value
