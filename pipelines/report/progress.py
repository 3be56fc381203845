"""The report's view for managers: release and epic progress, read from the gold views.

`release_progress` (issues by status category, done share, remaining work, findings per release),
`release_progress_weekly` (scope and done per week: the burn-up) and `epic_progress`. Read-only, like
the rest of the report; a missing or busy warehouse is a note, not an error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from html import escape

import duckdb

from pipelines.errors import DplError
from pipelines.report.charts import stacked_bars
from pipelines.report.html import bar, pill, table
from pipelines.secrets import redact
from pipelines.silver.warehouse import available, connect

MAX_RELEASES = 30  # rows of the release table: unreleased first (nearest release date first), then the latest released
MAX_EPICS = 30  # open epics with the most remaining issues
TRENDS = 4  # burn-up charts: the first unreleased releases with issues
STATUS_PILLS = {"done": "success", "indeterminate": "running", "new": "todo"}  # status category -> pill colour
CATEGORY_COLORS = {"to do": "#9aa5b1", "in progress": "#2f6db5", "done": "#3a9a5b"}
RELEASES_SQL = """
select * from release_progress
where not is_archived
order by is_released,
    case when is_released then null else release_date end nulls last,
    release_date desc nulls last, project_key, release_name
limit ?
"""
EPICS_SQL = """
select * from epic_progress
where epic_status_category != 'done' or issues_remaining > 0
order by issues_remaining desc, anomaly_findings desc, epic_issue_key
limit ?
"""
TREND_SQL = """
select week_start, issues, issues_done, issues_remaining from release_progress_weekly
where project_key = ? and release_name = ?
order by week_start desc
limit ?
"""


@dataclasses.dataclass
class Progress:
    """The releases and epics to show, and the weekly burn-up of the active releases."""

    releases: list[dict]
    epics: list[dict]
    trends: dict[str, list[dict]]  # "<project> <release>" -> weeks, oldest first
    note: str = ""  # why there is nothing to show ('' when read fine)


def read_progress(warehouse, weeks: int = 12) -> Progress:
    """Releases, open epics and the last `weeks` weeks of the active releases; a note when unreadable."""
    if not available(warehouse):
        return Progress([], [], {}, f"no warehouse yet at {warehouse} (run `make silver`)")
    try:
        with connect(warehouse, read_only=True) as con:
            names = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
            if "release_progress" not in names:
                return Progress([], [], {}, "the warehouse has no `release_progress` view yet (run `make silver`)")
            releases = _rows(con, RELEASES_SQL, [MAX_RELEASES])
            epics = _rows(con, EPICS_SQL, [MAX_EPICS])
            active = [r for r in releases if not r["is_released"] and r["issues"]][:TRENDS]
            trends = {
                label(r): list(reversed(_rows(con, TREND_SQL, [r["project_key"], r["release_name"], weeks])))
                for r in active
            }
    except DplError as exc:
        return Progress([], [], {}, redact(exc.message))
    except (duckdb.Error, OSError) as exc:
        first = str(exc).splitlines()[0]
        return Progress([], [], {}, redact(f"the warehouse could not be read ({type(exc).__name__}: {first})"))
    if not releases and not epics:
        return Progress([], [], {}, "no Jira releases or epics in the warehouse yet")
    return Progress(releases, epics, trends)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    result = con.execute(sql, params)
    names = [d[0] for d in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def label(release: dict) -> str:
    """`DPL 1.5`: a release named with its project."""
    return f"{release['project_key'] or '?'} {release['release_name']}"


def summary_line(progress: Progress) -> str:
    """The unreleased releases as a whole: issues done, remaining, findings."""
    open_releases = [r for r in progress.releases if not r["is_released"]]
    issues = sum(r["issues"] for r in open_releases)
    done = sum(r["issues_done"] for r in open_releases)
    findings = sum(r["anomaly_findings"] for r in open_releases)
    share = f" ({done / issues:.0%})" if issues else ""
    return (
        f"{len(open_releases)} unreleased release(s): {done:,} of {issues:,} issues done{share}, "
        f"{issues - done:,} remaining, {findings:,} integrity finding(s) on their issues"
    )


def section(progress: Progress, today: dt.date) -> str:
    """The report's release and epic progress section: charts, then the two tables."""
    parts = ['<section id="progress"><h2>Delivery progress: Jira releases and epics</h2>']
    if progress.note:
        parts.append(f'<p class="note">{escape(progress.note)}</p></section>')
        return "".join(parts)
    parts.append(f"<p>{escape(summary_line(progress))}</p>")
    shown = [r for r in progress.releases if not r["is_released"]][:12] or progress.releases[:12]
    charts = [
        stacked_bars(
            "Issues by status category per release (unreleased first)",
            [label(r) for r in shown],
            {
                "to do": [r["issues_to_do"] for r in shown],
                "in progress": [r["issues_in_progress"] for r in shown],
                "done": [r["issues_done"] for r in shown],
            },
            colors=CATEGORY_COLORS,
        )
    ]
    for name, weeks in progress.trends.items():
        charts.append(
            stacked_bars(
                f"{name}: burn-up, issues done and remaining per week",
                [w["week_start"].isoformat() for w in weeks],
                {"done": [w["issues_done"] for w in weeks], "remaining": [w["issues_remaining"] for w in weeks]},
                colors={"done": CATEGORY_COLORS["done"], "remaining": CATEGORY_COLORS["to do"]},
            )
        )
    parts.append(f'<div class="grid">{"".join(charts)}</div>')
    parts.append("<h3>Releases</h3>")
    parts.append(_releases(progress.releases, today))
    parts.append("<h3>Open epics (most remaining first)</h3>")
    parts.append(_epics(progress.epics))
    note = (
        "Sub-tasks count with their parent. Findings: rows of the <code>anomalies</code> view about the issues. "
        "Views: <code>release_progress</code>, <code>release_progress_weekly</code>, <code>epic_progress</code>."
    )
    parts.append(f'<p class="note">{note}</p></section>')
    return "".join(parts)


def _state(release: dict, today: dt.date) -> str:
    if release["is_released"]:
        return pill("released", "success")
    due = release["release_date"]
    if release["is_overdue"] or (due is not None and due < today):
        return pill("overdue", "failed")
    return pill("unreleased", "warning" if due is None else "running")


def _count(value) -> tuple[str, float]:
    return f"{value or 0:,.0f}", value or 0


def _releases(releases: list[dict], today: dt.date) -> str:
    rows = [
        [
            escape(label(r)),
            _state(r, today),
            (escape(r["release_date"].isoformat()) if r["release_date"] else "", str(r["release_date"] or "")),
            _count(r["issues"]),
            _count(r["issues_to_do"]),
            _count(r["issues_in_progress"]),
            _count(r["issues_done"]),
            bar(r["done_ratio"]),
            _count(r["issues_remaining"]),
            _count(r["story_points_remaining"]),
            _count(r["anomaly_findings"]),
        ]
        for r in releases
    ]
    columns = ["release", "state", "release date", "issues", "to do", "in progress", "done", "done %", "remaining"]
    columns += ["points remaining", "findings"]
    return table(columns, rows, numeric={3, 4, 5, 6, 8, 9, 10}, empty="no releases")


def _epics(epics: list[dict]) -> str:
    rows = [
        [
            escape(e["epic_issue_key"]),
            escape(e["epic_summary"] or ""),
            pill(
                e["epic_status"] or "?", {"done": "success", "indeterminate": "running"}.get(e["epic_status_category"])
            ),
            escape(", ".join(e["release_names"])),
            _count(e["issues"]),
            bar(e["done_ratio"]),
            _count(e["issues_remaining"]),
            _count(e["story_points_remaining"]),
            _count(e["anomaly_findings"]),
        ]
        for e in epics
    ]
    columns = ["epic", "summary", "status", "releases", "issues", "done %", "remaining", "points remaining"]
    return table([*columns, "findings"], rows, numeric={4, 6, 7, 8}, empty="no open epics", wrap={1})
