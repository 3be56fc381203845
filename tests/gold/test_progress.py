"""Release and epic progress for managers: the gold views and the report section built on them."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from pipelines.report import build_report
from pipelines.report.progress import read_progress
from pipelines.settings import load_settings
from pipelines.silver import build_silver
from tests.ops.browser import rendered_dom
from tests.silver import jira_records as jr
from tests.silver.bronze_files import Bronze
from tests.silver.support import query

PROJECT = {"project_id": "10003", "project_key": "ABC"}


def issue(issue_id: int, key: str, created: str, **kwargs) -> dict:
    record = jr.issue(issue_id, key, **kwargs)
    record["fields"]["created"] = created
    return record


def seed(bronze_dir) -> None:
    """Release 2.0 (unreleased): an epic, two of its stories (one done), a bug without epic, a sub-task;
    release 1.0 (released): one done story; a label naming a release no version has."""
    bronze = Bronze(bronze_dir)
    bronze.write("jira", "fields", jr.FIELDS)
    bronze.write("jira", "versions", [jr.version(1, "1.0", released=True), jr.version(2, "2.0")], parents=PROJECT)
    v2 = [(2, "2.0")]
    epic = (1, "ABC-1", "Epic")
    bronze.write(
        "jira",
        "issues",
        [
            issue(1, "ABC-1", "2026-10-01T09:00:00.000+0000", kind="Epic", fix_versions=v2),
            issue(
                2,
                "ABC-2",
                "2026-10-01T09:00:00.000+0000",
                parent=epic,
                fix_versions=v2,
                story_points=3,
                category="done",
                updated="2026-10-14T10:00:00.000+0000",
            ),
            issue(
                3, "ABC-3", "2026-10-08T09:00:00.000+0000", parent=epic, fix_versions=v2, story_points=5, category="new"
            ),
            issue(4, "ABC-4", "2026-10-20T09:00:00.000+0000", kind="Bug", fix_versions=v2),  # no epic: a finding
            issue(
                5,
                "ABC-5",
                "2026-10-20T09:00:00.000+0000",
                kind="Sub-task",
                parent=(3, "ABC-3", "Story"),
                fix_versions=v2,
                updated="2026-11-02T10:00:00.000+0000",
            ),
            issue(
                6,
                "ABC-6",
                "2026-09-01T09:00:00.000+0000",
                parent=epic,
                fix_versions=[(1, "1.0")],
                category="done",
                updated="2026-09-10T10:00:00.000+0000",
            ),
            issue(7, "ABC-7", "2026-10-01T09:00:00.000+0000", parent=epic, labels=["release-3.0"]),
        ],
    )


@pytest.fixture
def settings():
    settings = load_settings()
    seed(settings.bronze_dir)
    build_silver(settings)
    return settings


def test_release_progress_counts_issues_by_status_category_with_findings(settings):
    rows = query(
        settings,
        """select release_name, release_id, is_released, issues, issues_to_do, issues_in_progress, issues_done,
                  issues_remaining, round(done_ratio, 3), story_points, story_points_remaining, epics,
                  anomaly_findings
           from release_progress order by release_name""",
    )
    assert rows == [
        ("1.0", 1, True, 1, 0, 0, 1, 0, 1.0, 0, 0, 1, 1),  # ABC-6: its epic is not in 1.0
        # ABC-1..4 (the sub-task ABC-5 counts with its parent); ABC-4 has no epic: one finding
        ("2.0", 2, False, 4, 1, 2, 1, 3, 0.25, 8, 5, 1, 1),
        # a release only a label names: ABC-7 has three findings (label, unknown release, epic not in it)
        ("3.0", None, False, 1, 0, 1, 0, 1, 0.0, 0, 0, 1, 3),
    ]
    findings = query(settings, "select anomaly_type from anomalies where entity_key = 'ABC-7' order by 1")
    assert findings == [("release_epic_mismatch",), ("release_from_label",), ("unknown_release",)]


def test_epic_progress_counts_the_epic_issues_without_sub_tasks(settings):
    assert query(
        settings,
        """select epic_issue_key, release_names, issues, issues_done, issues_remaining, round(done_ratio, 3),
                  story_points_remaining from epic_progress""",
    ) == [("ABC-1", ["2.0"], 4, 2, 2, 0.5, 5)]  # ABC-2, 3, 6, 7 (not the sub-task ABC-5)


def test_release_burn_up_per_week_up_to_the_latest_update(settings):
    weeks = query(
        settings,
        "select week_start, issues, issues_done, issues_remaining from release_progress_weekly "
        "where release_name = '2.0' order by week_start",
    )
    monday = lambda m, d: dt.date(2026, m, d)  # noqa: E731
    assert weeks == [
        (monday(9, 28), 2, 0, 2),  # ABC-1, ABC-2 created on Thursday 10-01
        (monday(10, 5), 3, 0, 3),  # + ABC-3
        (monday(10, 12), 3, 1, 2),  # ABC-2 resolved on 10-14
        (monday(10, 19), 4, 1, 3),  # + ABC-4
        (monday(10, 26), 4, 1, 3),
        (monday(11, 2), 4, 1, 3),  # the week of the latest update (ABC-5, 11-02)
    ]


def test_the_report_shows_releases_epics_and_burn_ups(settings, tmp_path):
    progress = read_progress(settings.warehouse)
    assert [r["release_name"] for r in progress.releases] == ["2.0", "3.0", "1.0"]  # unreleased first
    assert list(progress.trends) == ["ABC 2.0", "ABC 3.0"]
    page = build_report(settings, tmp_path / "r.html", days=3).read_text(encoding="utf-8")
    section = page.split('<section id="progress">', 1)[1].split("</section>", 1)[0]
    assert "2 unreleased release(s): 1 of 5 issues done (20%), 4 remaining, 4 integrity finding(s)" in section
    assert "ABC 2.0: burn-up" in section and section.count("<svg") == 3
    row = re.search(r"<tr><td>ABC 2\.0</td>.*?</tr>", section).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[3:7] == ["4", "1", "2", "1"] and cells[7].endswith(" 25%") and cells[8] == "3"
    assert "ABC-1" in section and "50%" in section


def test_without_a_warehouse_the_section_is_a_note(tmp_path):
    assert read_progress(tmp_path / "none.duckdb").note.startswith("no warehouse yet")


def test_the_progress_section_renders_in_headless_chromium(settings, tmp_path):
    dom = rendered_dom(build_report(settings, tmp_path / "report.html", days=7), tmp_path)
    section = dom.split('<section id="progress">', 1)[1].split("</section>", 1)[0]
    assert section.count("<svg") == 3 and "ABC 2.0" in section and 'class="bar"' in section
