"""Jira catalogs are re-read only when due (their unit schedule since the last complete refresh) or when the
issues read show a change (a sprint started or closed, a version released, a project gone); between two
refreshes an incremental run makes no catalog call at all and takes the projects' keys from the cursors."""

from __future__ import annotations

import dataclasses
import datetime as dt

from pipelines.dlt.streams import FULL, INCREMENTAL
from pipelines.timeutil import to_utc_iso
from simulators.jira.routes_issues import API
from tests.helpers import commit_cursors
from tests.resources.test_jira import jira, make_ctx, sync

CATALOGS = ("projects", "versions", "fields", "issue_types", "statuses", "priorities", "boards", "sprints")
DAILY = dict.fromkeys(CATALOGS, dt.timedelta(hours=24))
CATALOG_PATHS = ("/project/search", "/versions", "/field", "/issuetype", "/status", "/priority", "/board")


def catalog_calls(server) -> list[str]:
    return [r["path"] for r in server.requests() if r["path"].endswith(CATALOG_PATHS) or "/sprint" in r["path"]]


def refreshed_world(start_sim):
    """A simulator after a full sync: (server, the cursors that sync committed, its start)."""
    server = start_sim("jira", scale={"issues": 120})
    ctx = make_ctx(server, FULL)
    cursors = commit_cursors(jira.STREAMS, sync(ctx), {})
    server.reset_log()
    return server, cursors, ctx.started_at


def incremental(server, cursors, started_at, schedules=DAILY, streams=None):
    ctx = dataclasses.replace(make_ctx(server, INCREMENTAL, cursors, streams=streams), schedules=schedules)
    ctx.started_at = started_at
    return ctx, sync(ctx)


def test_between_refreshes_no_catalog_call_and_projects_come_from_the_cursors(start_sim):
    server, cursors, refreshed = refreshed_world(start_sim)
    assert {(c, "*") for c in CATALOGS} <= cursors.keys()
    keys = {p.key for p in server.world.projects}
    assert {scope for stream, scope in cursors if stream == "projects"} == keys | {"*"}
    ctx, pages = incremental(server, cursors, refreshed + dt.timedelta(hours=23))
    assert catalog_calls(server) == []
    assert ctx.not_refreshed == set(CATALOGS)
    assert not [p for p in pages if p.stream in CATALOGS]
    searched = [r for r in server.requests() if r["path"] == f"{API}/search/jql"]
    assert {r["query"]["jql"].split('"')[1] for r in searched} == keys  # every project still read


def test_a_catalog_is_refreshed_once_its_schedule_has_passed_or_when_named(start_sim):
    server, cursors, refreshed = refreshed_world(start_sim)
    ctx, pages = incremental(server, cursors, refreshed + dt.timedelta(hours=24, minutes=1))
    assert ctx.not_refreshed == set() and {p.stream for p in pages} >= set(CATALOGS)
    server.reset_log()
    ctx, pages = incremental(server, cursors, refreshed + dt.timedelta(hours=1), streams=("fields", "issues"))
    assert [r["path"] for r in server.requests() if r["path"].endswith("/field")] == [f"{API}/field"]
    checkpoint = [p.checkpoint for p in pages if p.stream == "fields" and not p.records]
    assert checkpoint == [to_utc_iso(ctx.started_at)]  # the refresh's own cursor: this run's start


def test_a_sprint_started_since_the_last_refresh_refreshes_sprints(start_sim):
    server, cursors, refreshed = refreshed_world(start_sim)
    active = [s for s in server.world.sprints.values() if s.state == "active"]
    started = min(s.start_ms for s in active)
    before = to_utc_iso(dt.datetime.fromtimestamp(started / 1000 - 60, dt.UTC))
    catalogs_only = {
        k: v for k, v in cursors.items() if k[0] in CATALOGS
    }  # no issue cursor: the issue pass reads every issue
    yearly = {**DAILY, "sprints": dt.timedelta(days=3650)}
    ctx, _ = incremental(server, {**catalogs_only, ("sprints", "*"): before}, refreshed, yearly)
    assert "sprints" not in ctx.not_refreshed and any("/sprint" in path for path in catalog_calls(server))
    server.reset_log()
    after = to_utc_iso(dt.datetime.fromtimestamp(max(s.start_ms for s in active) / 1000 + 60, dt.UTC))
    ctx, _ = incremental(server, {**catalogs_only, ("sprints", "*"): after}, refreshed, yearly)
    assert "sprints" in ctx.not_refreshed and not any("/sprint" in path for path in catalog_calls(server))
