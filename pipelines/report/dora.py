"""DORA metrics read from the warehouse: the `dora` command's table and the report's DORA section.

Reads the gold views `dora_weekly` (one row per week) and `int_delivery__dora_facts` (for the figures
over the whole window: medians cannot be combined from weekly medians). Read-only, like the report.
"""

from __future__ import annotations

import dataclasses
from html import escape

import duckdb

from pipelines.errors import DplError
from pipelines.report.charts import stacked_bars
from pipelines.secrets import redact
from pipelines.silver.warehouse import available, connect

OK_COLOR, FAILURE_COLOR, P50_COLOR, P90_COLOR = "#3a9a5b", "#d1495b", "#2f6db5", "#9dbbe0"
WINDOW_SQL = """
select
    count(*) filter (where fact = 'deployment') as deployments,
    count(*) filter (where fact = 'deployment' and is_successful) as successful_deployments,
    count(*) filter (where fact = 'deployment' and is_change_failure) as change_failures,
    quantile_cont(seconds, 0.5) filter (where fact = 'change') as lead_time_median_seconds,
    quantile_cont(seconds, 0.9) filter (where fact = 'change') as lead_time_p90_seconds,
    quantile_cont(seconds, 0.5) filter (where fact = 'incident_resolved') as time_to_restore_median_seconds
from int_delivery__dora_facts
where week_start >= ?
"""


@dataclasses.dataclass
class Dora:
    """The last weeks of `dora_weekly` (oldest first) and the same window as a whole."""

    weeks: list[dict]
    window: dict
    note: str = ""  # why there is nothing to show ('' when read fine)


def read_dora(warehouse, weeks: int) -> Dora:
    """The last `weeks` weeks that have data (ending at the latest one); a note instead when unreadable."""
    if not available(warehouse):
        return Dora([], {}, f"no warehouse yet at {warehouse} (run `make silver`)")
    try:
        with connect(warehouse, read_only=True) as con:
            names = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
            if "dora_weekly" not in names:
                return Dora([], {}, "the warehouse has no `dora_weekly` view yet (run `make silver`)")
            result = con.execute("select * from dora_weekly order by week_start desc limit ?", [weeks])
            columns = [d[0] for d in result.description]
            rows = [dict(zip(columns, row, strict=True)) for row in reversed(result.fetchall())]
            if not rows:
                return Dora([], {}, "no production deployments or incidents yet (see config/delivery.yaml)")
            window = con.execute(WINDOW_SQL, [rows[0]["week_start"]])
            names = [d[0] for d in window.description]
            summary = dict(zip(names, window.fetchone(), strict=True))
    except DplError as exc:
        return Dora([], {}, redact(exc.message))
    except (duckdb.Error, OSError) as exc:
        first = str(exc).splitlines()[0]
        return Dora([], {}, redact(f"the warehouse could not be read ({type(exc).__name__}: {first})"))
    summary["weeks"] = len(rows)
    return Dora(rows, summary)


def duration(seconds: float | None) -> str:
    """A duration for people: `45 min`, `5.2 h`, `3.1 d`; empty when unknown."""
    if seconds is None:
        return ""
    if abs(seconds) < 3600:
        return f"{seconds / 60:.0f} min"
    if abs(seconds) < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def percent(rate: float | None) -> str:
    """`33%`, empty when unknown."""
    return "" if rate is None else f"{rate * 100:.0f}%"


def text_rows(dora: Dora) -> list[dict]:
    """The weeks as rows for a terminal table."""
    return [
        {
            "week": row["week_start"].isoformat(),
            "deploys": row["deployments"],
            "ok": row["successful_deployments"],
            "days": row["deployment_days"],
            "failures": row["change_failures"],
            "CFR": percent(row["change_failure_rate"]),
            "changes": row["changes_deployed"],
            "lead p50": duration(row["lead_time_median_seconds"]),
            "lead p90": duration(row["lead_time_p90_seconds"]),
            "incidents": row["incidents_opened"],
            "restored": row["incidents_resolved"],
            "restore p50": duration(row["time_to_restore_median_seconds"]),
        }
        for row in dora.weeks
    ]


def summary_line(dora: Dora) -> str:
    """The whole window in one sentence: frequency, lead time, change failure rate, time to restore."""
    w = dora.window
    deployments, weeks = w["deployments"], max(w["weeks"], 1)
    rate = w["change_failures"] / deployments if deployments else None
    parts = [
        f"{w['successful_deployments'] / weeks:.1f} successful deployments/week",
        f"lead time median {duration(w['lead_time_median_seconds']) or '-'} "
        f"(p90 {duration(w['lead_time_p90_seconds']) or '-'})",
        f"change failure rate {percent(rate) or '-'} ({w['change_failures']} of {deployments})",
        f"time to restore median {duration(w['time_to_restore_median_seconds']) or '-'}",
    ]
    return f"last {w['weeks']} week(s): " + ", ".join(parts)


def section(dora: Dora) -> str:
    """The report's DORA section: four charts and the weekly table."""
    parts = ['<section id="dora"><h2>DORA (production, weeks from Monday, UTC)</h2>']
    if dora.note:
        parts.append(f'<p class="note">{escape(dora.note)}</p></section>')
        return "".join(parts)
    labels = [row["week_start"].isoformat() for row in dora.weeks]

    def series(key: str, scale: float = 1.0) -> list[float]:
        return [(row[key] or 0) / scale for row in dora.weeks]

    ok = [row["deployments"] - row["change_failures"] for row in dora.weeks]
    p50 = series("lead_time_median_seconds", 86400)
    p90 = [max(high - low, 0) for high, low in zip(series("lead_time_p90_seconds", 86400), p50, strict=True)]
    days = lambda v: f"{v:,.1f} d"  # noqa: E731
    charts = [
        stacked_bars(
            "Deployment frequency: production deployments per week",
            labels,
            {"no change failure": ok, "change failure": series("change_failures")},
            colors={"no change failure": OK_COLOR, "change failure": FAILURE_COLOR},
        ),
        stacked_bars(
            "Change failure rate (%)",
            labels,
            {"change failure rate": [100 * (row["change_failure_rate"] or 0) for row in dora.weeks]},
            lambda v: f"{v:,.0f}%",
            colors={"change failure rate": FAILURE_COLOR},
        ),
        stacked_bars(
            "Lead time for changes, commit → production (days)",
            labels,
            {"median": p50, "p90 (above the median)": p90},
            days,
            colors={"median": P50_COLOR, "p90 (above the median)": P90_COLOR},
        ),
        stacked_bars(
            "Time to restore, incident created → resolved (median, hours)",
            labels,
            {"median": series("time_to_restore_median_seconds", 3600)},
            lambda v: f"{v:,.1f} h",
            colors={"median": P50_COLOR},
        ),
    ]
    parts.append(f'<p>{escape(summary_line(dora))}</p><div class="grid">{"".join(charts)}</div>')
    rows = text_rows(dora)
    head = "".join(f"<th>{escape(name)}</th>" for name in rows[0])
    cells = lambda row: "".join(  # noqa: E731 - the week left, the figures right-aligned
        f"<td{' class=num' if i else ''}>{escape(str(value))}</td>" for i, value in enumerate(row.values())
    )
    body = "".join(f"<tr>{cells(row)}</tr>" for row in rows)
    parts.append(f'<div class="scroll"><table class="sortable"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>')
    parts.append("</table></div></section>")
    return "".join(parts)
