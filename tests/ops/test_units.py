"""Units: listing (never-reached sources included), schedules, sync-due selection, failure backoff."""

import datetime as dt

import pytest

from pipelines.dlt.resources import get
from pipelines.schedules import parse_schedule
from pipelines.settings import load_settings, source_settings
from pipelines.units import Unit, list_units, select_due
from tests.ops.ledgers import T0, add_manifest, add_run, result

HOUR = dt.timedelta(hours=1)
JENKINS = {"JENKINS_BASE_URL": "http://127.0.0.1:9"}


@pytest.fixture
def settings():
    return load_settings()


def by_stream(units, source="jenkins"):
    return {u.stream: u for u in units if u.source == source}


def test_parse_schedule():
    assert parse_schedule("every 30m") == dt.timedelta(minutes=30)
    assert parse_schedule("every 5 min") == dt.timedelta(minutes=5)
    assert parse_schedule("every 2 hours") == dt.timedelta(hours=2)
    assert parse_schedule("every 1h") == HOUR
    assert parse_schedule("manual") is None
    with pytest.raises(ValueError):
        parse_schedule("daily")


def test_sources_never_reached_are_listed_as_such_not_invented(settings):
    units = by_stream(list_units(settings, env={}))
    assert set(units) == set(get("jenkins").STREAMS)
    builds = units["builds"]
    assert not builds.configured and builds.state == "not-configured" and "JENKINS_BASE_URL" in builds.reason
    assert builds.last is None and builds.next_due is None and builds.rows_total == 0
    assert select_due(list_units(settings, env={}), T0) == {}

    units = list_units(settings, env=JENKINS)
    assert by_stream(units)["builds"].state == "never-run"
    assert by_stream(units)["queue"].state == "disabled"  # disabled by default in sources.yaml
    assert select_due(units, T0) == {"jenkins": ["jobs", "builds"]}  # never run: due now


def test_last_run_rows_and_next_due_come_from_the_ledgers(settings):
    first = add_run(settings.bronze_dir, result("jenkins", T0, counts={"jobs": 5, "builds": 40}))
    second = add_run(settings.bronze_dir, result("jenkins", T0 + HOUR, counts={"builds": 3}, n=1))
    add_manifest(settings.bronze_dir, "jenkins", "builds", 43, 9000, T0)
    units = by_stream(list_units(settings, env=JENKINS))
    jobs, builds = units["jobs"], units["builds"]
    assert (jobs.last.run_id, jobs.last.written, jobs.schedule, jobs.schedule_default) == (
        first.run_id,
        5,
        "every 24h",
        True,
    )
    assert (builds.last.run_id, builds.last.written, builds.rows_total) == (second.run_id, 3, 43)
    assert jobs.next_due == T0 + 24 * HOUR and builds.next_due == T0 + 2 * HOUR
    assert builds.state == "ok" and builds.last.status == "success"


def test_select_due_is_a_pure_function_of_now_and_grace(settings):
    add_run(settings.bronze_dir, result("jenkins", T0, counts={"jobs": 5, "builds": 40}))
    units = list_units(settings, env=JENKINS)
    assert select_due(units, T0 + 30 * dt.timedelta(minutes=1)) == {}
    assert select_due(units, T0 + 57 * dt.timedelta(minutes=1)) == {}
    assert select_due(units, T0 + 57 * dt.timedelta(minutes=1), grace=dt.timedelta(minutes=5)) == {
        "jenkins": ["builds"]
    }
    assert select_due(units, T0 + 2 * HOUR) == {"jenkins": ["builds"]}
    assert select_due(units, T0 + 25 * HOUR) == {"jenkins": ["jobs", "builds"]}


def test_select_due_on_hand_made_units():
    def unit(source, stream, next_due, interval=HOUR, configured=True, enabled=True):
        return Unit(
            source, stream, enabled, "INCREMENTAL", "id", None, "x", False, interval, configured, next_due=next_due
        )

    now = T0
    units = [
        unit("a", "due", now - HOUR),
        unit("a", "later", now + HOUR),
        unit("a", "never", None),
        unit("a", "manual", None, interval=None),
        unit("b", "off", now - HOUR, enabled=False),
        unit("c", "unset", now - HOUR, configured=False),
        unit("d", "exactly", now),
    ]
    assert select_due(units, now) == {"a": ["due", "never"], "d": ["exactly"]}


def test_configured_schedules_win_and_manual_is_never_due(settings):
    jenkins = source_settings(
        "jenkins", {"streams": {"builds": {"schedule": "every 15m"}, "jobs": {"schedule": "manual"}}}
    )
    settings = settings.replace(sources={**settings.sources, "jenkins": jenkins})
    add_run(settings.bronze_dir, result("jenkins", T0, counts={"jobs": 5, "builds": 40}))
    units = list_units(settings, env=JENKINS)
    assert by_stream(units)["builds"].next_due == T0 + dt.timedelta(minutes=15)
    assert not by_stream(units)["builds"].schedule_default
    assert by_stream(units)["jobs"].next_due is None and not by_stream(units)["jobs"].runnable
    assert select_due(units, T0 + 48 * HOUR) == {"jenkins": ["builds"]}


def test_repeated_failures_back_off_exponentially_capped_and_success_restores(settings):
    bronze = settings.bronze_dir
    seen = []
    for i in range(7):
        add_run(bronze, result("jenkins", T0 + i * HOUR, "failed", error=("NETWORK", "refused"), n=i))
        builds = by_stream(list_units(settings, env=JENKINS))["builds"]
        seen.append((builds.failures, builds.backoff, builds.next_due - (T0 + i * HOUR)))
    assert [s[0] for s in seen] == [1, 2, 3, 4, 5, 6, 7]
    assert [s[1] for s in seen] == [1, 2, 4, 8, 16, 32, 64]
    # the wait doubles until it reaches backoff_max_minutes (1440 = 24 h)
    assert [s[2] / HOUR for s in seen] == [1, 2, 4, 8, 16, 24, 24]
    assert builds.state == "backoff" and builds.failure_class == "NETWORK"

    add_run(bronze, result("jenkins", T0 + 8 * HOUR, "failed", error=("AUTH_FAILED", "401"), n=8))
    builds = by_stream(list_units(settings, env=JENKINS))["builds"]
    assert (builds.failures, builds.failure_class, builds.backoff) == (1, "AUTH_FAILED", 1)
    assert builds.state == "failing"

    add_run(bronze, result("jenkins", T0 + 9 * HOUR, "failed", error=("AUTH_FAILED", "401"), n=9))
    add_run(bronze, result("jenkins", T0 + 10 * HOUR, counts={"builds": 1}, n=10))
    builds = by_stream(list_units(settings, env=JENKINS))["builds"]
    assert (builds.failures, builds.backoff, builds.state) == (0, 1, "ok")
    assert builds.next_due == T0 + 11 * HOUR


def test_a_run_that_failed_before_any_page_counts_for_every_stream(settings):
    add_run(settings.bronze_dir, result("jenkins", T0, counts={"jobs": 1, "builds": 1}))
    failed = add_run(settings.bronze_dir, result("jenkins", T0 + HOUR, "failed", error=("AUTH_FAILED", "401"), n=1))
    units = by_stream(list_units(settings, env=JENKINS))
    assert units["jobs"].last.run_id == failed.run_id and units["jobs"].last.written is None
    assert units["builds"].last.error_class == "AUTH_FAILED"


def test_partial_runs_do_not_back_off(settings):
    for i in range(3):
        add_run(settings.bronze_dir, result("jenkins", T0 + i * HOUR, "partial", counts={"builds": 2}, n=i))
    builds = by_stream(list_units(settings, env=JENKINS))["builds"]
    assert (builds.state, builds.failures, builds.backoff) == ("partial", 0, 1)


def test_bronze_sources_without_a_module_are_listed_not_scheduled(settings):
    add_run(settings.bronze_dir, result("legacy", T0, counts={"items": 3}))
    (unit,) = [u for u in list_units(settings, env={}) if u.source == "legacy"]
    assert (unit.stream, unit.reason, unit.runnable, unit.last.written) == ("items", "no source module", False, 3)
