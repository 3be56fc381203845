"""The Jira source over time and under failure: incremental runs after `advance`, 403 projects,
429/503 answers, suspended sites, and a real run through the runner into bronze."""

from __future__ import annotations

import collections
import dataclasses
import re
import threading
import time

import pytest

from pipelines.bronze.ledger import read_cursors
from pipelines.dlt.pipelines import classify, run_source
from pipelines.dlt.resources import jira
from pipelines.dlt.resources.jira.children import Children
from pipelines.dlt.resources.jira.sweeps import census_due
from pipelines.dlt.streams import FULL, INCREMENTAL
from pipelines.errors import DplError, ErrorClass
from pipelines.settings import load_settings
from pipelines.timeutil import parse_iso
from simulators.jira import env_for
from simulators.jira.evolve import update_issue
from simulators.jira.issue_payload import render_issue
from simulators.jira.render import IssueRenderer
from tests.helpers import bronze_records
from tests.resources.test_jira import by_stream, canon, committed_cursors, make_ctx, sync

PER_ISSUE = re.compile(r"^/rest/api/3/issue/(\d+)/(comment|worklog|changelog)$")


def full_then_incremental(server, change, cursors: dict | None = None) -> tuple:
    """Full sync, `change(world)`, then an incremental run from the committed cursors (left in `cursors`)."""
    first = sync(make_ctx(server))
    cursors = {} if cursors is None else cursors
    cursors.update(committed_cursors(first))
    clock = server.world.now
    with server.world.lock:
        change(server.world)
    server.reset_log()
    ctx = make_ctx(server, mode=INCREMENTAL, cursors=cursors)
    return clock, ctx, sync(ctx)


def test_incremental_run_captures_every_update_and_reads_only_what_changed(start_sim):
    server = start_sim("jira", scale={"issues": 400, "updates_per_step": 6, "deletes_per_step": 0.5})
    summaries = []
    clock, _, pages = full_then_incremental(server, lambda world: summaries.append(world.advance(6)))
    world, got, summary = server.world, by_stream(pages), summaries[0]
    r = IssueRenderer(world, server.url)
    changed = {i.id: i for i in world.live_issues() if i.updated > clock}
    assert {world.by_key[k].id for k in summary["updated"] + summary["created"]} <= set(changed)
    received = {rec["id"]: rec for rec, _, _ in got["issues"]}
    for issue in changed.values():
        assert received[str(issue.id)] == canon(render_issue(r, issue, None, {"changelog"}))
    ids = collections.defaultdict(set)
    for stream in ("comments", "worklogs", "issue_changelogs"):
        for record, parent, _ in got[stream]:
            ids[stream].add((parent["issue_id"], record["id"]))
    for issue in changed.values():
        new = {
            "comments": [c.id for c in issue.comments if c.updated > clock],
            "worklogs": [w.id for w in issue.worklogs if w.updated > clock],
            "issue_changelogs": [h.id for h in issue.histories if h.created > clock],
        }
        for stream, wanted in new.items():
            assert {(str(issue.id), str(i)) for i in wanted} <= ids[stream], f"{stream} of {issue.key}"
    deleted = {str(w) for w, _ in world.deleted_worklogs}
    assert deleted <= {str(rec["worklogId"]) for rec, _, _ in got["worklog_deletions"]}
    requests = server.requests()
    searches = [q for q in requests if q["path"] == "/rest/api/3/search/jql"]
    assert len(searches) == len(world.projects)  # one page per project, no census (swept < 24 h ago)
    assert all(re.search(r"updated >= \d{13} ORDER BY updated ASC$", q["query"]["jql"]) for q in searches)
    window = min(i.updated for i in changed.values()) - 2 * 3_600_000
    touched = {int(m.group(1)) for q in requests if (m := PER_ISSUE.match(q["path"]))}
    assert all(world.issues[i].updated >= window for i in touched)
    assert len(requests) < 40, collections.Counter(q["path"] for q in requests)


def test_updates_of_long_issues_read_only_what_the_window_needs(start_sim):
    server = start_sim("jira", scale={"issues": 300})

    touched = {}

    def touch_long_issues(world):
        world.now += 15 * 60_000
        for attr, length in (("histories", 250), ("comments", 150)):
            touched[attr] = next(i for i in world.live_issues() if len(getattr(i, attr)) == length)
            update_issue(world, touched[attr], world.now - 10 * 60_000)
        world.version += 1

    cursors = {}
    _, _, pages = full_then_incremental(server, touch_long_issues, cursors)
    got = by_stream(pages)
    paths = collections.Counter(q["path"] for q in server.requests())
    assert "/rest/api/3/changelog/bulkfetch" not in paths  # the 40 embedded histories reach back far enough
    long_history = touched["histories"]
    newest = {rec["id"] for rec, parent, _ in got["issue_changelogs"] if parent["issue_id"] == str(long_history.id)}
    assert str(long_history.histories[-1].id) in newest and len(newest) == 40
    long_comments = touched["comments"]
    assert paths[f"/rest/api/3/issue/{long_comments.id}/comment"] == 2  # 130+ after the 20 embedded
    window = {key[1]: value for key, value in cursors.items() if key[0] == "issues"}
    for path in filter(PER_ISSUE.match, paths):  # only issues inside a project's window (cursor - 60 min)
        issue = server.world.issues[int(PER_ISSUE.match(path).group(1))]
        start = parse_iso(window[server.world.projects[issue.project].key]).timestamp() * 1000 - 3_600_000
        assert issue.updated >= start, path


def test_forbidden_project_is_skipped_with_a_gap(start_sim):
    server = start_sim("jira", scale={"issues": 200, "forbidden_projects": 1})
    ctx = make_ctx(server)
    got = by_stream(sync(ctx))
    secret = server.world.projects[-1]
    gaps = {(g.stream, g.scope, g.error_class) for g in ctx.gaps}
    for stream in ("versions", "issues", "comments", "issue_census"):
        assert (stream, secret.key, "FORBIDDEN") in gaps
    open_projects = [p for p in server.world.projects if not p.forbidden]
    assert len(got["issues"]) == sum(len(server.world.live_issues(p.index)) for p in open_projects)
    paths = [q["path"] for q in server.requests() if q["status"] == 403]
    assert paths == ["/rest/api/3/search/jql"]  # asked once (the issue pass runs first), then skipped


def test_server_errors_and_rate_limits_are_survived(start_sim):
    server = start_sim("jira", scale={"issues": 60}, fault_rate=0.08, fault_kinds=("503",), fault_seed=5)
    ctx = make_ctx(server)
    got = by_stream(sync(ctx))
    assert any(q["status"] == 503 for q in server.requests()) and ctx.http.retries >= 1
    assert len(got["issues"]) == len(server.world.live_issues())

    limited = start_sim("jira", scale={"issues": 60}, rate_limit_per_min=6, retry_after_s=1)
    done = threading.Event()

    def lift_limit_after_first_429():
        while not done.is_set():
            if any(q["status"] == 429 for q in limited.requests()):
                limited.set_knobs(rate_limit_per_min=0)
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=lift_limit_after_first_429, daemon=True)
    watcher.start()
    ctx = make_ctx(limited)
    ctx.http_policy = dataclasses.replace(ctx.http_policy, slow_down_below=0)  # no pacing: hit the 429 itself
    try:
        got = by_stream(sync(ctx))
    finally:
        done.set()
    assert any(q["status"] == 429 for q in limited.requests())
    assert ctx.http.rate_limit_waits_s >= 1 and len(got["issues"]) == len(limited.world.live_issues())


def test_suspended_site_and_bad_token_fail_fast_with_their_class(start_sim):
    server = start_sim("jira", scale={"issues": 5}, suspended=True)
    with pytest.raises(Exception) as caught:
        sync(make_ctx(server))
    assert classify(caught.value).error_class == ErrorClass.SUSPENDED and len(server.requests()) == 1
    server.set_knobs(suspended=False)
    ctx = make_ctx(server)
    ctx.secrets["JIRA_API_TOKEN"] = "wrong"
    with pytest.raises(DplError) as caught:
        jira.check(ctx)
    assert caught.value.error_class == ErrorClass.AUTH_FAILED


def test_census_runs_on_full_runs_and_when_due(start_sim):
    server = start_sim("jira", scale={"issues": 5})
    ctx = make_ctx(server, mode=INCREMENTAL)
    assert census_due(ctx, "DPL")  # never swept
    ctx.cursors[("issue_census", "DPL")] = "2000-01-01T00:00:00.000000Z"
    assert census_due(ctx, "DPL")
    ctx.cursors[("issue_census", "DPL")] = ctx.started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert not census_due(ctx, "DPL")
    assert census_due(make_ctx(server, cursors=ctx.cursors), "DPL")  # full run


def test_runner_writes_bronze_and_resumes_incrementally(start_sim, tmp_path):
    server = start_sim("jira", scale={"issues": 150})
    env = env_for(server)
    first = run_source(load_settings(), "jira", mode="full", env=env)
    assert first.status == "success" and first.error is None, first.error
    issues = bronze_records(tmp_path / "bronze", "jira", "issues")
    assert len({r["__id"] for r in issues}) == len(server.world.live_issues())
    assert {r["__parent"]["issue_key"] for r in bronze_records(tmp_path / "bronze", "jira", "comments")}
    cursors = read_cursors(tmp_path / "bronze", "jira")
    newest = max(i.updated for i in server.world.live_issues(0))
    assert cursors[("issues", "DPL")] == jira.STREAMS["issues"].cursor_of(
        {"fields": {"updated": IssueRenderer(server.world, server.url).ts(newest)}}
    )
    assert all(("issue_census", p.key) in cursors for p in server.world.projects)
    with server.world.lock:
        summary = server.world.advance(4)
    server.reset_log()
    second = run_source(load_settings(), "jira", env=env)
    assert second.status == "success", second.error
    searches = [q for q in server.requests() if q["path"] == "/rest/api/3/search/jql"]
    assert len(searches) == len(server.world.projects)  # one windowed page per project, census not due
    again = {r["__id"] for r in bronze_records(tmp_path / "bronze", "jira", "issues") if r["__run_id"] == second.run_id}
    assert {str(server.world.by_key[k].id) for k in summary["updated"] + summary["created"]} <= again


CHILDREN = {  # child stream -> the records the simulator renders for an issue
    "comments": lambda r, i: [r.comment(i, c) for c in i.comments],
    "worklogs": lambda r, i: [r.worklog(i, w) for w in i.worklogs],
    "issue_changelogs": lambda r, i: [r.history(h) for h in i.histories],
    "issue_links": lambda r, i: [r.link(k) for k in i.links],
    "attachments": lambda r, i: [r.attachment(a) for a in i.attachments],
}


def test_a_run_of_issues_alone_leaves_the_children_to_the_next_run(start_sim):
    """`sync jira --streams issues` moves only the `issues` cursors; the next run of every stream starts the
    search at the children's own window and misses nothing a full read would get (the reviewer's repro)."""
    scale = {"projects": 2, "issues": 200, "updates_per_step": 40, "long_share": 0.2}
    server = start_sim("jira", seed=3, scale=scale)
    world, got = server.world, collections.defaultdict(set)

    def run(mode, cursors, streams=None) -> dict:
        server.reset_log()
        pages = sync(make_ctx(server, mode=mode, cursors=cursors, streams=streams))
        for stream, rows in by_stream(pages).items():
            got[stream].update((parent["issue_id"], rec["id"]) for rec, parent, _ in rows if stream in CHILDREN)
        return committed_cursors(pages, cursors)

    first = run(FULL, {})
    with world.lock:
        world.advance(8)
    second = run(INCREMENTAL, first, streams=("issues",))
    keys = [p.key for p in world.projects]
    assert all(second.get((s, k)) == first.get((s, k)) for s in CHILDREN for k in keys)  # children keep their cursors
    assert all(second[("issues", k)] > first[("issues", k)] for k in keys)
    with world.lock:
        world.advance(1)
    third = run(INCREMENTAL, second)
    r = IssueRenderer(world, server.url)
    for stream, render in CHILDREN.items():
        expected = {(str(i.id), rec["id"]) for i in world.live_issues() for rec in canon(render(r, i))}
        assert expected and not expected - got[stream], f"{stream}: {len(expected - got[stream])} never read"
    searches = [q["query"]["jql"] for q in server.requests() if q["path"] == "/rest/api/3/search/jql"]
    for key in keys:  # from the children's window (cursor - 60 min), not the issues' one
        start = int(parse_iso(first[("comments", key)]).timestamp() * 1000) - 3_600_000
        assert f'project = "{key}" AND updated >= {start} ORDER BY updated ASC' in searches
        assert {third.get((s, key)) for s in CHILDREN} == {third[("issues", key)]}  # every stream caught up


def test_a_403_inside_a_search_page_commits_nothing_past_the_pages_written(start_sim, monkeypatch):
    """A 403 from /issue/{id}/comment (only 404 is swallowed there) drops the search page it happens on:
    the project's checkpoints stay at the pages written, the other projects finish."""
    server = start_sim("jira", scale={"projects": 2, "issues": 300, "long_share": 0.1})
    world = server.world
    victim_project = world.projects[0]
    ordered = sorted(world.live_issues(0), key=lambda i: (i.updated, i.id))
    victim = next(i for n, i in enumerate(ordered) if n > 100 and n % 100 and len(i.comments) > 20)
    fetch_comments = Children.fetch_comments

    def forbidden_for_victim(self, issue_id, start, have):
        if issue_id == str(victim.id):
            raise DplError(ErrorClass.FORBIDDEN, "You do not have the permission to see the specified issue.")
        return fetch_comments(self, issue_id, start, have)

    monkeypatch.setattr(Children, "fetch_comments", forbidden_for_victim)
    ctx = make_ctx(server)
    pages = sync(ctx)
    key = victim_project.key
    assert ("comments", key, "FORBIDDEN") in {(g.stream, g.scope, g.error_class) for g in ctx.gaps}
    issues_cursor = jira.STREAMS["issues"].cursor_of
    written = [issues_cursor(rec) for rec, _, scope in by_stream(pages)["issues"] if scope == key]
    newest_written = max(written)
    assert issues_cursor({"fields": {"updated": IssueRenderer(world, server.url).ts(victim.updated)}}) > newest_written
    committed = committed_cursors(pages)
    assert committed[("issues", key)] == newest_written  # not the issues read before the 403 on its page
    assert all(committed.get((s, key), "") <= newest_written for s in CHILDREN)
    other = world.projects[1]
    newest = IssueRenderer(world, server.url).ts(max(i.updated for i in world.live_issues(1)))
    assert committed[("issues", other.key)] == issues_cursor({"fields": {"updated": newest}})


def test_a_run_scoped_to_some_projects_reads_long_worklogs_per_issue(start_sim):
    """/worklog/updated lists the whole site's worklogs without issue ids: a scoped run cannot price it
    by what its search saw, so it reads truncated worklog blocks per issue (the unscoped run of this
    world uses the bulk listing: see test_changed_worklog_listings_stop_on_last_page)."""
    server = start_sim("jira", scale={"issues": 600})
    world = server.world
    got = by_stream(sync(make_ctx(server, settings={"projects": ["DPL"]})))
    paths = collections.Counter(q["path"] for q in server.requests())
    assert "/rest/api/3/worklog/updated" not in paths and "/rest/api/3/worklog/list" not in paths
    long_ones = [i for i in world.live_issues(0) if len(i.worklogs) > 20]
    assert long_ones and all(paths[f"/rest/api/3/issue/{i.id}/worklog"] == 1 for i in long_ones)
    r = IssueRenderer(world, server.url)
    expected = {(str(i.id), w["id"]) for i in world.live_issues(0) for w in canon(CHILDREN["worklogs"](r, i))}
    assert {(parent["issue_id"], rec["id"]) for rec, parent, _ in got["worklogs"]} == expected
