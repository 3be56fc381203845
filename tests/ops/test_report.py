"""The HTML report: data from hand-made ledgers, self-contained page, warehouse absent or locked, headless Chromium."""

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.drift import PathCollector
from pipelines.report import build_report
from pipelines.report.data import collect, read_anomalies
from pipelines.settings import load_settings
from tests.ops.browser import chromium_flags, rendered_dom
from tests.ops.ledgers import T0, add_cursor, add_manifest, add_run, result

HOUR = dt.timedelta(hours=1)
NOW = T0 + 30 * HOUR


def seed(settings) -> None:
    """Two days of jira and jenkins ledgers, runs of every status, cursors, drift, anomalies."""
    bronze = settings.bronze_dir
    for day in range(2):
        at = T0 + day * 24 * HOUR
        add_manifest(bronze, "jira", "issues", 100 + day, 50_000, at)
        add_manifest(bronze, "jira", "comments", 40, 9_000, at)
        add_manifest(bronze, "jenkins", "builds", 7, 3_000, at)
    add_run(bronze, result("jira", T0, counts={"issues": 100, "comments": 40}, seconds=80))
    add_run(bronze, result("jira", T0 + HOUR, "failed", error=("RATE_LIMITED", "429 <b>x</b>"), n=1))
    add_run(bronze, result("jira", T0 + 2 * HOUR, "partial", counts={"issues": 1}, n=2))
    add_run(bronze, result("jenkins", T0, counts={"builds": 7}))
    add_cursor(bronze, "jira", "issues", "ABC", "2026-11-21T10:00:00.000000Z", NOW - HOUR)
    add_cursor(bronze, "jenkins", "builds", "folder/job", "1234", NOW - 200 * HOUR)
    for run_id, shape in (("R1", {"a": 1}), ("R2", {"a": 1, "b": {"c": 2}})):
        collector = PathCollector()
        collector.observe("issues", [dict(shape) for _ in range(30)])
        collector.commit(bronze, "jira", run_id)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(
            "create table anomalies as select * from (values ('issue_without_epic', 'warning', 'jira_issue', 'A-1', "
            "'d'), ('issue_without_epic', 'warning', 'jira_issue', 'A-2', 'd'), ('orphan_comment', 'error', "
            "'jira_comment', '9', 'd')) t(anomaly_type, severity, entity, entity_key, detail)"
        )


@pytest.fixture
def settings():
    settings = load_settings()
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    seed(settings)
    return settings


def test_collect_reads_volumes_runs_freshness_drift_and_anomalies(settings):
    data = collect(settings, days=3, now=NOW, env={})
    jira = next(s for s in data.sources if s.name == "jira")
    assert jira.days == ["2026-11-19", "2026-11-20", "2026-11-21"]
    assert jira.rows_per_day == {"issues": [0, 100, 101], "comments": [0, 40, 40]}
    assert jira.bytes_per_day["issues"] == [0, 50_000, 50_000]
    assert [r["status"] for r in jira.runs] == ["success", "failed", "partial"]
    assert jira.runs[0]["duration_s"] == 80
    (cursor,) = jira.cursors
    assert round(cursor["cursor_age_h"], 3) == 4.0 and round(cursor["updated_age_h"], 3) == 1.0
    (jenkins_cursor,) = next(s for s in data.sources if s.name == "jenkins").cursors
    assert jenkins_cursor["cursor_age_h"] is None and round(jenkins_cursor["updated_age_h"]) == 200
    assert [(e["change"], e["path"]) for e in jira.drift] == [("new", "b.c"), ("new", "b")]
    assert jira.drift_paths == {"issues": 3}
    assert data.anomalies == [
        {"anomaly_type": "issue_without_epic", "severity": "warning", "findings": 2},
        {"anomaly_type": "orphan_comment", "severity": "error", "findings": 1},
    ]
    assert not data.anomalies_note
    assert {u.source for u in data.units} >= {"jira", "bitbucket", "jenkins"}


def test_page_is_self_contained_and_escaped(settings, tmp_path):
    page = build_report(settings, tmp_path / "out" / "r.html", days=3).read_text(encoding="utf-8")
    assert page.count("<svg") >= 6  # rows + bytes per source, 2 run charts per source with runs, anomalies
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing fetched from anywhere
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "429 &lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    for needle in ("issues", "RATE_LIMITED", "orphan_comment", "b.c", "Cursor freshness", "never reached"):
        assert needle in page


def test_absent_or_locked_warehouse_is_a_note_not_a_failure(settings, tmp_path):
    assert read_anomalies(tmp_path / "nope.duckdb")[1].startswith("no warehouse yet")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert "no `anomalies` view" in read_anomalies(empty)[1]
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(60)",
            str(settings.warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        rows, note = read_anomalies(settings.warehouse)
        assert rows == [] and "in use by process" in note
        assert "in use" in build_report(settings, tmp_path / "r.html").read_text(encoding="utf-8")
    finally:
        holder.kill()
        holder.wait()


def test_page_renders_in_headless_chromium_without_console_errors(settings, tmp_path):
    page = build_report(settings, tmp_path / "report.html", days=14)
    dom = rendered_dom(page, tmp_path)
    charts = int(re.search(r'data-charts="(\d+)"', dom).group(1))
    assert charts >= 6
    shot = tmp_path / "report.png"
    done = subprocess.run(
        [
            *chromium_flags(tmp_path),
            "--hide-scrollbars",
            "--window-size=1280,2200",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=90,
    )
    assert done.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_report_cli_writes_the_default_path(settings, tmp_path, monkeypatch):
    import argparse

    from pipelines import cli_ops

    parser = argparse.ArgumentParser()
    cli_ops.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report"])
    assert cli_ops.COMMANDS["report"](settings, args) == 0
    assert Path("reports/latest.html").is_file()  # cwd is the test's tmp dir
