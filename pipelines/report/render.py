"""Render `ReportData` into one self-contained HTML page (inline CSS, JS and SVG; nothing fetched)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from html import escape
from pathlib import Path
from string import Template

from pipelines.display import human_bytes
from pipelines.report.charts import color_of, hbars, run_bars, stacked_bars
from pipelines.report.data import ReportData, SourceData
from pipelines.report.dora import section as dora_section
from pipelines.report.html import code as _code
from pipelines.report.html import pill as _pill
from pipelines.report.html import table as _table
from pipelines.report.progress import section as progress_section
from pipelines.secrets import redact

TEMPLATE = Path(__file__).with_name("template.html")
SEVERITY_COLORS = {"error": "#d1495b", "warning": "#c9a227", "info": "#2f6db5"}
RUNS_LISTED = 15


def render(data: ReportData) -> str:
    """The whole page as a string (every value escaped and redacted)."""
    tz = zoneinfo.ZoneInfo(data.timezone)
    when = lambda value: _time(value, tz)  # noqa: E731
    nav = "".join(f'<a href="#src-{escape(s.name)}">{escape(s.name)}</a>' for s in data.sources)
    nav = '<a href="#progress">releases &amp; epics</a>' + nav
    nav += '<a href="#units">units</a><a href="#dora">DORA</a><a href="#anomalies">anomalies</a>'
    parts = [_summary(data, when)]
    if data.progress is not None:
        parts.append(progress_section(data.progress, data.generated_at.astimezone(tz).date()))
    parts.append(_units(data, when))
    parts += [_source(source, when) for source in data.sources]
    if data.dora is not None:
        parts.append(dora_section(data.dora))
    parts.append(_anomalies(data))
    page = Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        title="Data Platform Light — delivery and sync report",
        nav=nav,
        generated=escape(when(data.generated_at)),
        timezone=escape(data.timezone),
        body="\n".join(parts),
    )
    return redact(page)


def _time(value, tz) -> str:
    if not isinstance(value, dt.datetime):
        return ""
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _age(hours: float | None) -> tuple[str, str]:
    if hours is None:
        return "", ""
    text = f"{hours:,.1f} h" if hours < 48 else f"{hours / 24:,.1f} d"
    kind = "fresh" if hours < 24 else ("stale" if hours < 24 * 7 else "old")
    return _pill(text, kind), f"{hours:.3f}"


def _summary(data: ReportData, when) -> str:
    cards = []
    for source in data.sources:
        last = source.runs[-1] if source.runs else None
        state = _pill(last["status"]) if last else '<span class="note">never run</span>'
        rows = sum(s["rows"] for s in source.streams)
        size = sum(s["bytes"] for s in source.streams)
        cards.append(
            f'<div class="card"><b>{escape(source.name)}</b> {state}<br>'
            f"{rows:,} rows · {human_bytes(size)} in bronze<br>"
            f'<span class="note">last run {escape(when(last["started_at"]) if last else "—")}</span></div>'
        )
    return f'<section><h2>Overview</h2><div class="cards">{"".join(cards)}</div></section>'


def _units(data: ReportData, when) -> str:
    rows = []
    for unit in data.units:
        last = unit.last
        backoff = f"×{unit.backoff:g} ({unit.failures} × {unit.failure_class})" if unit.backoff > 1 else ""
        if not unit.runnable:
            due = "—"
        else:
            due = when(unit.next_due) if unit.next_due and unit.next_due > data.generated_at else "now"
        rows.append(
            [
                escape(unit.source),
                escape(unit.stream),
                escape(unit.mode),
                escape(unit.schedule) + ("*" if unit.schedule_default else ""),
                _pill(unit.state),
                (f"{escape(when(last.started_at))} {_pill(last.status)}", last.started_at.isoformat()) if last else "",
                (f"{last.written:,}" if last and last.written is not None else "", last.written if last else ""),
                (f"{unit.rows_total:,}", unit.rows_total),
                escape(backoff),
                escape(due),
                escape(unit.drift),
                escape(unit.reason if not unit.runnable else ""),
            ]
        )
    columns = [
        "source",
        "stream",
        "mode",
        "schedule",
        "state",
        "last run",
        "rows (last)",
        "rows (total)",
        "backoff",
        "next due",
        "drift",
        "note",
    ]
    table = _table(columns, rows, numeric={6, 7}, empty="no units", wrap={11})
    note = (
        '<p class="note">* default schedule (config/alerts.yaml); set <code>schedule</code> per stream in sources.yaml'
    )
    note += "</p>"
    return f'<section id="units"><h2>Units (source × stream)</h2>{table}{note}</section>'


def _source(source: SourceData, when) -> str:
    parts = [f'<section id="src-{escape(source.name)}"><h2>{escape(source.name)}</h2>']
    if not source.streams and not source.runs:
        parts.append('<p class="note">never reached: no ledgers in bronze yet.</p></section>')
        return "".join(parts)
    colors = {s["stream"]: color_of(i) for i, s in enumerate(source.streams)}
    rows = {name: source.rows_per_day[name] for name in sorted(source.rows_per_day)}
    sizes = {name: source.bytes_per_day[name] for name in sorted(source.bytes_per_day)}
    charts = [
        stacked_bars(f"{source.name}: rows per day", source.days, rows, colors=colors),
        stacked_bars(f"{source.name}: bytes per day", source.days, sizes, human_bytes, colors=colors),
    ]
    if source.runs:
        charts.append(run_bars(f"{source.name}: run duration (s), colored by status", source.runs, "duration_s"))
        charts.append(
            run_bars(f"{source.name}: API calls per run (retries inside)", source.runs, "api_calls", overlay="retries")
        )
    parts.append(f'<div class="grid">{"".join(charts)}</div>')
    parts.append("<h3>Streams</h3>")
    parts.append(
        _table(
            ["stream", "files", "rows", "bytes", "last written"],
            [
                [
                    f'<i style="color:{color_of(i)}">■</i> {escape(s["stream"])}',
                    (f"{s['files']:,}", s["files"]),
                    (f"{s['rows']:,}", s["rows"]),
                    (human_bytes(s["bytes"]), s["bytes"]),
                    escape(when(s["last_written"])),
                ]
                for i, s in enumerate(source.streams)
            ],
            numeric={1, 2, 3},
        )
    )
    parts.append("<h3>Runs (newest first)</h3>")
    parts.append(
        _table(
            [
                "run",
                "mode",
                "status",
                "started",
                "duration s",
                "records",
                "API calls",
                "retries",
                "rate-limit wait s",
                "error",
            ],
            [
                [
                    f"<code>{escape(r['run_id'])}</code>",
                    escape(r["mode"]),
                    _pill(r["status"]),
                    escape(when(r["started_at"])),
                    (f"{r['duration_s']:,.1f}", r["duration_s"]),
                    (f"{r['records_written'] or 0:,}", r["records_written"]),
                    (f"{r['api_calls'] or 0:,}", r["api_calls"]),
                    (f"{r['retries'] or 0:,}", r["retries"]),
                    (f"{r['rate_limit_waits_s'] or 0:,.1f}", r["rate_limit_waits_s"]),
                    escape(redact(f"{r['error_class'] or ''} {r['error_message'] or ''}".strip())),
                ]
                for r in reversed(source.runs[-RUNS_LISTED:])
            ],
            numeric={4, 5, 6, 7, 8},
            wrap={9},
        )
    )
    parts.append("<h3>Cursor freshness</h3>")
    parts.append(
        _table(
            ["stream", "scope", "cursor field", "cursor value", "data age", "cursor updated", "updated age"],
            [
                [
                    escape(c["stream"]),
                    escape(c["scope"]),
                    escape(c["cursor_field"] or ""),
                    _code(c["cursor_text"], title=c["cursor_value"] or ""),
                    _age(c["cursor_age_h"]),
                    escape(when(c["updated_at"])),
                    _age(c["updated_age_h"]),
                ]
                for c in source.cursors
            ],
            empty="no cursors yet",
        )
    )
    parts.append(_drift(source, when))
    parts.append("</section>")
    return "".join(parts)


def _drift(source: SourceData, when) -> str:
    known = ", ".join(f"{escape(s)}: {n}" for s, n in sorted(source.drift_paths.items()))
    head = f"<h3>Schema drift (JSON paths per stream; known: {known or 'none yet'})</h3>"
    rows = [
        [
            escape(when(e["detected_at"])),
            escape(e["stream"]),
            _pill(e["change"], "failed" if e["change"] == "vanished" else "success"),
            f"<code>{escape(e['path'])}</code>",
            (f"{(e['share'] or 0) * 100:.0f}%", e["share"]),
            f"<code>{escape(e['run_id'])}</code>",
        ]
        for e in source.drift
    ]
    return head + _table(
        ["detected", "stream", "change", "path", "share of records", "run"],
        rows,
        numeric={4},
        empty="no new or vanished paths recorded",
    )


def _anomalies(data: ReportData) -> str:
    parts = ['<section id="anomalies"><h2>Anomalies by type (warehouse)</h2>']
    if data.anomalies_note:
        parts.append(f'<p class="note">{escape(data.anomalies_note)}</p>')
    elif not data.anomalies:
        parts.append('<p class="note">no anomalies: every integrity check passes.</p>')
    else:
        items = [
            (f"{a['anomaly_type']} ({a['severity']})", a["findings"], SEVERITY_COLORS.get(a["severity"], "#5c6b73"))
            for a in data.anomalies
        ]
        parts.append(hbars("Findings per anomaly type", items))
        parts.append(
            _table(
                ["anomaly type", "severity", "findings"],
                [
                    [escape(a["anomaly_type"]), _pill(a["severity"]), (f"{a['findings']:,}", a["findings"])]
                    for a in data.anomalies
                ],
                numeric={2},
            )
        )
    parts.append("</section>")
    return "".join(parts)


def write_report(data: ReportData, out: Path) -> Path:
    """Write the page atomically to `out` (folders created)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(render(data), encoding="utf-8")
    tmp.replace(out)
    return out
