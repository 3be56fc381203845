"""Deployments, change failures, lead time, time to restore and issue delivery, on a hand-computed timeline.

The timeline is in tests/gold/delivery_records.py; every figure below is worked out by hand from it.
"""

from __future__ import annotations

import pytest

from pipelines.silver import build_silver
from tests.gold.delivery_records import SHA, at, write_bitbucket, write_jenkins, write_jira
from tests.gold.support import built_world, gold_settings
from tests.silver.bronze_files import Bronze
from tests.silver.support import checksums, query

HOUR = 3600


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return built_world(tmp_path_factory.mktemp("dora"))


def test_deployments_by_job_pattern_without_skipped_results_and_dry_runs(world):
    rows = query(
        world,
        "select build_key, environment, result, is_rollback, is_hotfix, change_failure_reason, incident_keys "
        "from deployments order by finished_at",
    )
    assert rows == [
        ("deploy-prod#1", "production", "SUCCESS", False, False, None, []),
        ("deploy-prod#2", "production", "FAILURE", False, False, "failed", []),
        ("deploy-prod#3", "production", "SUCCESS", False, False, None, []),
        # #4 ABORTED (a skipped result) and #5 (DRY_RUN=true) are not deployments
        ("deploy-prod#6", "production", "SUCCESS", False, False, "rollback", []),  # rolled back 2 h later
        ("deploy-prod-rollback#1", "production", "SUCCESS", True, False, None, []),
        ("deploy-prod#7", "production", "SUCCESS", False, False, "incident", ["OPS-1"]),  # OPS-1 2 h later
        ("deploy-staging#1", "staging", "SUCCESS", False, False, None, []),
        ("deploy-prod#8", "production", "SUCCESS", False, True, None, []),  # a hotfix 6 days after #7: no blame
    ]


def test_a_commit_ships_with_the_first_successful_deployment_after_its_first_attempt(world):
    rows = query(
        world,
        "select commit_hash, deployment_build_key, lead_time_seconds from commit_deployments "
        "where environment = 'production' order by deployed_at, commit_hash",
    )
    assert rows == [
        (SHA["c1"], "deploy-prod#1", 27 * HOUR + 300),
        (SHA["c2"], "deploy-prod#1", 25 * HOUR + 300),
        (SHA["m1"], "deploy-prod#1", 2 * HOUR + 300),
        (SHA["c3"], "deploy-prod#3", 52 * HOUR + 300),  # first named by #2, which failed; #3 lists nothing new
        (SHA["c5"], "deploy-prod#6", 3 * HOUR + 300),
        (SHA["m3"], "deploy-prod#6", 1 * HOUR + 300),
        (SHA["c7"], "deploy-prod#8", 1 * HOUR + 300),
    ]


def test_dora_weekly_on_the_hand_computed_timeline(world):
    rows = query(world, "select * from dora_weekly order by week_start")
    columns = [r[0] for r in query(world, "select column_name from (describe dora_weekly)")]
    weeks = [dict(zip(columns, row, strict=True)) for row in rows]
    assert [w["week_start"].isoformat() for w in weeks] == ["2026-11-02", "2026-11-09", "2026-11-16"]
    first, second, third = weeks
    # 11-02: D1 ok, D2 failed, D3 ok; c1 c2 m1 (D1) and c3 (D3): lead times 2h05 25h05 27h05 52h05
    assert (first["deployments"], first["successful_deployments"], first["deployment_days"]) == (3, 2, 2)
    assert (first["change_failures"], first["change_failure_rate"]) == (1, pytest.approx(1 / 3))
    assert first["changes_deployed"] == 4
    assert first["lead_time_median_seconds"] == pytest.approx((25 * HOUR + 300 + 27 * HOUR + 300) / 2)
    assert first["lead_time_p90_seconds"] == pytest.approx(27 * HOUR + 300 + 0.7 * (25 * HOUR))
    # 11-09: D6 (rolled back), the rollback, D7 (followed by incident OPS-1); c5 and m3 (D6)
    assert (second["deployments"], second["successful_deployments"], second["deployment_days"]) == (3, 3, 2)
    assert (second["change_failures"], second["change_failure_rate"]) == (2, pytest.approx(2 / 3))
    assert second["changes_deployed"] == 2
    assert second["lead_time_median_seconds"] == pytest.approx(2 * HOUR + 300)
    assert second["lead_time_p90_seconds"] == pytest.approx(HOUR + 300 + 0.9 * 2 * HOUR)
    assert (second["incidents_opened"], second["incidents_resolved"]) == (1, 1)
    assert second["time_to_restore_median_seconds"] == pytest.approx(3 * HOUR)
    # 11-16: the hotfix D8 only (staging is not production); OPS-2 restored in 1 h, OPS-3 still open
    assert (third["deployments"], third["change_failures"], third["change_failure_rate"]) == (1, 0, 0.0)
    assert (third["changes_deployed"], third["lead_time_median_seconds"]) == (1, pytest.approx(HOUR + 300))
    assert (third["incidents_opened"], third["incidents_resolved"]) == (2, 1)
    assert third["time_to_restore_median_seconds"] == pytest.approx(HOUR)


def test_dora_daily_has_every_day_in_between(world):
    rows = query(world, "select day::varchar, deployments, change_failures from dora_daily order by day")
    assert rows[0] == ("2026-11-03", 1, 0) and rows[-1][0] == "2026-11-20"
    assert len(rows) == 18 and ("2026-11-04", 0, 0) in rows and ("2026-11-05", 1, 1) in rows


def test_issue_delivery_milestones_and_durations(world):
    row = query(
        world,
        "select first_commit_at, first_pull_request_at, merged_at, first_successful_build_at, "
        "first_production_deployment_at, commit_to_pull_request_seconds, pull_request_to_merge_seconds, "
        "commit_to_successful_build_seconds, merge_to_production_seconds, commit_to_production_seconds "
        "from issue_delivery where issue_key = 'ABC-1'",
    )[0]
    assert row[:5] == (at("11-02 09:00"), at("11-02 10:00"), at("11-03 10:00"), at("11-03 10:20"), at("11-03 12:05"))
    assert row[5:] == (HOUR, 24 * HOUR, 25 * HOUR + 20 * 60, 2 * HOUR + 300, 27 * HOUR + 300)
    # ABC-12: a direct commit to main, deployed by D3 after D2 failed; no pull request
    assert query(
        world,
        "select pull_requests, merged_at, first_production_deployment_at from issue_delivery "
        "where issue_key = 'ABC-12'",
    ) == [(0, None, at("11-06 12:05"))]


def test_configured_patterns_window_and_results(tmp_path):
    delivery = {
        "environments": [{"name": "live", "jobs": ["deploy-prod"]}],
        "production_environment": "live",
        "failed_results": ["FAILURE"],
        "skipped_results": [],
        "change_failure": {"window_hours": 24 * 7, "rollback_jobs": [], "hotfix_branches": []},
    }
    settings = built_world(tmp_path, delivery=delivery)
    rows = query(
        settings,
        "select build_number, is_successful, change_failure_reason, incident_keys from deployments "
        "order by finished_at",
    )
    assert rows == [
        (1, True, None, []),
        (2, False, "failed", []),
        (3, True, None, []),
        (4, True, None, []),  # ABORTED is a deployment once no result is skipped
        (6, True, None, []),  # the rollback job is no deployment now, so it blames nothing
        (7, True, "incident", ["OPS-1"]),
        (8, True, "incident", ["OPS-2", "OPS-3"]),  # both within the 7-day window
    ]


def test_incremental_build_equals_a_full_rebuild(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    settings = gold_settings(tmp_path)
    for write in (write_jira, write_bitbucket, write_jenkins):
        write(bronze)
        build_silver(settings)
    incremental = checksums(settings)
    full = gold_settings(tmp_path, warehouse="full.duckdb")
    build_silver(full, full=True)
    assert checksums(full) == incremental
    assert incremental["dora_weekly"][0] == 3 and incremental["identity"][0] > 0
