"""The Bitbucket source against its simulator: completeness, payloads, incrementality, call counts, errors."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from pipelines.bronze.ledger import read_cursors
from pipelines.dlt import pipelines as runner
from pipelines.dlt.http import HttpPolicy, HttpStats
from pipelines.dlt.resources import bitbucket as bb
from pipelines.dlt.resources.bitbucket.commits import decode_heads
from pipelines.dlt.streams import BACKFILL, INCREMENTAL, Page, SyncContext
from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.settings import Settings, source_settings
from pipelines.timeutil import TimeSettings, parse_iso
from simulators.bitbucket import CREDENTIALS, payloads
from tests.helpers import bronze_records, commit_cursors

TIME = TimeSettings(safety_window_minutes=60)
FAST_HTTP = HttpPolicy(max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.05)


@dataclasses.dataclass
class Run:
    pages: list[Page]
    cursors: dict
    ctx: SyncContext

    def records(self, stream: str) -> list[tuple[dict, Page]]:
        return [(r, p) for p in self.pages if p.stream == stream for r in p.records]


def sync(
    env: dict,
    cursors: dict | None = None,
    mode: str = INCREMENTAL,
    settings: dict | None = None,
    streams: tuple[str, ...] | None = None,
    backfill_days: int | None = None,
    started_at: dt.datetime | None = None,
) -> Run:
    """One run of the source's resources, in order, as the runner iterates them."""
    ctx = SyncContext(
        "bitbucket",
        source_settings("bitbucket", settings),
        TIME,
        bb.read_env(env),
        mode=mode,
        cursors=dict(cursors or {}),
        streams=streams,
        backfill_days=backfill_days,
        http=HttpStats(),
        http_policy=FAST_HTTP,
        **({"started_at": started_at} if started_at else {}),
    )
    pages = [page for resource in bb.source(ctx).resources.values() for page in resource]
    return Run(pages, commit_cursors(bb.STREAMS, pages, ctx.cursors), ctx)


@pytest.fixture
def sim(start_sim, sim_env):
    server = start_sim("bitbucket")
    server.env = sim_env("bitbucket", server)
    server.api = server.env["BITBUCKET_BASE_URL"]
    return server


def calls(server, suffix: str = "") -> list[dict]:
    return [r for r in server.requests() if r["path"].endswith(suffix)]


def test_full_sync_is_complete_json_equal_and_at_the_minimum_of_calls(sim):
    run = sync(sim.env)
    world, api = sim.world, sim.api
    minimum = world.min_calls()["total"]
    assert run.ctx.http.api_calls == len(sim.requests()) <= 1.1 * minimum
    assert run.ctx.gaps == []
    by_stream = {s: run.records(s) for s in bb.STREAMS}
    assert [r for r, _ in by_stream["repositories"]] == [payloads.repository(world, r, api) for r in world.repos]
    for repo in world.repos:
        name = repo.full_name
        prs = {r["id"]: r for r, p in by_stream["pull_requests"] if p.scope == name}
        assert sorted(prs) == [p.id for p in repo.prs]  # every page, every state
        assert all(prs[p.id] == payloads.pullrequest(world, repo, p, api) for p in repo.prs)
        for pr in repo.prs:
            parent = {"repository": name, "pull_request_id": pr.id}
            acts = [r for r, p in by_stream["pr_activities"] if p.parent == parent]
            newest_first = sorted(pr.activities, key=lambda a: -a.date)
            assert acts == [payloads.activity(world, repo, pr, a, api) for a in newest_first]
            pr_commits = [
                r for r, p in by_stream["pr_commits"] if p.parent["pull_request_id"] == pr.id and p.scope == name
            ]
            assert pr_commits == [payloads.commit(world, repo, repo.commits[h], api) for h in pr.commits]
        commits = [r for r, p in by_stream["commits"] if p.scope == name]
        assert commits == [payloads.commit(world, repo, c, api) for c in repo.log([], [])]
        assert sorted(r["name"] for r, p in by_stream["branches"] if p.scope == name) == sorted(repo.branches)
        assert decode_heads(run.cursors[("commits", name)]) == repo.branches
    states = {r["state"] for r, _ in by_stream["pull_requests"]}
    assert states == {"OPEN", "MERGED", "DECLINED", "SUPERSEDED"}
    assert max(len(p.activities) for p in world.repos[0].prs) > 50  # activity paging was exercised
    for stream, pairs in by_stream.items():
        ids = [bb.STREAMS[stream].id_of(r, p.parent) for r, p in pairs]
        assert len(set(ids)) == len(ids) and all(ids), stream


def test_pull_request_queries_ask_every_state_newest_first_at_the_cap(sim):
    sync(sim.env)
    for request in calls(sim, "/pullrequests"):
        query = request["query"]
        assert sorted(query["state"]) == ["DECLINED", "MERGED", "OPEN", "SUPERSEDED"]
        assert query["sort"] == "-updated_on" and (query.get("pagelen") == "50" or "page" in query)
        assert "fields" not in query and "q" not in query  # first run: the whole history


def test_incremental_run_reads_only_what_changed(sim):
    first = sync(sim.env)
    world = sim.world
    change = world.advance(1)["changes"][0]
    sim.reset_log()
    second = sync(sim.env, first.cursors)
    window = {
        r.full_name: parse_iso(first.cursors[("pull_requests", r.full_name)]).timestamp() - 3600 for r in world.repos
    }
    expected = {(r.full_name, p.id) for r in world.repos for p in r.prs if p.updated >= window[r.full_name]}
    changed = change["updated_prs"] + change["new_prs"] + change["merged_prs"]
    assert {(change["repo"], n) for n in changed} <= expected
    activity_calls = {
        (c["path"].split("/")[3] + "/" + c["path"].split("/")[4], int(c["path"].split("/")[6]))
        for c in calls(sim, "/activity")
    }
    assert activity_calls == expected
    assert all(c["query"]["q"].startswith("updated_on >= ") for c in calls(sim, "/pullrequests"))
    walks = calls(sim, "/commits")
    walks = [c for c in walks if "/pullrequests/" not in c["path"]]
    assert [c["path"] for c in walks] == [f"/2.0/repositories/{change['repo']}/commits"]
    assert walks[0]["query"]["include"] and walks[0]["query"]["exclude"]
    assert {r["hash"] for r, _ in second.records("commits")} == set(change["new_commits"])
    assert len(sim.requests()) == 1 + len(world.repos) * 2 + 1 + 2 * len(expected)
    sim.reset_log()
    third = sync(sim.env, second.cursors)
    assert [c for c in calls(sim, "/commits") if "/pullrequests/" not in c["path"]] == []
    assert (
        third.records("commits") == []
        and third.cursors[("commits", change["repo"])] == second.cursors[("commits", change["repo"])]
    )


def test_check_and_runs_classify_bad_credentials_by_kind(sim):
    env = dict(sim.env)
    assert "app password of BITBUCKET_USERNAME=sim-user" in bb.check(context(env))
    api_token = {
        **env,
        "BITBUCKET_APP_PASSWORD": "",
        "BITBUCKET_EMAIL": CREDENTIALS["email"],
        "BITBUCKET_TOKEN": CREDENTIALS["api_token"],
    }
    assert "API token of sim-user@example.com" in bb.check(context(api_token))
    bearer = {**env, "BITBUCKET_APP_PASSWORD": "", "BITBUCKET_USERNAME": ""} | {
        "BITBUCKET_TOKEN": CREDENTIALS["access_token"]
    }
    assert "access token" in bb.check(context(bearer))
    for broken, kind in (
        ({**env, "BITBUCKET_APP_PASSWORD": "nope"}, "app password"),
        ({**api_token, "BITBUCKET_TOKEN": "nope"}, "API token"),
        ({**bearer, "BITBUCKET_TOKEN": "nope"}, "access token"),
    ):
        with pytest.raises(DplError) as failure:
            bb.check(context(broken))
        assert failure.value.error_class == ErrorClass.AUTH_FAILED and kind in str(failure.value)
        with pytest.raises(Exception) as during_run:
            sync(broken)
        assert runner.classify(during_run.value).error_class == ErrorClass.AUTH_FAILED
    with pytest.raises(DplError) as missing:
        bb.check(context({**env, "BITBUCKET_WORKSPACE": "elsewhere"}))
    assert missing.value.error_class == ErrorClass.NOT_FOUND and "BITBUCKET_WORKSPACE" in missing.value.advice


def context(env: dict) -> SyncContext:
    return SyncContext(
        "bitbucket", source_settings("bitbucket"), TIME, bb.read_env(env), http=HttpStats(), http_policy=FAST_HTTP
    )


@pytest.mark.parametrize(
    "env, missing",
    [
        ({}, "BITBUCKET_WORKSPACE"),
        ({"BITBUCKET_WORKSPACE": "w", "BITBUCKET_APP_PASSWORD": "secret"}, "BITBUCKET_USERNAME"),
        ({"BITBUCKET_WORKSPACE": "w", "BITBUCKET_USERNAME": "u"}, "BITBUCKET_APP_PASSWORD"),
    ],
)
def test_read_env_names_the_missing_variable(env, missing):
    with pytest.raises(ConfigError, match=missing):
        bb.read_env(env)
    assert bb.read_env({"BITBUCKET_WORKSPACE": "w", "BITBUCKET_TOKEN": "t"})["base_url"] == bb.DEFAULT_BASE_URL


def test_repository_selection_by_globs_and_explicit_list(sim):
    settings = {"include": ["web-*", "demo-ws/pay*"], "exclude": ["payments"]}
    run = sync(sim.env, settings=settings)
    assert {p.scope for p in run.pages if p.stream != "repositories"} == {"demo-ws/web-app"}
    explicit = {"repositories": ["payments", "no-such-repo"]}
    run = sync(sim.env, settings=explicit, streams=("repositories", "branches"))
    assert [r["slug"] for r, _ in run.records("repositories")] == ["payments"]
    assert [(g.stream, g.scope, g.error_class) for g in run.ctx.gaps] == [
        ("repositories", "demo-ws/no-such-repo", "NOT_FOUND")
    ]


def test_child_streams_alone_list_prs_without_writing_them(sim):
    run = sync(sim.env, streams=("pr_commits",))
    assert {p.stream for p in run.pages} == {"pr_commits"}
    assert calls(sim, "/activity") == [] and len(calls(sim, "/pullrequests")) == 5


def test_backfill_reads_its_window_and_never_moves_cursors_past_unread_changes(sim):
    first = sync(sim.env)
    changes = sim.world.advance(3)["changes"]  # steps 3 h apart, each in another repository
    window_start = sim.world.now - 4 * 3600
    started = dt.datetime.fromtimestamp(window_start + 86400, dt.UTC)
    sim.reset_log()
    backfill = sync(sim.env, first.cursors, mode=BACKFILL, backfill_days=1, started_at=started)
    assert all(parse_iso(r["updated_on"]).timestamp() >= window_start - 1 for r, _ in backfill.records("pull_requests"))
    assert backfill.records("pull_requests") and all("q" in c["query"] for c in calls(sim, "/pullrequests"))
    held = {k: v for k, v in backfill.cursors.items() if k[0] != "repositories"}  # FULL: informative only
    assert held == {k: v for k, v in first.cursors.items() if k[0] != "repositories"}  # window after cursors
    after = sync(sim.env, backfill.cursors)
    seen = {(p.scope, r["id"]) for r, p in after.records("pull_requests")}
    assert {(c["repo"], n) for c in changes for n in c["updated_prs"] + c["new_prs"] + c["merged_prs"]} <= seen
    assert {r["hash"] for r, _ in after.records("commits")} == {h for c in changes for h in c["new_commits"]}


def test_end_to_end_through_the_runner(sim, tmp_path, monkeypatch):
    for key, value in sim.env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(Path("config"), tmp_path / "bronze", tmp_path / "w.duckdb", http=FAST_HTTP, time=TIME)
    first = runner.run_source(settings, "bitbucket")
    assert first.status == "success" and first.stats.api_calls <= 1.1 * sim.world.min_calls()["total"]
    change = sim.world.advance(1)["changes"][0]
    second = runner.run_source(settings, "bitbucket")
    assert second.status == "success" and second.counts["commits"]["written"] == len(change["new_commits"])
    cursors = read_cursors(settings.bronze_dir, "bitbucket")
    assert decode_heads(cursors[("commits", change["repo"])]) == sim.world.repo(change["repo"].split("/")[1]).branches
    pulls = collections.Counter(e["__id"] for e in bronze_records(settings.bronze_dir, "bitbucket", "pull_requests"))
    assert all(f"{change['repo']}#{n}" in pulls for n in change["new_prs"])
    commit = bronze_records(settings.bronze_dir, "bitbucket", "pr_commits")[0]
    assert set(commit["__parent"]) == {"repository", "pull_request_id"}
