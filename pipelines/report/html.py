"""HTML pieces of the report: pills, sortable tables, monospace values, progress bars (every text escaped)."""

from __future__ import annotations

from html import escape


def pill(text: str, kind: str | None = None) -> str:
    """A coloured label; `kind` (default: the text) picks the colour class (success, failed, warning...)."""
    return f'<span class="pill {escape(kind or text)}">{escape(text)}</span>'


def table(
    columns: list[str],
    rows: list[list],
    numeric: set[int] = frozenset(),
    empty: str = "none",
    wrap: set[int] = frozenset(),
) -> str:
    """A sortable table; cells are pre-rendered HTML strings or (html, sort_key) pairs; `wrap` columns may wrap."""
    if not rows:
        return f'<p class="note">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            html, sort = cell if isinstance(cell, tuple) else (cell, None)
            kind = "num" if i in numeric else ("wrap" if i in wrap else "")
            attrs = f' class="{kind}"' if kind else ""
            attrs += f' data-sort="{escape(str(sort))}"' if sort is not None else ""
            cells.append(f"<td{attrs}>{html}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    table = f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    return f'<div class="scroll">{table}</div>'


def code(text: str, limit: int = 48, title: str | None = None) -> str:
    """Monospace text, cut at `limit` characters (the whole value, or `title`, in the tooltip)."""
    shown = text if len(text) <= limit else text[: limit - 1] + "…"
    return f'<code title="{escape(title or text)}">{escape(shown)}</code>'


def bar(ratio: float | None) -> tuple[str, float]:
    """A done-share cell: a small bar and the percentage; sorts by the ratio."""
    if ratio is None:
        return '<span class="note">no issues</span>', -1.0
    percent = max(0.0, min(1.0, float(ratio))) * 100
    return f'<span class="bar"><i style="width:{percent:.0f}%"></i></span> {percent:.0f}%', float(ratio)
