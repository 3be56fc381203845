"""The Jenkins source against its simulator: recursion, >100 builds, running builds, gaps, call counts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from pathlib import Path

import pytest

from pipelines.bronze.ledger import cursor_after, read_cursors
from pipelines.dlt import pipelines as runner
from pipelines.dlt.http import HttpPolicy, HttpStats
from pipelines.dlt.resources import jenkins as jk
from pipelines.dlt.resources.jenkins.builds import BUILD_FIELDS, AllBuildsPaginator, decode_cursor
from pipelines.dlt.resources.jenkins.jobs import JobTree
from pipelines.dlt.streams import BACKFILL, FULL, INCREMENTAL, Page, SyncContext
from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.settings import Settings, source_settings
from pipelines.timeutil import TimeSettings
from simulators.jenkins import objects
from simulators.jenkins.tree import apply, parse
from tests.helpers import bronze_records, commit_cursors

TIME = TimeSettings(safety_window_minutes=60)
FAST_HTTP = HttpPolicy(max_attempts=2, backoff_base_s=0.01, backoff_max_s=0.05)
TRAPS = {"forbidden_folder": True, "vanished_job": True}


@dataclasses.dataclass
class Run:
    pages: list[Page]
    cursors: dict
    ctx: SyncContext

    def records(self, stream: str, scope: str | None = None) -> list[dict]:
        return [r for p in self.pages if p.stream == stream and scope in (None, p.scope) for r in p.records]


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
        "jenkins",
        source_settings("jenkins", settings),
        TIME,
        jk.read_env(env),
        mode=mode,
        cursors=dict(cursors or {}),
        streams=streams,
        http=HttpStats(),
        http_policy=FAST_HTTP,
        backfill_days=backfill_days,
        **({"started_at": started_at} if started_at else {}),
    )
    pages = [page for resource in jk.source(ctx).resources.values() for page in resource]
    return Run(pages, commit_cursors(jk.STREAMS, pages, ctx.cursors), ctx)


@pytest.fixture
def sim(start_sim, sim_env):
    server = start_sim("jenkins", scale=TRAPS)
    server.env = sim_env("jenkins", server)
    return server


def number_of(cursor: str) -> int:
    """The build number a builds cursor stands for (it also encodes the newest build time)."""
    return decode_cursor(cursor)[0]


def served_builds(world, full_name: str, base: str) -> list[dict]:
    """What the simulator serves for the job's builds under the source's tree."""
    job = world.find(full_name.split("/"))[0]
    return apply([objects.build(world, job, b, base) for b in job.builds], parse(BUILD_FIELDS))


def test_full_sync_walks_every_folder_reads_every_build_at_the_minimum_of_calls(sim):
    run = sync(sim.env)
    world = sim.world
    assert run.ctx.http.api_calls == len(sim.requests()) <= 1.1 * world.min_calls()["total"]
    listed = {r["fullName"] for r in run.records("jobs")}
    visible = {j.full_name for j in world.jobs() if not j.full_name.startswith("secret-ops/")}
    assert listed == visible  # nested folders, the multibranch project and its branch jobs
    for job in world.jobs():
        if job.is_folder or job.vanished or job.full_name.startswith("secret-ops/"):
            continue
        assert run.records("builds", job.full_name) == served_builds(world, job.full_name, sim.url), job.full_name
    nightly = run.records("builds", "platform/nightly-integration")
    assert (
        len(nightly) > 100
        and nightly[-1]["number"] == world.find(["platform", "nightly-integration"])[0].builds[-1].number
    )
    freestyle = run.records("builds", "platform/services/api-service-build")[1]
    pipeline = run.records("builds", "platform/services/payments-pipeline")[1]
    assert "changeSet" in freestyle and "changeSets" in pipeline
    deploy = run.records("builds", "deploy-prod")[0]
    assert any(a.get("parameters") for a in deploy["actions"])
    assert sorted((g.stream, g.scope, g.error_class) for g in run.ctx.gaps) == [
        ("builds", "tools/ghost-job", "NOT_FOUND"),
        ("jobs", "secret-ops", "FORBIDDEN"),
    ]
    assert not [r for r in sim.requests() if "empty-job" in r["path"]]  # no builds: no call
    assert all("tree" in r["query"] for r in sim.requests())


def test_running_build_is_reread_until_it_finishes_and_holds_the_cursor(sim):
    first = sync(sim.env)
    job = "platform/services/api-service-build"
    running = [b for b in first.records("builds", job) if b["building"]]
    assert [b["result"] for b in running] == [None]
    number = running[0]["number"]
    assert number_of(first.cursors[("builds", job)]) == number - 1
    main = "apps/web-app/main"  # an older build still running behind a finished newer one
    behind = [b["number"] for b in first.records("builds", main) if b["building"]]
    assert number_of(first.cursors[("builds", main)]) == min(behind) - 1 and max(
        b["number"] for b in first.records("builds", main)
    ) > min(behind)
    sim.world.advance(1)
    sim.reset_log()
    second = sync(sim.env, first.cursors)
    again = [b for b in second.records("builds", job) if b["number"] == number]
    assert (
        again and again[0]["building"] is False and again[0]["result"] in ("SUCCESS", "FAILURE", "UNSTABLE", "ABORTED")
    )
    assert number_of(second.cursors[("builds", job)]) >= number
    assert [b["building"] for b in second.records("builds", main) if b["number"] in behind] == [False] * len(behind)


def test_incremental_run_asks_only_for_new_builds(sim):
    first = sync(sim.env)
    summary = sim.world.advance(1)
    sim.reset_log()
    second = sync(sim.env, first.cursors)
    touched = {e.rsplit("#", 1)[0] for e in summary["new"] + summary["finished"] if not e.startswith("secret-ops/")}
    build_calls = [r for r in sim.requests() if r["path"] != "/api/json" and "allBuilds" in r["query"]["tree"]]
    reached = {r["path"] for r in build_calls}
    expected = {f"{jk.jobs.job_path(name)}/api/json" for name in touched} | {"/job/tools/job/ghost-job/api/json"}
    assert reached == expected
    for name in touched:
        old = number_of(first.cursors[("builds", name)])
        numbers = [b["number"] for b in second.records("builds", name)]
        assert numbers and min(numbers) == old + 1 and numbers == sorted(numbers, reverse=True)
    ranges = {r["path"]: r["query"]["tree"].rsplit("{", 1)[1] for r in build_calls}
    assert ranges["/job/deploy-prod/api/json"] == "0,1}"
    assert len(sim.requests()) == 2 + len(expected)  # listing + unreadable folder + one range per job


def test_full_mode_rereads_everything_and_never_moves_cursors_back(sim):
    first = sync(sim.env)
    again = sync(sim.env, first.cursors, mode=FULL)
    assert len(again.records("builds")) == len(first.records("builds")) and again.cursors == first.cursors


def test_backfill_reads_its_window_and_keeps_build_cursors(sim):
    first = sync(sim.env)
    summary = sim.world.advance(3)
    window_start = sim.world.git.now - 4 * 3600
    started = dt.datetime.fromtimestamp(window_start + 86400, dt.UTC)
    backfill = sync(sim.env, first.cursors, mode=BACKFILL, backfill_days=1, started_at=started)
    assert backfill.records("builds") and all(b["timestamp"] >= window_start * 1000 for b in backfill.records("builds"))
    assert backfill.cursors == first.cursors
    after = sync(sim.env, backfill.cursors)
    got = {f"{p.scope}#{r['number']}" for p in after.pages if p.stream == "builds" for r in p.records}
    assert {n for n in summary["new"] if not n.startswith("secret-ops/")} <= got


def test_globs_choose_jobs_and_prune_excluded_folders(sim):
    settings = {"include": ["apps/*"], "exclude": ["apps/*/PR-*", "platform"]}
    run = sync(sim.env, settings=settings)
    assert {p.scope for p in run.pages if p.stream == "builds"} == {
        j.full_name for j in sim.world.jobs() if j.full_name.startswith("apps/web-app/") and "/PR-" not in j.full_name
    }
    assert all(not r["fullName"].startswith("platform") for r in run.records("jobs"))


def test_deep_folders_are_listed_from_where_the_listing_stops(sim):
    settings = {"folder_depth": 1}
    run = sync(sim.env, settings=settings, streams=("jobs",))
    full = sync(sim.env, streams=("jobs",))
    assert {r["fullName"] for r in run.records("jobs")} == {r["fullName"] for r in full.records("jobs")}
    assert len([r for r in sim.requests() if r["path"] != "/api/json"]) > 4


def test_queue_snapshot_when_enabled(sim):
    settings = {"streams": {"queue": {"enabled": True}}}
    run = sync(sim.env, settings=settings, streams=("queue",))
    assert run.records("queue") and all(isinstance(r["id"], int) for r in run.records("queue"))
    assert sync(sim.env, streams=("queue",)).pages == []  # off by default


def test_bad_credentials_are_classified(sim):
    ok = SyncContext(
        "jenkins", source_settings("jenkins"), TIME, jk.read_env(sim.env), http=HttpStats(), http_policy=FAST_HTTP
    )
    assert "authenticated as sim-user" in jk.check(ok)
    broken = {**sim.env, "JENKINS_TOKEN": "wrong-token"}
    ctx = SyncContext(
        "jenkins", source_settings("jenkins"), TIME, jk.read_env(broken), http=HttpStats(), http_policy=FAST_HTTP
    )
    with pytest.raises(DplError) as failure:
        jk.check(ctx)
    assert failure.value.error_class == ErrorClass.AUTH_FAILED and "JENKINS_USERNAME=sim-user" in str(failure.value)
    with pytest.raises(Exception) as during_run:
        sync(broken)
    assert runner.classify(during_run.value).error_class == ErrorClass.AUTH_FAILED
    with pytest.raises(ConfigError, match="JENKINS_TOKEN"):
        jk.read_env({"JENKINS_BASE_URL": "http://x", "JENKINS_USERNAME": "u"})


def test_end_to_end_through_the_runner(sim, tmp_path, monkeypatch):
    for key, value in sim.env.items():
        monkeypatch.setenv(key, value)
    settings = Settings(Path("config"), tmp_path / "bronze", tmp_path / "w.duckdb", http=FAST_HTTP, time=TIME)
    first = runner.run_source(settings, "jenkins")
    assert first.status == "partial" and {g.scope for g in first.gaps} == {"secret-ops", "tools/ghost-job"}
    job = "platform/services/api-service-build"
    held = read_cursors(settings.bronze_dir, "jenkins")[("builds", job)]
    sim.world.advance(1)
    runner.run_source(settings, "jenkins")
    assert int(read_cursors(settings.bronze_dir, "jenkins")[("builds", job)]) > int(held)
    key = f"{job}#{number_of(held) + 1}"
    rows = [e for e in bronze_records(settings.bronze_dir, "jenkins", "builds") if e["__id"] == key]
    assert [r["payload"]["building"] for r in rows] == [True, False] and rows[0]["__parent"] == {"job": job}
    assert rows[1]["__cursor"] == number_of(held) + 1


def read_builds(*runs: Run) -> list[tuple[str, int]]:
    return [(p.scope, r["number"]) for run in runs for p in run.pages if p.stream == "builds" for r in p.records]


def existing_builds(world) -> set[tuple[str, int]]:
    return {
        (j.full_name, b.number)
        for j in world.jobs()
        if not j.is_folder and not j.vanished and not j.full_name.startswith("secret-ops/")
        for b in j.builds
    }


def test_builds_started_during_the_sync_are_read_and_never_logged_as_deleted(sim, monkeypatch, caplog):
    first = sync(sim.env)
    sim.world.advance(3)
    listing, paged = JobTree.jobs, AllBuildsPaginator.update_state
    busy = {"listed": False, "paged": False}

    def jobs_then_builds_start(self):
        jobs = listing(self)
        if not busy["listed"]:  # builds start right after the listing, before any allBuilds range
            busy["listed"] = True
            sim.world.advance(2)
        return jobs

    def and_between_two_pages(self, response, data=None):
        paged(self, response, data)
        if self._has_next_page and not busy["paged"]:  # and again between two ranges of one job
            busy["paged"] = True
            sim.world.advance(1)

    monkeypatch.setattr(JobTree, "jobs", jobs_then_builds_start)
    monkeypatch.setattr(AllBuildsPaginator, "update_state", and_between_two_pages)
    settings = {"builds_page_size": 2}
    caplog.clear()
    with caplog.at_level("INFO", logger="pipelines"):
        second = sync(sim.env, first.cursors, settings=settings)
    assert busy == {"listed": True, "paged": True}
    assert not [r for r in caplog.records if "no longer exist" in r.getMessage()]
    got = read_builds(second)
    assert len(got) == len(set(got))  # entries shifted into the next range are not written twice
    read = set(read_builds(first, second))
    for (stream, job), cursor in second.cursors.items():  # no cursor passes a build that was not read
        below = {(job, n) for (name, n) in existing_builds(sim.world) if name == job and n <= number_of(cursor)}
        assert stream == "builds" and below <= read, job
    monkeypatch.setattr(JobTree, "jobs", listing)
    monkeypatch.setattr(AllBuildsPaginator, "update_state", paged)
    third = sync(sim.env, second.cursors)
    assert set(read_builds(first, second, third)) == existing_builds(sim.world)  # nothing lost


def recreate(world, full_name: str, count: int) -> None:
    """Delete the job's builds and build it `count` times from #1, as a job deleted and created again."""
    job = world.find(full_name.split("/"))[0]
    deleted_at = max([world.git.now, *(b.timestamp / 1000 for b in job.builds)])
    job.builds = []
    push(world, full_name, count, deleted_at)


def push(world, full_name: str, count: int, deleted_at: float | None = None) -> None:
    """`count` new finished builds of the job, each started a minute after the previous one."""
    job = world.find(full_name.split("/"))[0]
    commit = world.chain(job.repo, job.branch)[-1]
    for _ in range(count):
        number = job.builds[0].number + 1 if job.builds else 1
        after = job.builds[0].timestamp / 1000 if job.builds else deleted_at
        build = world._build(job, number, after + 60, commit, [], random.Random(number))
        build.result = "SUCCESS"
        job.builds.insert(0, build)


def test_recreated_job_is_read_whole_and_its_cursor_still_moves_forward(sim, caplog):
    world = sim.world
    name = next(j.full_name for j in world.jobs() if j.kind == "branch" and not any(b.building for b in j.builds))
    first = sync(sim.env)
    old = first.cursors[("builds", name)]
    assert number_of(old) == 8

    def run(cursors):
        caplog.clear()
        with caplog.at_level("WARNING", logger="pipelines"):
            done = sync(sim.env, cursors, streams=("builds",))
        recreated = [r.getMessage() for r in caplog.records if "recreated" in r.getMessage()]
        return done, sorted(n for job, n in read_builds(done) if job == name), recreated

    # deleted and pushed again: fewer builds than the cursor
    recreate(world, name, 3)
    second, numbers, warned = run(first.cursors)
    assert numbers == [1, 2, 3] and len(warned) == 1 and name in warned[0]
    # the new numbering passes the old cursor (#8): #4..#9 are read, not only #9
    push(world, name, 6)
    third, numbers, warned = run(second.cursors)
    assert numbers == [4, 5, 6, 7, 8, 9] and warned == []
    # recreated again and already past the cursor (#9) before the next sync: all of it is read
    recreate(world, name, 12)
    fourth, numbers, warned = run(third.cursors)
    assert numbers == list(range(1, 13)) and len(warned) == 1
    push(world, name, 1)
    fifth, numbers, warned = run(fourth.cursors)
    assert numbers == [13] and warned == [] and number_of(fifth.cursors[("builds", name)]) == 13
    cursors = [first.cursors, second.cursors, third.cursors, fourth.cursors, fifth.cursors]
    assert all(cursor_after(b[("builds", name)], a[("builds", name)]) for a, b in itertools.pairwise(cursors))
    assert [number_of(c[("builds", name)]) for c in cursors] == [8, 3, 9, 12, 13]  # it compares as larger


def test_plain_number_cursor_is_understood_and_upgraded(sim):
    first = sync(sim.env)
    plain = {key: str(number_of(value)) for key, value in first.cursors.items()}
    summary = sim.world.advance(1)
    second = sync(sim.env, plain)
    for name in {e.rsplit("#", 1)[0] for e in summary["new"] if not e.startswith("secret-ops/")}:
        numbers = [n for job, n in read_builds(second) if job == name]
        assert min(numbers) == int(plain[("builds", name)]) + 1
        assert decode_cursor(second.cursors[("builds", name)])[1] is not None  # now with the build time
