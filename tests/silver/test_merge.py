"""Idempotent merges: re-runs change nothing, run-by-run equals a full rebuild, newest always wins."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from pipelines.errors import DplError, ErrorClass
from pipelines.silver import build_silver
from tests.silver import jira_records as jr
from tests.silver.bronze_files import Bronze
from tests.silver.support import checksums, query, settings_for

PROJECT = {"project_id": "10003", "project_key": "ABC"}
T1, T2, T3 = "2026-11-01T10:00:00.000+0000", "2026-11-02T10:00:00.000+0000", "2026-11-03T10:00:00.000+0000"


def write_runs(bronze: Bronze) -> list:
    """Five runs, each a callable publishing its files: first sync, changes, overlap, backfill, census."""

    def first():
        bronze.write("jira", "fields", jr.FIELDS, run_id="r1")
        bronze.write("jira", "versions", [jr.version(1, "1.0")], parents=PROJECT, run_id="r1")
        bronze.write(
            "jira",
            "issues",
            [
                jr.issue(1, "ABC-1", kind="Epic", updated=T1),
                jr.issue(2, "ABC-2", parent=(1, "ABC-1", "Epic"), updated=T1, comments=[jr.comment(10, "v1", T1)]),
                jr.issue(3, "ABC-3", updated=T1, labels=["release-1.0"]),
            ],
            run_id="r1",
        )

    def changes():
        bronze.write(
            "jira",
            "issues",
            [
                jr.issue(
                    2,
                    "ABC-2",
                    parent=(1, "ABC-1", "Epic"),
                    updated=T2,
                    category="done",
                    comments=[jr.comment(10, "v2", T2)],
                    fix_versions=[(1, "1.0")],
                ),
                jr.issue(4, "ABC-4", kind="Bug", updated=T2, epic_link="ABC-1"),
            ],
            run_id="r2",
        )
        parent = {"issue_id": "4", "issue_key": "ABC-4"}
        bronze.write("jira", "worklogs", [jr.worklog(40, 4, 600)], parents=parent, run_id="r2")

    def overlap():  # the safety window re-delivers what r2 already wrote, plus one change
        bronze.write(
            "jira",
            "issues",
            [jr.issue(4, "ABC-4", kind="Bug", updated=T2, epic_link="ABC-1"), jr.issue(3, "ABC-3", updated=T3)],
            run_id="r3",
        )

    def backfill():  # a backfill re-extracts an older version of ABC-2 after the newer one
        bronze.write(
            "jira", "issues", [jr.issue(2, "ABC-2", updated=T1, comments=[jr.comment(10, "v1", T1)])], run_id="r4"
        )

    def census():
        bronze.write(
            "jira",
            "issue_census",
            [{"id": "1", "key": "ABC-1"}, {"id": "2", "key": "ABC-2"}, {"id": "4", "key": "ABC-4"}],
            parents={"project_key": "ABC"},
            run_id="r5",
        )
        bronze.cursor("jira", "issue_census", "ABC", bronze.tick().strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "r5")

    return [first, changes, overlap, backfill, census]


def test_incremental_run_by_run_equals_full_rebuild(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    settings = settings_for(tmp_path)
    for run in write_runs(bronze):
        run()
        build_silver(settings)
    incremental = checksums(settings)

    full = settings_for(tmp_path, warehouse="full.duckdb")
    build_silver(full, full=True)
    assert checksums(full) == incremental
    assert "jira_issues" in incremental and "anomalies" in incremental

    # and FULL=1 on the same warehouse gives the same again
    build_silver(settings, full=True)
    assert checksums(settings) == incremental


def test_running_twice_changes_nothing(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    settings = settings_for(tmp_path)
    for run in write_runs(bronze):
        run()
    build_silver(settings)
    before = checksums(settings)
    summary = build_silver(settings)
    assert checksums(settings) == before
    assert {name: entry["changed"] for name, entry in summary.items() if entry["changed"]} == {}


def test_a_build_with_nothing_new_returns_the_last_summary_and_writes_nothing(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    runs = write_runs(bronze)
    runs[0]()
    settings = settings_for(tmp_path)
    built = build_silver(settings)
    stamp = "select count(*), max(merged_at) from _silver_files"
    merged = query(settings, stamp)
    again = build_silver(settings)
    assert again == {name: {"rows": entry["rows"], "changed": 0} for name, entry in built.items()}
    assert query(settings, stamp) == merged  # nothing recorded: the build stopped before writing

    # any input changing makes it a real build again: a setting, a dropped view, new bronze
    relabelled = settings_for(tmp_path, jira_silver={"release_label_patterns": ["^rel-(?<version>.+)$"]})
    build_silver(relabelled)
    assert query(relabelled, "select pattern from _silver_jira_release_label_patterns") == [("^rel-(?P<version>.+)$",)]
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("drop view jira_issues")
    build_silver(relabelled)
    assert query(relabelled, "select count(*) from jira_issues") == [(3,)]
    runs[1]()
    assert build_silver(relabelled)["stg_jira__issues"] == {"rows": 4, "changed": 2}


def test_newest_version_wins_whatever_the_file_order(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    settings = settings_for(tmp_path)
    for run in write_runs(bronze):
        run()
    build_silver(settings)  # every file in one batch: the backfill's older ABC-2 is ingested last
    rows = query(settings, "select issue_key, status_category, updated_at::varchar from jira_issues order by 1")
    assert rows == [
        ("ABC-1", "indeterminate", "2026-11-01 10:00:00+00"),
        ("ABC-2", "done", "2026-11-02 10:00:00+00"),
        ("ABC-3", "indeterminate", "2026-11-03 10:00:00+00"),
        ("ABC-4", "indeterminate", "2026-11-02 10:00:00+00"),
    ]
    assert query(settings, "select comment_id, body from jira_comments") == [(10, "v2")]
    # duplicates from the overlap never produce duplicate rows
    assert query(settings, "select count(*), count(distinct issue_id) from stg_jira__issues") == [(4, 4)]


def test_older_file_merged_later_is_ignored(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    settings = settings_for(tmp_path)
    bronze.write("jira", "issues", [jr.issue(2, "ABC-2", updated=T2, category="done")])
    build_silver(settings)
    bronze.write("jira", "issues", [jr.issue(2, "ABC-2", updated=T1, category="new")])
    summary = build_silver(settings)
    assert summary["stg_jira__issues"] == {"rows": 1, "changed": 0}
    assert query(settings, "select status_category from jira_issues") == [("done",)]


def test_issues_missing_from_a_completed_census_are_flagged_deleted(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    settings = settings_for(tmp_path)
    for run in write_runs(bronze):
        run()
    bronze.write("jira", "issues", [jr.issue(9, "XYZ-9", updated=T3)])  # a project without a census
    build_silver(settings)
    rows = query(settings, "select issue_key, is_deleted from jira_issues order by issue_id")
    assert rows == [("ABC-1", False), ("ABC-2", False), ("ABC-3", True), ("ABC-4", False), ("XYZ-9", False)]
    # re-ingested after the census started: it exists again
    bronze.write("jira", "issues", [jr.issue(3, "ABC-3", updated=T3)])
    build_silver(settings)
    assert query(settings, "select is_deleted from jira_issues where issue_key = 'ABC-3'") == [(False,)]


def test_changed_custom_field_mapping_rebuilds_in_full(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    bronze.write("jira", "issues", [jr.issue(2, "ABC-2", story_points=5)])
    settings = settings_for(tmp_path)
    build_silver(settings)  # no fields stream yet: story points cannot be mapped
    assert query(settings, "select story_points from jira_issues") == [(None,)]
    bronze.write("jira", "fields", jr.FIELDS)
    summary = build_silver(settings)
    assert summary["stg_jira__issues"] == {"rows": 1, "changed": 1}
    assert query(settings, "select story_points from jira_issues") == [(5.0,)]


def test_empty_sources_still_get_their_tables(tmp_path):
    settings = settings_for(tmp_path)
    build_silver(settings)
    columns = dict(
        query(
            settings,
            """select table_name, list(column_name order by ordinal_position) from information_schema.columns
               where table_name in ('bitbucket_pull_requests', 'bitbucket_commits', 'jenkins_builds', 'jira_issues')
               group by table_name""",
        )
    )
    assert columns["jenkins_builds"][:3] == ["build_key", "job_full_name", "build_number"]
    assert "pull_request_id" in columns["bitbucket_pull_requests"]
    assert "commit_hash" in columns["bitbucket_commits"]
    assert "is_deleted" in columns["jira_issues"]
    assert query(settings, "select count(*) from anomalies") == [(0,)]


def test_a_locked_warehouse_is_one_clear_error(tmp_path):
    settings = settings_for(tmp_path)
    build_silver(settings)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(settings.warehouse)!r}); "
            "print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DplError) as caught:
            build_silver(settings)
    finally:
        holder.kill()
        holder.wait()
    assert caught.value.error_class == ErrorClass.LOCKED
    assert f"process {holder.pid}" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_payload_that_does_not_fit_fails_naming_file_and_model(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    record = jr.issue(2, "ABC-2")
    record["fields"]["created"] = "yesterday"
    path = bronze.write("jira", "issues", [record])
    settings = settings_for(tmp_path)
    with pytest.raises(DplError) as caught:
        build_silver(settings)
    assert caught.value.error_class == ErrorClass.BAD_PAYLOAD
    assert "stg_jira__issue_records.sql" in str(caught.value) and path in str(caught.value)


def test_a_missing_table_triggers_a_full_rebuild(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    for run in write_runs(bronze):
        run()
    settings = settings_for(tmp_path)
    build_silver(settings)
    before = checksums(settings)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("drop table stg_jira__comments")
    build_silver(settings)
    assert checksums(settings) == before


def test_a_manifest_file_missing_on_disk_is_a_storage_error(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    path = bronze.write("jira", "issues", [jr.issue(1, "ABC-1")])
    (tmp_path / "bronze" / path).unlink()
    with pytest.raises(DplError) as caught:
        build_silver(settings_for(tmp_path))
    assert caught.value.error_class == ErrorClass.STORAGE and path in str(caught.value)


def test_children_of_a_deleted_issue_are_flagged_deleted(tmp_path):
    """ABC-3 is deleted between runs (the census no longer lists it): its comments, worklog, changelog
    history, link, sprint and release memberships are flagged is_deleted; sums and counts leave them out."""
    bronze = Bronze(tmp_path / "bronze")
    settings = settings_for(tmp_path)
    history = jr.history(300, T1, ("status", "To Do", "In Progress"))
    sprint = [jr.sprint_ref(5, "Sprint 5")]
    bronze.write("jira", "fields", jr.FIELDS, run_id="r1")
    bronze.write("jira", "sprints", [jr.sprint(5, "Sprint 5")], parents={"board_id": 8}, run_id="r1")
    bronze.write("jira", "versions", [jr.version(1, "1.0")], parents=PROJECT, run_id="r1")
    issues = [
        jr.issue(
            n,
            f"ABC-{n}",
            updated=T1,
            sprints=sprint,
            fix_versions=[(1, "1.0")],
            histories=[history] if n == 3 else [],
            comments=[jr.comment(10 * n, "hi", T1), jr.comment(10 * n + 1, "ho", T1)],
            worklogs=[jr.worklog(100 * n, n, 600)],
        )
        for n in (2, 3)
    ]
    bronze.write("jira", "issues", issues, run_id="r1")
    blocks = {"id": "10", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"}
    bronze.write("jira", "issue_links", [{"id": "700", "type": blocks, "outwardIssue": {"id": "2", "key": "ABC-2"}}],
                 parents={"issue_id": "3", "issue_key": "ABC-3"}, run_id="r1")  # fmt: skip
    build_silver(settings)
    live = "select count(*) filter (where is_deleted), count(*) filter (where not is_deleted) from {}"
    assert query(settings, live.format("jira_comments")) == [(0, 4)]

    bronze.write("jira", "issue_census", [{"id": "2", "key": "ABC-2"}], parents={"project_key": "ABC"}, run_id="r2")
    bronze.cursor("jira", "issue_census", "ABC", bronze.tick().strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "r2")
    build_silver(settings)

    assert query(settings, "select issue_key from jira_issues where is_deleted") == [("ABC-3",)]
    for table, deleted, kept in [
        ("jira_comments", 2, 2),
        ("jira_worklogs", 1, 1),
        ("jira_issue_field_history", 1, 0),
        ("jira_issue_links", 1, 0),
        ("jira_issue_sprints", 1, 1),
        ("jira_issue_releases", 1, 1),
    ]:
        assert query(settings, live.format(table)) == [(deleted, kept)], table
    assert query(settings, "select count(*) from jira_issue_field_periods where is_deleted and issue_key = 'ABC-3'")[0][
        0
    ]
    assert query(
        settings, "select count(*) from jira_issue_field_periods where is_deleted and issue_key <> 'ABC-3'"
    ) == [(0,)]
    sums = "select sum(time_spent_seconds), count(*) from jira_worklogs where not is_deleted"
    assert query(settings, sums) == [(600, 1)]
    assert query(settings, "select issue_id, count(*) from jira_comments where not is_deleted group by 1") == [(2, 2)]

    # incremental equals a full rebuild
    full = settings_for(tmp_path, warehouse="full.duckdb")
    build_silver(full, full=True)
    assert checksums(full) == checksums(settings)
