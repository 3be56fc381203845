"""Readable plain-text tables for the terminal (show-*, stats, units, the shell, sync summaries).

One cell rule for every table: counts get thousands separators but identifiers never do (a column
named `id`, `number`, `*_id`, `*_number`, ...), booleans read `true`/`false`, times are UTC to the
second, text is kept on one line and cut with an ellipsis (paths in the middle, so the file name
stays visible). Callers turn special values (cursor formats, byte sizes) into text first.
"""

from __future__ import annotations

import datetime as dt
import re

MAX_TEXT = 70  # characters of a text cell
ID_COLUMN = re.compile(r"(^|_)(id|ids|number|key|part|year|port|pid|seq)$")
PATH_COLUMN = re.compile(r"(^|_)(path|file|url)$")


def table(
    rows: list[dict], columns: list[str], empty: str = "(none)", indent: str = "", max_width: int = MAX_TEXT
) -> str:
    """Align `columns` of `rows` into a text table; numbers right-aligned, text cut at `max_width`;
    each line prefixed by `indent`."""
    if not rows:
        return indent + empty
    cells = [[cell(row.get(col), col, max_width) for col in columns] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    numeric = [all(_is_number(row.get(col)) or row.get(col) is None for row in rows) for col in columns]
    lines = ["  ".join(col.ljust(w) for col, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(r, widths, numeric, strict=True)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(indent + line for line in lines)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def cell(value, column: str = "", max_width: int = MAX_TEXT) -> str:
    """One value as table text (see the module docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        moment = value.astimezone(dt.UTC) if value.tzinfo else value
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    identifier = bool(ID_COLUMN.search(column.lower()))
    if isinstance(value, float):
        return f"{value:.2f}" if identifier else f"{value:,.2f}"
    if isinstance(value, int):
        return str(value) if identifier else f"{value:,}"
    return cut(str(value), max_width, middle=bool(PATH_COLUMN.search(column.lower())))


def cut(text: str, limit: int = MAX_TEXT, middle: bool = False) -> str:
    """`text` on one line (line breaks shown as ⏎), at most `limit` characters, an ellipsis where it was cut."""
    text = text.replace("\r\n", "\n").replace("\n", "⏎").replace("\t", " ")
    if len(text) <= limit:
        return text
    if middle:
        head = (limit - 1) // 2
        return text[:head] + "…" + text[len(text) - (limit - 1 - head) :]
    return text[: limit - 1] + "…"


def human_bytes(n: float) -> str:
    """A size for people: `812 B`, `24.5 KB`, `1.2 GB`."""
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
