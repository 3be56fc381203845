"""The Jira source against the simulator: every record served arrives JSON-equal, long lists complete,
call counts at the computed minimum, catalogs, users, census, config and credentials."""

from __future__ import annotations

import collections

import orjson
import pytest
import yaml

from pipelines.dlt.http import HttpPolicy, HttpStats
from pipelines.dlt.resources import jira
from pipelines.dlt.streams import FULL, SyncContext
from pipelines.errors import ConfigError
from pipelines.settings import source_settings
from pipelines.timeutil import TimeSettings
from simulators.jira import env_for
from simulators.jira.cost import PAGE_SIZES, minimum_calls, referenced_users
from simulators.jira.field_catalog import SYSTEM_FIELDS
from simulators.jira.issue_payload import render_issue
from simulators.jira.render import IssueRenderer
from tests.conftest import REPO

CLIENT_PAGES = {k: v for k, v in jira.settings.PAGE.items() if k in PAGE_SIZES} | {
    "deleted_worklogs": jira.settings.PAGE["worklog_ids"]
}
FAST_RETRIES = HttpPolicy(backoff_base_s=0.05, backoff_max_s=0.2, max_attempts=8)
TIME = TimeSettings(safety_window_minutes=60, census_interval_hours=24)


def make_ctx(server, mode=FULL, cursors=None, settings=None, streams=None) -> SyncContext:
    """A SyncContext for the simulator, as the runner would build it."""
    return SyncContext(
        "jira",
        source_settings("jira", settings),
        TIME,
        jira.read_env(env_for(server)),
        mode=mode,
        cursors=dict(cursors or {}),
        streams=streams,
        http=HttpStats(),
        http_policy=FAST_RETRIES,
    )


def sync(ctx: SyncContext) -> list:
    """Every page of every resource, in order."""
    return [page for resource in jira.source(ctx).resources.values() for page in resource]


def by_stream(pages) -> dict[str, list[tuple[dict, object, str]]]:
    """stream -> [(record, parent, scope)]."""
    out = collections.defaultdict(list)
    for page in pages:
        parents = page.parents if page.parents is not None else [page.parent] * len(page.records)
        pairs = zip(page.records, parents, strict=True)
        out[page.stream].extend((record, parent, page.scope) for record, parent in pairs)
    return out


def committed_cursors(pages, before=None) -> dict:
    """The cursors the runner would commit: a page's checkpoint, else the max cursor of its records."""
    cursors = dict(before or {})
    for page in pages:
        key, spec = (page.stream, page.scope), jira.STREAMS[page.stream]
        if page.checkpoint is not None:
            cursors[key] = page.checkpoint
        elif spec.cursor_of:
            values = [v for v in map(spec.cursor_of, page.records) if v]
            if values and max(values) > cursors.get(key, ""):
                cursors[key] = max(values)
    return cursors


def canon(value):
    return orjson.loads(orjson.dumps(value))


def api_paths(server) -> collections.Counter:
    return collections.Counter(r["path"] for r in server.requests())


@pytest.fixture(scope="module")
def full_run():
    """A full sync of a ~600-issue world (long comment/worklog/changelog lists included)."""
    from simulators.jira import create

    server = create(7, {"issues": 600}).start()
    ctx = make_ctx(server)
    pages = sync(ctx)
    yield server, ctx, pages
    server.stop()


def test_every_record_served_arrives_json_equal(full_run):
    server, _, pages = full_run
    world, got = server.world, by_stream(pages)
    r = IssueRenderer(world, server.url)
    live = world.live_issues()
    issues = {rec["id"]: rec for rec, _, _ in got["issues"]}
    assert len(issues) == len(got["issues"]) == len(live)
    for issue in live:
        assert issues[str(issue.id)] == canon(render_issue(r, issue, None, {"changelog"}))
    children = {
        "comments": lambda i: [r.comment(i, c) for c in i.comments],
        "worklogs": lambda i: [r.worklog(i, w) for w in i.worklogs],
        "issue_changelogs": lambda i: [r.history(h) for h in i.histories],
        "issue_links": lambda i: [r.link(k) for k in i.links],
        "attachments": lambda i: [r.attachment(a) for a in i.attachments],
    }
    for stream, expected_of in children.items():
        received = collections.defaultdict(dict)
        for record, parent, scope in got[stream]:
            assert record["id"] not in received[parent["issue_id"]], f"{stream} {record['id']} twice"
            received[parent["issue_id"]][record["id"]] = record
            assert scope == parent["issue_key"].split("-")[0]
        for issue in live:
            expected = {e["id"]: e for e in canon(expected_of(issue))}
            assert received.get(str(issue.id), {}) == expected, f"{stream} of {issue.key}"
    census = {rec["id"] for rec, parent, _ in got["issue_census"]}
    assert census == {str(i.id) for i in live}


def test_long_lists_arrive_complete(full_run):
    server, _, pages = full_run
    got = by_stream(pages)
    per_issue = {s: collections.Counter(p["issue_id"] for _, p, _ in got[s]) for s in ("comments", "worklogs")}
    per_issue["issue_changelogs"] = collections.Counter(p["issue_id"] for _, p, _ in got["issue_changelogs"])
    world = server.world
    for stream, attr, length in (("comments", "comments", 150), ("worklogs", "worklogs", 300),
                                 ("issue_changelogs", "histories", 250)):  # fmt: skip
        long_ones = [i for i in world.live_issues() if len(getattr(i, attr)) == length]
        assert long_ones, f"the world has no issue with {length} {attr}"
        for issue in long_ones:
            assert per_issue[stream][str(issue.id)] == length


def test_catalogs_users_and_parents(full_run):
    server, _, pages = full_run
    world, got = server.world, by_stream(pages)
    assert len(got["projects"]) == len(world.projects)
    assert {p["project_key"] for _, p, _ in got["versions"]} == {p.key for p in world.projects}
    assert len(got["fields"]) == len(SYSTEM_FIELDS) + 110 and len(got["priorities"]) == 5
    assert {s["id"] for s, _, _ in got["sprints"]} == set(world.sprints)
    assert all(p == {"board_id": s["originBoardId"]} for s, p, _ in got["sprints"])
    expected_users = set().union(*(referenced_users(world, i) for i in world.live_issues()))
    assert {u["accountId"] for u, _, _ in got["users"]} == {world.users[n].account_id for n in expected_users}
    assert len(expected_users) < len(world.users)  # accounts nobody references are not fetched


def test_full_sync_calls_are_the_minimum_and_never_the_removed_search(full_run):
    server, ctx, _ = full_run
    paths = api_paths(server)
    assert "/rest/api/3/search" not in paths and "/rest/api/2/search" not in paths
    floor = minimum_calls(server.world, CLIENT_PAGES)
    assert ctx.http.api_calls == len(server.requests()) <= 1.1 * floor["total"]
    kanban = [b.id for b in server.world.boards if b.type == "kanban"]
    assert not [p for p in paths if any(p == f"/rest/agile/1.0/board/{k}/sprint" for k in kanban)]
    simple = [b.id for b in server.world.boards if b.type == "simple"]
    assert all(paths[f"/rest/agile/1.0/board/{s}/sprint"] == 1 for s in simple)  # its 400 is handled


def test_client_asks_for_the_largest_pages_the_api_allows():
    assert CLIENT_PAGES == PAGE_SIZES


def test_two_thousand_issues_within_ten_percent_of_the_minimum(start_sim):
    server = start_sim("jira", scale={"issues": 2000})
    ctx = make_ctx(server)
    got = by_stream(sync(ctx))
    floor = minimum_calls(server.world, CLIENT_PAGES)["total"]
    assert len(got["issues"]) == 2000 and ctx.http.api_calls <= 1.1 * floor
    assert "/rest/api/3/search" not in api_paths(server)


def test_issue_pages_carry_safe_checkpoints(full_run):
    server, _, pages = full_run
    issue_pages = [p for p in pages if p.stream == "issues"]
    final = committed_cursors(issue_pages)
    for project in server.world.projects:
        newest = max(i.updated for i in server.world.live_issues(project.index))
        assert final[("issues", project.key)] == jira.STREAMS["issues"].cursor_of(
            {"fields": {"updated": IssueRenderer(server.world, server.url).ts(newest)}}
        )
        values = [p.checkpoint for p in issue_pages if p.scope == project.key]
        assert values == sorted(values)  # never moves backwards within a run
    census = [p for p in pages if p.stream == "issue_census"]
    assert all(p.checkpoint for p in census) and all(p.parent == {"project_key": p.scope} for p in census)


def test_config_section_matches_the_defaults():
    from pipelines.settings import as_data
    from pipelines.silver.settings import JiraSilverSettings

    section = yaml.safe_load((REPO / "config" / "sources.yaml").read_text(encoding="utf-8"))["jira"]
    assert section.pop("silver") == as_data(JiraSilverSettings())  # silver's own section, documented alongside
    assert section == jira.DEFAULTS


def test_read_env_names_the_missing_variable():
    with pytest.raises(ConfigError, match="JIRA_BASE_URL is not set"):
        jira.read_env({})
    with pytest.raises(ConfigError, match=r"JIRA_API_TOKEN is not set \(needed because jira is enabled and JIRA_BASE"):
        jira.read_env({"JIRA_BASE_URL": "https://x.atlassian.net", "JIRA_EMAIL": "a@b.c"})
    env = {"JIRA_BASE_URL": "https://x/", "JIRA_EMAIL": "a", "JIRA_API_TOKEN": "t"}
    assert jira.read_env(env)["JIRA_BASE_URL"] == "https://x"


def test_check_says_who_and_where(start_sim):
    server = start_sim("jira", scale={"issues": 10})
    assert jira.check(make_ctx(server)) == f"jira: OK as Demo User <demo@example.com> ({server.url})"


def test_project_scope_filters_and_stream_selection(start_sim):
    server = start_sim("jira", scale={"issues": 120})
    world = server.world
    settings = {
        "projects": ["DPL", "WEB"],
        "streams": {"issues": {"project_jql": {"DPL": "issuetype = Bug"}, "fields": ["summary"]}},
    }
    got = by_stream(sync(make_ctx(server, settings=settings)))
    expected = [i for i in world.live_issues(0) if i.type == 4] + world.live_issues(1)
    assert sorted(rec["id"] for rec, _, _ in got["issues"]) == sorted(str(i.id) for i in expected)
    assert {p["project_key"] for _, p, _ in got["versions"]} == {"DPL", "WEB"}
    assert all(set(rec["fields"]) >= {"summary", "updated", "comment", "worklog"} for rec, _, _ in got["issues"])
    searches = [q["query"] for q in server.requests() if q["path"] == "/rest/api/3/search/jql"]
    assert any(q["jql"] == 'project = "DPL" AND (issuetype = Bug) ORDER BY updated ASC' for q in searches)
    server.reset_log()
    only = by_stream(sync(make_ctx(server, streams=("comments",))))
    assert set(only) == {"comments"} and {rec["id"] for rec, _, _ in only["comments"]} == {
        str(c.id) for i in world.live_issues() for c in i.comments
    }


def test_changed_worklog_listings_stop_on_last_page(full_run, start_sim):
    """/worklog/updated|deleted answer `nextPage` on their last page too (as Atlassian's example does):
    the client stops on `lastPage`, so it asks for each page once instead of the last one forever."""
    import requests

    from simulators.jira.cost import QUIET_MS, changed_pages

    small = start_sim("jira", scale={"issues": 10})
    env = env_for(small)
    last = requests.get(small.url + "/rest/api/3/worklog/deleted", params={"since": 0},
                        auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]), timeout=10).json()  # fmt: skip
    assert last["lastPage"] is True and last["nextPage"]
    server, _, _ = full_run
    world, paths = server.world, api_paths(server)
    visible = sum(1 for i in world.live_issues() for w in i.worklogs if w.updated <= world.now - QUIET_MS)
    assert paths["/rest/api/3/worklog/updated"] == changed_pages(visible, CLIENT_PAGES["worklog_ids"]) > 1
    deleted = [d for d in world.deleted_worklogs if d[1] <= world.now - QUIET_MS]
    assert paths["/rest/api/3/worklog/deleted"] == changed_pages(len(deleted), CLIENT_PAGES["deleted_worklogs"])


def test_expands_answered_outside_the_issues_are_refused_with_the_reason(tmp_path):
    from pipelines.config import validate

    for expand in (["changelog", "renderedFields"], ["changelog", "versionedRepresentations"]):
        validate({"streams": {"issues": {"expand": expand}}}, jira.CONFIG_SCHEMA, tmp_path / "sources.yaml")
    for top_level in ("names", "schema"):
        with pytest.raises(ConfigError, match=r"streams\.issues\.expand\.1: .*top level of its response, not in the"):
            validate({"streams": {"issues": {"expand": ["changelog", top_level]}}}, jira.CONFIG_SCHEMA, tmp_path)
