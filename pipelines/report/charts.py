"""Inline SVG charts (no JavaScript, no external assets): stacked bars per day, bars per run, horizontal bars."""

from __future__ import annotations

import re
from html import escape

PALETTE = ["#2f6db5", "#e07b39", "#3a9a5b", "#b8457a", "#7a5cc4", "#c9a227", "#3aa6b9", "#8a6d52", "#d1495b", "#5c6b73"]
STATUS_COLORS = {"success": "#3a9a5b", "partial": "#c9a227", "failed": "#d1495b", "running": "#5c6b73"}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 42


def number(value: float) -> str:
    """1,234 for whole numbers, 2.5 otherwise (axis ticks, tooltips)."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def color_of(index: int) -> str:
    """The palette color of the `index`-th series."""
    return PALETTE[index % len(PALETTE)]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _axis(top_value: float, fmt) -> list[str]:
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        value = top_value * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{escape(fmt(value))}</text>')
    return parts


def _svg(title: str, body: list[str], legend: list[tuple[str, str]]) -> str:
    keys = "".join(
        f'<span class="key"><i style="background:{color}"></i>{escape(name)}</span>' for name, color in legend
    )
    return (
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f">{''.join(body)}</svg>"
        f'<div class="legend">{keys}</div></figure>'
    )


def stacked_bars(
    title: str, labels: list[str], series: dict[str, list[float]], fmt=number, colors: dict[str, str] | None = None
) -> str:
    """Bars per label (e.g. day), stacked by series (e.g. stream); each segment has a tooltip."""
    colors = colors or {name: color_of(i) for i, name in enumerate(series)}
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top_value = _nice_max(max(totals, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    bar_w = max(2.0, slot * 0.72)
    body = _axis(top_value, fmt)
    every = max(1, len(labels) // 10)
    for i, label in enumerate(labels):
        x = LEFT + i * slot + (slot - bar_w) / 2
        base = TOP + plot_h
        for name, values in series.items():
            value = values[i]
            if value <= 0:
                continue
            h = plot_h * value / top_value
            base -= h
            body.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colors[name]}">'
                f"<title>{escape(f'{label} · {name}: {fmt(value)}')}</title></rect>"
            )
        if i % every == 0:
            body.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" class="tick" '
                f'text-anchor="middle">{escape(_short(label))}</text>'
            )
    legend = [(name, colors[name]) for name in series]
    return _svg(title, body, legend)


def _short(label: str) -> str:
    """An axis label: a date without its year (`11-21`), anything else cut to 14 characters."""
    if DATE.fullmatch(label):
        return label[5:]
    return label if len(label) <= 14 else label[:13] + "…"


def run_bars(title: str, runs: list[dict], value_key: str, fmt=number, overlay: str | None = None) -> str:
    """One bar per run (oldest left) colored by status; `overlay` draws a second, darker bar inside (e.g. retries)."""
    values = [float(r.get(value_key) or 0) for r in runs]
    top_value = _nice_max(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(runs))
    bar_w = max(2.0, slot * 0.72)
    body = _axis(top_value, fmt)
    every = max(1, len(runs) // 8)
    for i, run in enumerate(runs):
        x = LEFT + i * slot + (slot - bar_w) / 2
        h = plot_h * values[i] / top_value
        tip = (
            f"{run['run_id']} · {run['status']} · {run.get('mode', '')} · {run.get('duration_s', 0):,.1f} s · "
            f"{run.get('api_calls', 0):,} calls · {run.get('retries', 0):,} retries · "
            f"{run.get('records_written', 0):,} records"
            + (f" · {run['error_class']}" if run.get("error_class") else "")
        )
        color = STATUS_COLORS.get(run["status"], "#5c6b73")
        body.append(
            f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar_w:.1f}" height="{max(h, 1):.1f}" '
            f'fill="{color}" class="run-{escape(run["status"])}"><title>{escape(tip)}</title></rect>'
        )
        if overlay and run.get(overlay):
            oh = plot_h * float(run[overlay]) / top_value
            body.append(
                f'<rect x="{x + bar_w * 0.25:.1f}" y="{TOP + plot_h - oh:.1f}" width="{bar_w * 0.5:.1f}" '
                f'height="{max(oh, 1):.1f}" fill="#222" opacity="0.55"><title>{escape(tip)}</title></rect>'
            )
        if i % every == 0:
            body.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" class="tick" text-anchor="middle">'
                f"{escape(run['started_at'].strftime('%m-%d %H:%M'))}</text>"
            )
    legend = [(status, color) for status, color in STATUS_COLORS.items() if any(r["status"] == status for r in runs)]
    if overlay:
        legend.append((overlay, "#222"))
    return _svg(title, body, legend)


def hbars(title: str, items: list[tuple[str, float, str]]) -> str:
    """Horizontal bars: (label, value, color) — e.g. anomalies by type."""
    top_value = _nice_max(max((v for _, v, _ in items), default=0))
    row_h = 22
    height = TOP + row_h * max(1, len(items)) + 10
    label_w = 230
    body = []
    for i, (label, value, color) in enumerate(items):
        y = TOP + i * row_h
        w = (WIDTH - label_w - 70) * value / top_value
        body.append(f'<text x="{label_w - 8}" y="{y + 15}" class="tick" text-anchor="end">{escape(label)}</text>')
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" fill="{color}">'
            f"<title>{escape(f'{label}: {value:,.0f}')}</title></rect>"
        )
        body.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="tick">{value:,.0f}</text>')
    svg = (
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" '
        f">{''.join(body)}</svg></figure>"
    )
    return svg
