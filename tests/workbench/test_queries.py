"""Saved queries: the loader and its parameters, and every query on the simulated worlds, each checked
against the simulators' own objects (or, for the delivery marts, against those marts' rows)."""

from __future__ import annotations

import collections
import datetime as dt
import re

import pytest

from pipelines.silver.models import load_models
from pipelines.silver.references import relations_read
from pipelines.silver.warehouse import connect
from pipelines.workbench.queries import QueryError, get_query, list_queries, render
from pipelines.workbench.run import run_saved
from simulators.jira import catalog
from simulators.jira.model import DAY
from tests.workbench.world import Facts

KEY = re.compile(r"\b[A-Za-z][A-Za-z0-9_]*-[0-9]+\b", re.ASCII)
DONE_TYPES = ("Story", "Bug", "Task")


def rows(settings, name, **params) -> list[dict]:
    with connect(settings.warehouse, read_only=True) as con:
        result = run_saved(con, name, {k: str(v) for k, v in params.items()}, 1_000_000)
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def sql_rows(settings, sql) -> list[tuple]:
    with connect(settings.warehouse, read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def world(delivery_world):
    settings, worlds = delivery_world
    facts = Facts(worlds["jira"])
    now = dt.datetime.now(dt.UTC)
    offset = (now - dt.datetime.fromtimestamp(facts.now / 1000, dt.UTC)).days  # the world's clock is in the past
    return settings, facts, worlds, offset


def days_since(now_ms: int) -> float:
    return (dt.datetime.now(dt.UTC).timestamp() * 1000 - now_ms) / DAY


def linked_keys(worlds) -> dict:
    """(repo, PR id) -> the keys of existing Jira issues its title, description or source branch names."""
    jira = worlds["jira"]
    out = {}
    for repo in worlds["bitbucket"].repos:
        for pr in repo.prs:
            found = set()
            for text in (pr.title, pr.description, pr.source):
                for word in KEY.findall(text or ""):
                    project, number = word.upper().rsplit("-", 1)
                    key = f"{project}-{int(number)}"
                    if key in jira.by_key:
                        found.add(key)
            out[(repo.full_name, pr.id)] = found
    return out


def members(facts, version) -> list:
    """Issues in a release: by fixVersion, else by a `release-<name>` label."""
    return [
        i
        for i in facts.issues
        if i.project == version.project
        and (version.id in i.fix_versions or (not i.fix_versions and f"release-{version.name}" in i.labels))
    ]


def blocked(facts, i) -> bool:
    done = facts.keys(lambda x: facts.category(x) == "done")
    return any(
        link.type == 0 and not link.outward and facts.world.issues[link.other].key not in done for link in i.links
    )


def epic_of(facts, i):
    if i.type == catalog.SUBTASK:
        return facts.epic_link(facts.world.issues[i.parent]) if i.parent else None
    return facts.epic_link(i)


def quantile(values: list[float], q: float) -> float:
    values = sorted(values)
    position = (len(values) - 1) * q
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


# -- the loader --------------------------------------------------------------------------------------


def test_at_least_twenty_saved_queries_each_documented_and_reading_only_marts():
    queries = list_queries()
    assert len(queries) >= 20
    models = {m.name: m for m in load_models()}
    for query in queries:
        assert query.description and query.name == query.path.stem
        for param in query.params:
            assert re.fullmatch(r"[a-z_]+", param.name) and f"${param.name}" in query.sql, (query.name, param)
        reads = relations_read(query.sql)
        for name in reads:
            marts = name in models and not name.startswith(("stg_", "int_"))
            assert marts or name == "corrections_log", f"{query.name} reads {name}"


def test_parameters_are_typed_bound_and_checked():
    sql, params = render("stale_issues", {"DAYS": "12", "project": "x'; drop table jira_issues; --"})
    assert params == {"days": 12, "project": "x'; drop table jira_issues; --"}
    assert sql == get_query("stale_issues").sql  # values never enter the SQL text
    assert render("stale_issues")[1] == {"days": 30, "project": None}
    with pytest.raises(QueryError, match="days: 'soon' is not a valid integer"):
        render("stale_issues", {"days": "soon"})
    with pytest.raises(QueryError, match=r"unknown parameter\(s\) releas \(it takes: project, release\)"):
        render("release_readiness", {"releas": "1.4"})
    with pytest.raises(QueryError, match="no saved query 'nope'"):
        get_query("nope")


def test_every_saved_query_runs_with_its_defaults(world):
    settings = world[0]
    for query in list_queries():
        rows(settings, query.name)


# -- Jira -----------------------------------------------------------------------------------------------


def test_release_readiness(world):
    settings, facts, _, _ = world
    got = {(r["project_key"], r["release_name"]): r for r in rows(settings, "release_readiness", release="1.2")}
    done = lambda i: facts.category(i) == "done"  # noqa: E731
    expected = {}
    for version in (v for v in facts.versions.values() if v.name == "1.2"):
        issues = members(facts, version)
        expected[(facts.world.projects[version.project].key, "1.2")] = (
            len(issues),
            sum(map(done, issues)),
            sum(1 for i in issues if not done(i) and blocked(facts, i)),
            sum(1 for i in issues if not done(i) and i.type == catalog.BUG),
        )
    assert {k: (r["issues"], r["done"], r["blocked"], r["open_bugs"]) for k, r in got.items()} == expected
    assert any(v[0] for v in expected.values())
    unreleased = {(r["project_key"], r["release_name"]) for r in rows(settings, "release_readiness")}
    assert unreleased == {
        (facts.world.projects[v.project].key, v.name) for v in facts.versions.values() if not v.released
    }


def test_epics_without_release_and_done_not_released(world):
    settings, facts, _, _ = world
    in_release = {i.key for v in facts.versions.values() for i in members(facts, v)}
    epics = facts.keys(lambda i: i.type == catalog.EPIC and facts.category(i) != "done" and i.key not in in_release)
    assert {r["epic_key"] for r in rows(settings, "epics_without_release")} == epics
    released = {i.key for v in facts.versions.values() if v.released for i in members(facts, v)}
    done = facts.keys(
        lambda i: facts.category(i) == "done" and facts.type_name(i) in DONE_TYPES and i.key not in released
    )
    assert {r["issue_key"] for r in rows(settings, "done_not_released")} == done


def test_release_scope_creep(world):
    settings, facts, _, _ = world
    expected = set()
    for i in facts.issues:
        added = {}
        for at, _, old, new in facts.changes(i, "fix_version"):
            for version in set(new) - set(old):
                added.setdefault(version, at)
        for version_id, at in added.items():
            version = facts.versions[version_id]
            start = dt.datetime.fromtimestamp(version.start_ms / 1000, dt.UTC).date()
            if at >= int(dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC).timestamp() * 1000):
                expected.add((i.key, version.name, facts.world.projects[version.project].key))
    got = {(r["issue_key"], r["release_name"], r["project_key"]) for r in rows(settings, "release_scope_creep")}
    assert got == expected and expected


def test_sprints_commitment_and_carry_over(world):
    settings, facts, _, _ = world
    sprints = facts.world.sprints
    commitment = collections.Counter()
    done = collections.Counter()
    carried = set()
    for i in facts.issues:
        for s in i.sprints:
            sprint = sprints[s]
            end = sprint.complete_ms or (sprint.end_ms if sprint.state != "future" else 0)  # future: no dates yet
            commitment[sprint.name] += 1
            done[sprint.name] += bool(i.resolved and i.resolved <= end)
            later = [t for t in i.sprints if sprints[t].start_ms > sprint.start_ms or sprints[t].state == "future"]
            if sprint.state == "closed" and later and not (i.resolved and i.resolved <= end):
                carried.add((i.key, sprint.name))
    got = {r["sprint_name"]: (r["committed"], r["done"]) for r in rows(settings, "sprint_commitment")}
    assert got == {name: (commitment[name], done[name]) for name in commitment}
    assert {(r["issue_key"], r["from_sprint"]) for r in rows(settings, "sprint_carry_over")} == carried and carried


def test_stale_unassigned_overdue_and_workload(world):
    settings, facts, _, offset = world
    threshold = dt.datetime.now(dt.UTC).timestamp() * 1000 - (offset + 30) * DAY
    stale = facts.keys(lambda i: facts.category(i) != "done" and i.updated < threshold)
    assert {r["issue_key"] for r in rows(settings, "stale_issues", days=offset + 30)} == stale and stale
    active = {s.id: s.name for s in facts.world.sprints.values() if s.state == "active"}
    unassigned = {(active[s], i.key) for i in facts.issues if i.assignee is None for s in i.sprints if s in active}
    got = {(r["sprint_name"], r["issue_key"]) for r in rows(settings, "unassigned_in_active_sprints")}
    assert got == unassigned and unassigned
    today = dt.datetime.now(dt.UTC).date()
    overdue = facts.keys(
        lambda i: (
            facts.category(i) != "done"
            and not i.seed % 3
            and dt.datetime.fromtimestamp((i.created + 30 * DAY) / 1000, dt.UTC).date() < today
        )
    )
    assert {r["issue_key"] for r in rows(settings, "overdue_issues")} == overdue
    load = collections.Counter(
        facts.world.users[i.assignee].name if i.assignee is not None else "(unassigned)"
        for i in facts.issues
        if facts.category(i) != "done"
    )
    assert {r["assignee"]: r["open_issues"] for r in rows(settings, "open_issues_by_assignee")} == load


def test_bugs_blocked_epics_and_reopened(world):
    settings, facts, _, offset = world
    bugs = collections.Counter(
        facts.priority(i) for i in facts.issues if i.type == catalog.BUG and facts.category(i) != "done"
    )
    assert {r["priority"]: r["open_bugs"] for r in rows(settings, "bugs_by_priority_and_age")} == bugs
    blocked_keys = facts.keys(lambda i: facts.category(i) != "done" and blocked(facts, i))
    assert {r["issue_key"] for r in rows(settings, "blocked_issues")} == blocked_keys
    progress = collections.Counter(epic_of(facts, i) for i in facts.issues if epic_of(facts, i))
    got = {r["epic_key"]: r["issues"] for r in rows(settings, "epic_points")}
    assert got == {e: progress.get(e, 0) for e in facts.keys(lambda i: i.type == catalog.EPIC)}
    done_status = {n for n, s in enumerate(catalog.STATUSES) if s[3] == 2}
    since = dt.datetime.now(dt.UTC).timestamp() * 1000 - (offset + 90) * DAY
    reopened = {
        (i.key, at)
        for i in facts.issues
        for at, _, old, new in facts.changes(i, "status")
        if old in done_status and new not in done_status and at >= since
    }
    got = {
        (r["issue_key"], int(r["changed_at"].timestamp() * 1000))
        for r in rows(settings, "reopened_issues", days=offset + 90)
    }
    assert got == reopened and reopened


def test_lead_and_cycle_time_per_team_and_type(world):
    settings, facts, _, offset = world
    since = dt.datetime.now(dt.UTC).timestamp() * 1000 - (offset + 120) * DAY
    lead, cycle = collections.defaultdict(list), collections.defaultdict(list)
    started_statuses = {n for n, s in enumerate(catalog.STATUSES) if s[3] == 1}
    for i in facts.issues:
        if not i.resolved or i.resolved < since:
            continue
        group = (facts.team(i) or "(no team)", facts.type_name(i))
        lead[group].append((i.resolved - i.created) / DAY)
        starts = [at for at, _, _, new in facts.changes(i, "status") if new in started_statuses]
        if starts and min(starts) <= i.resolved:
            cycle[group].append((i.resolved - min(starts)) / DAY)
    got = {
        (r["team"], r["issue_type"]): (r["issues"], r["lead_days_p50"])
        for r in rows(settings, "lead_time", days=offset + 120)
    }
    assert got == {g: (len(v), round(quantile(v, 0.5), 2)) for g, v in lead.items()} and got
    got = {
        (r["team"], r["issue_type"]): (r["issues"], r["cycle_days_p50"])
        for r in rows(settings, "cycle_time", days=offset + 120)
    }
    assert got == {g: (len(v), round(quantile(v, 0.5), 2)) for g, v in cycle.items()} and got


def test_worklog_per_person_week(world):
    settings, facts, _, offset = world
    weeks = offset // 7 + 10
    now = dt.datetime.now(dt.UTC)
    first = (now - dt.timedelta(days=now.weekday())).date() - dt.timedelta(weeks=weeks - 1)
    hours = collections.Counter()
    for i in facts.issues:
        for w in i.worklogs:
            day = dt.datetime.fromtimestamp(w.started / 1000, dt.UTC).date()
            week = day - dt.timedelta(days=day.weekday())
            if week >= first:
                hours[(week, facts.world.users[w.author].name)] += w.seconds / 3600
    got = {(r["week_start"], r["person"]): r["hours"] for r in rows(settings, "worklog_per_person_week", weeks=weeks)}
    assert got == {k: round(v, 2) for k, v in hours.items()} and got


# -- Bitbucket, Jenkins and the delivery marts ------------------------------------------------------


def test_pull_requests_and_issues_without_each_other(world):
    settings, facts, worlds, offset = world
    since = dt.datetime.now(dt.UTC).timestamp() - (offset + 90) * 86400
    links = linked_keys(worlds)
    merged = {
        (repo.full_name, pr.id)
        for repo in worlds["bitbucket"].repos
        for pr in repo.prs
        if pr.state == "MERGED" and pr.updated >= since and not links[(repo.full_name, pr.id)]
    }
    got = {
        (r["repository_full_name"], r["pull_request_id"])
        for r in rows(settings, "prs_merged_without_issue_key", days=offset + 90)
    }
    assert got == merged and merged
    with_pr = set().union(*links.values())
    since_ms = since * 1000
    done = facts.keys(
        lambda i: (
            facts.category(i) == "done"
            and facts.type_name(i) in DONE_TYPES
            and i.resolved >= since_ms
            and i.key not in with_pr
        )
    )
    assert {r["issue_key"] for r in rows(settings, "done_without_pr", days=offset + 90)} == done and done


def test_failing_builds_per_job(world):
    settings, _, worlds, offset = world
    since = dt.datetime.now(dt.UTC).timestamp() * 1000 - (offset + 30) * DAY
    expected = {}
    for job in worlds["jenkins"].jobs():
        builds = [b for b in job.builds if not b.building and b.timestamp >= since]
        failed = [b for b in builds if b.result in ("FAILURE", "UNSTABLE")]
        if failed:
            expected[job.full_name] = (len(builds), len(failed))
    got = {
        r["job_full_name"]: (r["builds"], r["failed"])
        for r in rows(settings, "failing_builds_per_job", days=offset + 30)
    }
    assert got == expected and expected


def test_dora_and_deployments_per_team_and_release(world):
    settings, _, _, offset = world
    shipped = sql_rows(
        settings,
        "select distinct coalesce(i.team_name, '(no team)'), d.build_key, d.is_change_failure, m.release_name "
        "from commit_deployments cd join deployments d on cd.deployment_build_key = d.build_key "
        "join issue_commits ic on cd.commit_hash = ic.commit_hash join jira_issues i on ic.issue_id = i.issue_id "
        "left join jira_issue_releases m on i.issue_id = m.issue_id "
        "where d.is_production and cd.environment = 'production'",
    )
    teams = collections.defaultdict(set)
    failures = collections.defaultdict(set)
    releases = collections.defaultdict(set)
    for team, build, failure, release in shipped:
        teams[team].add(build)
        if failure:
            failures[team].add(build)
        if release:
            releases[release].add(build)
    got = {
        r["team"]: (r["deployments"], r["change_failures"])
        for r in rows(settings, "dora_per_team", weeks=offset // 7 + 60)
    }
    assert got == {t: (len(b), len(failures[t])) for t, b in teams.items()} and got
    got = collections.Counter()
    for r in rows(settings, "deployments_per_release"):
        got[r["release_name"]] = max(got[r["release_name"]], r["deployments"])
    assert set(got) == set(releases) and all(got[r] <= len(b) for r, b in releases.items())


def test_anomalies_per_release(world):
    settings, _, _, _ = world
    findings = sql_rows(
        settings,
        "select coalesce(m.release_name, '(no release)'), a.anomaly_type, count(*) from anomalies a "
        "join jira_issues i on a.entity = 'jira_issue' and a.entity_key = i.issue_key "
        "left join jira_issue_releases m on i.issue_id = m.issue_id group by all",
    )
    got = {(r["release_name"], r["anomaly_type"]): r["findings"] for r in rows(settings, "anomalies_per_release")}
    assert got == {(release, kind): count for release, kind, count in findings} and got
