"""Readable plain-text tables for the terminal (show-cursors, show-manifest, show-runs, sync summaries)."""

from __future__ import annotations

import datetime as dt


def table(rows: list[dict], columns: list[str], empty: str = "(none)", max_width: int = 70) -> str:
    """Align `columns` of `rows` into a text table; numbers right-aligned, text cut at `max_width`."""
    if not rows:
        return empty
    cells = [[_cell(row.get(col), max_width) for col in columns] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    numeric = [all(isinstance(row.get(col), int | float) or row.get(col) is None for row in rows) for col in columns]
    lines = ["  ".join(col.ljust(w) for col, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(r, widths, numeric, strict=True)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _cell(value, max_width: int = 70) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    text = str(value)
    return text if len(text) <= max_width else text[: max(max_width - 3, 1)] + "..."


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
