"""JQL answered from the warehouse: a table of queries on a fixed simulated world, each checked against
what the simulator's own objects say (Jira's semantics: `!=` never matches EMPTY, IN with EMPTY, NOT
pushed down, dates in the configured zone, WAS/CHANGED over the history)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.silver.warehouse import connect
from pipelines.workbench.jql import JqlError, compile_jql
from pipelines.workbench.run import run_jql
from simulators.jira import catalog
from simulators.jira.model import DAY
from tests.workbench.world import ZONE, local_midnight, ms, words

ST = {name: n for n, (_, name, _, _) in enumerate(catalog.STATUSES)}


def user(f, n):
    return f.world.users[n].account_id


def run(settings, now, text, fields=None):
    with connect(settings.warehouse, read_only=True) as con:
        return run_jql(con, text, settings, fields=fields, now=now, limit=100_000)


def keys_of(settings, now, text) -> set[str]:
    return {row[0] for row in run(settings, now, text, fields=("key",)).rows}


def week_start(now_ms: int) -> int:
    local = dt.datetime.fromtimestamp(now_ms / 1000, ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    return ms(local - dt.timedelta(days=(local.weekday() + 1) % 7))


def month_start(now_ms: int, shift: int) -> int:
    local = dt.datetime.fromtimestamp(now_ms / 1000, ZONE)
    month = local.month - 1 + shift
    return ms(dt.datetime(local.year + month // 12, month % 12 + 1, 1, tzinfo=ZONE))


EPIC = "DPL-1"  # replaced by the first epic with children (see the fixture below)
CASES = [
    # project, key, type
    ("project = DPL", lambda f, i: f.project(i) == "DPL"),
    ("project in (DPL, WEB)", lambda f, i: f.project(i) in ("DPL", "WEB")),
    ("project != OPS", lambda f, i: f.project(i) != "OPS"),
    ('project = "Web Storefront"', lambda f, i: f.project(i) == "WEB"),
    ("key = DPL-5", lambda f, i: i.key == "DPL-5"),
    ("issuekey in (DPL-1, WEB-2, OPS-3)", lambda f, i: i.key in ("DPL-1", "WEB-2", "OPS-3")),
    ("key > DPL-70", lambda f, i: f.project(i) == "DPL" and int(i.key.split("-")[1]) > 70),
    ("key <= WEB-3", lambda f, i: f.project(i) == "WEB" and int(i.key.split("-")[1]) <= 3),
    ("issuetype = Bug", lambda f, i: f.type_name(i) == "Bug"),
    ("type in (Story, Task)", lambda f, i: f.type_name(i) in ("Story", "Task")),
    ("issuetype in standardIssueTypes()", lambda f, i: i.type != catalog.SUBTASK),
    ("issuetype in subTaskIssueTypes()", lambda f, i: i.type == catalog.SUBTASK),
    # status, category, priority, resolution
    ('status = "In Progress"', lambda f, i: f.status(i) == "In Progress"),
    ("status = 10002", lambda f, i: f.status(i) == "Done"),
    ('status in ("To Do", "in review")', lambda f, i: f.status(i) in ("To Do", "In Review")),
    ('status not in ("To Do", Done)', lambda f, i: f.status(i) not in ("To Do", "Done")),
    ("statusCategory = Done", lambda f, i: f.category(i) == "done"),
    ('statusCategory != "To Do"', lambda f, i: f.category(i) != "new"),
    ("statusCategory in (new, indeterminate)", lambda f, i: f.category(i) in ("new", "indeterminate")),
    ("priority = High", lambda f, i: f.priority(i) == "High"),
    ("priority in (Highest, 2)", lambda f, i: f.priority(i) in ("Highest", "High")),
    ("resolution is EMPTY", lambda f, i: i.resolved is None),
    ("resolution = Unresolved", lambda f, i: i.resolved is None),
    ("resolution is not EMPTY", lambda f, i: i.resolved is not None),
    # users: != excludes EMPTY, NOT pushed down, IN with EMPTY, functions
    ("assignee is EMPTY", lambda f, i: i.assignee is None),
    ("assignee = currentUser()", lambda f, i: i.assignee == 1),
    ("assignee != currentUser()", lambda f, i: i.assignee is not None and i.assignee != 1),
    ("NOT assignee = currentUser()", lambda f, i: i.assignee is not None and i.assignee != 1),
    ("assignee != currentUser() OR assignee is EMPTY", lambda f, i: i.assignee != 1),
    ("assignee in (EMPTY, currentUser())", lambda f, i: i.assignee in (None, 1)),
    ("assignee not in (currentUser(), EMPTY)", lambda f, i: i.assignee not in (None, 1)),
    (lambda f: f'assignee = "{f.world.users[5].name}"', lambda f, i: i.assignee == 5),
    (lambda f: f"assignee = {f.world.users[6].email}", lambda f, i: i.assignee == 6),
    ('assignee in membersOf("platform")', lambda f, i: i.assignee in (2, 3, 4)),
    ("reporter = currentUser()", lambda f, i: i.reporter == 1),
    (lambda f: f"creator in ({user(f, 0)}, {user(f, 7)})", lambda f, i: i.creator in (0, 7)),
    # lists: labels, components, versions, sprints
    ("labels = backend", lambda f, i: "backend" in i.labels),
    ("labels in (backend, frontend)", lambda f, i: bool({"backend", "frontend"} & set(i.labels))),
    ("labels != backend", lambda f, i: bool(i.labels) and "backend" not in i.labels),
    ("labels is EMPTY", lambda f, i: not i.labels),
    ("labels in (EMPTY, security)", lambda f, i: not i.labels or "security" in i.labels),
    ("labels not in (backend, EMPTY)", lambda f, i: bool(i.labels) and "backend" not in i.labels),
    ("component is EMPTY", lambda f, i: True),
    ('fixVersion = "1.2"', lambda f, i: "1.2" in f.version_names(i)),
    ("fixVersion is EMPTY", lambda f, i: not i.fix_versions),
    ('fixVersion != "1.2"', lambda f, i: bool(i.fix_versions) and "1.2" not in f.version_names(i)),
    ("fixVersion in unreleasedVersions()", lambda f, i: any(not f.versions[v].released for v in i.fix_versions)),
    (
        "fixVersion in releasedVersions(DPL)",
        lambda f, i: any(f.versions[v].released and f.versions[v].project == 0 for v in i.fix_versions),
    ),
    ("affectedVersion is EMPTY", lambda f, i: True),
    ("sprint in openSprints()", lambda f, i: "active" in f.sprint_states(i)),
    ("sprint in closedSprints()", lambda f, i: "closed" in f.sprint_states(i)),
    ('sprint = "DPL Sprint 3"', lambda f, i: any(f.world.sprints[s].name == "DPL Sprint 3" for s in i.sprints)),
    ("sprint is EMPTY", lambda f, i: not i.sprints),
    ("parent is not EMPTY", lambda f, i: i.parent is not None),
    (lambda f: f"parent = {EPIC}", lambda f, i: f.parent_key(i) == EPIC),
    (lambda f: f'"Epic Link" = {EPIC}', lambda f, i: f.epic_link(i) == EPIC),
    # text
    ("summary ~ login", lambda f, i: words(catalog.summary(i.summary_seed), "login")),
    ('summary ~ "LOGIN flow"', lambda f, i: words(catalog.summary(i.summary_seed), "login", "flow")),
    ('summary ~ "\\"CSV export\\""', lambda f, i: "csv export" in catalog.summary(i.summary_seed).lower()),
    ('summary ~ "migr*"', lambda f, i: words(catalog.summary(i.summary_seed), "migr*")),
    ("summary !~ login", lambda f, i: not words(catalog.summary(i.summary_seed), "login")),
    ('description ~ "steps reproduce"', lambda f, i: words(f.description(i), "steps", "reproduce")),
    ("description is EMPTY", lambda f, i: f.description(i) is None),
    ('comment ~ "retry logic"', lambda f, i: any(words(c, "retry", "logic") for c in f.comments(i))),
    (
        'text ~ "support ticket"',
        lambda f, i: any(
            words(t, "support", "ticket") for t in [catalog.summary(i.summary_seed), f.description(i), *f.comments(i)]
        ),
    ),
    # dates, in America/Los_Angeles
    ('created >= "2026-10-01"', lambda f, i: i.created >= local_midnight("2026-10-01")),
    ('created < "2026/06/15 12:00"', lambda f, i: i.created < local_midnight("2026-06-15") + 12 * 3_600_000),
    ("created < startOfMonth(-2)", lambda f, i: i.created < month_start(f.now, -2)),
    ("updated >= -7d", lambda f, i: i.updated >= f.now - 7 * DAY),
    ('updated >= "-2w 3d"', lambda f, i: i.updated >= f.now - 11 * DAY),
    ("updated > startOfWeek()", lambda f, i: i.updated > week_start(f.now)),
    (
        'resolved >= "2026-09-01" AND resolved < "2026-10-01"',
        lambda f, i: (
            i.resolved is not None and local_midnight("2026-09-01") <= i.resolved < local_midnight("2026-10-01")
        ),
    ),
    ("due < now() AND resolution is EMPTY", lambda f, i: f.due(i) is not None and f.due(i) < f.now and not i.resolved),
    ("due is EMPTY", lambda f, i: f.due(i) is None),
    # custom fields by name and id
    ('"Story Points" > 3', lambda f, i: (i.story_points or 0) > 3),
    ("cf[10016] = 5", lambda f, i: i.story_points == 5),
    ('"Story point estimate" is EMPTY', lambda f, i: i.story_points is None),
    ('Team = "Platform 🛠"', lambda f, i: f.team(i) == "Platform 🛠"),
    ('Severity in ("S1 - Critical", "S2 - Major")', lambda f, i: f.severity(i) in ("S1 - Critical", "S2 - Major")),
    ('Severity != "S1 - Critical"', lambda f, i: f.severity(i) not in (None, "S1 - Critical")),
    # history: WAS and CHANGED
    ('status WAS "In Progress"', lambda f, i: f.was(i, "status", {ST["In Progress"]})),
    (
        'status WAS "In Review" BEFORE "2026-06-01"',
        lambda f, i: f.was(i, "status", {ST["In Review"]}, end=local_midnight("2026-06-01")),
    ),
    ('status WAS NOT "To Do"', lambda f, i: not f.was(i, "status", {ST["To Do"]})),
    (
        'status WAS IN (Done, "已完成") DURING ("2026-08-01", "2026-08-31")',
        lambda f, i: f.was(
            i, "status", {ST["Done"], ST["已完成"]}, local_midnight("2026-08-01"), local_midnight("2026-09-01")
        ),
    ),
    ("assignee WAS currentUser()", lambda f, i: f.was(i, "assignee", {1})),
    ("assignee WAS EMPTY", lambda f, i: f.was(i, "assignee", {None})),
    ('status WAS "In Progress" AFTER -30d', lambda f, i: f.was(i, "status", {ST["In Progress"]}, f.now - 30 * DAY)),
    ("status CHANGED", lambda f, i: bool(f.changes(i, "status"))),
    ("NOT status CHANGED", lambda f, i: not f.changes(i, "status")),
    (
        'status CHANGED FROM "In Review" TO Done',
        lambda f, i: any(o == ST["In Review"] and n == ST["Done"] for _, _, o, n in f.changes(i, "status")),
    ),
    ("status CHANGED AFTER -30d", lambda f, i: any(at > f.now - 30 * DAY for at, _, _, _ in f.changes(i, "status"))),
    (
        "priority CHANGED BY currentUser()",
        lambda f, i: any(author == 1 for _, author, _, _ in f.changes(i, "priority")),
    ),
    (
        'fixVersion WAS "1.0"',
        lambda f, i: (
            "1.0" in f.version_names(i)
            or any(f.versions[v].name == "1.0" for _, _, old, new in f.changes(i, "fix_version") for v in (*old, *new))
        ),
    ),
    # precedence and NOT pushed down (NOT labels = backend is labels != backend: never the unlabelled)
    (
        "(project = DPL OR project = WEB) AND NOT (status = Done OR labels = backend)",
        lambda f, i: (
            f.project(i) in ("DPL", "WEB") and f.status(i) != "Done" and bool(i.labels) and "backend" not in i.labels
        ),
    ),
    (
        "project = DPL AND issuetype = Bug OR project = WEB",
        lambda f, i: (f.project(i) == "DPL" and f.type_name(i) == "Bug") or f.project(i) == "WEB",
    ),
    ("NOT (project = DPL AND NOT status = Done)", lambda f, i: f.project(i) != "DPL" or f.status(i) == "Done"),
    (
        "project = DPL && (labels = ux || labels = performance)",
        lambda f, i: f.project(i) == "DPL" and bool({"ux", "performance"} & set(i.labels)),
    ),
]


@pytest.fixture(scope="module")
def world(jira_world):
    global EPIC
    settings, facts, now = jira_world
    epics = sorted(
        (i for i in facts.issues if i.type == catalog.EPIC and i.children), key=lambda i: (i.project, i.created)
    )
    EPIC = epics[0].key
    return settings, facts, now


def test_the_table_has_at_least_60_queries():
    assert len(CASES) >= 60


@pytest.mark.parametrize(
    ("jql", "expected"), CASES, ids=[c[0] if isinstance(c[0], str) else f"case{n}" for n, c in enumerate(CASES)]
)
def test_jql_matches_what_jira_holds(world, jql, expected):
    settings, facts, now = world
    text = jql(facts) if callable(jql) else jql
    want = facts.keys(lambda i: expected(facts, i))
    assert keys_of(settings, now, text) == want, text


def test_the_queries_are_not_trivial(world):
    """Most cases select some but not all issues, so a wrong translation could not pass by accident."""
    _, facts, _ = world
    sizes = [len(facts.keys(lambda i, e=e: e(facts, i))) for _, e in CASES]
    partial = [s for s in sizes if 0 < s < len(facts.issues)]
    assert len(partial) >= 50


def test_dates_are_read_in_the_configured_zone(world):
    """`created >= "D"` is midnight in America/Los_Angeles; in UTC it would select other issues."""
    settings, facts, now = world

    def utc_midnight(d: dt.date) -> int:
        return ms(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC))

    days = (dt.date(2026, 1, 1) + dt.timedelta(days=n) for n in range(300))
    day = next(
        d for d in days if facts.keys(lambda i, d=d: local_midnight(d.isoformat()) > i.created >= utc_midnight(d))
    )
    got = keys_of(settings, now, f'created >= "{day.isoformat()}"')
    utc = facts.keys(lambda i: i.created >= utc_midnight(day))
    assert got == facts.keys(lambda i: i.created >= local_midnight(day.isoformat())) != utc


@pytest.mark.parametrize(
    ("jql", "order"),
    [
        ("project = DPL ORDER BY key ASC", lambda f, i: int(i.key.split("-")[1])),
        ("project = WEB ORDER BY created DESC", lambda f, i: -i.created),
        ("project = OPS ORDER BY updated", lambda f, i: i.updated),
        ("project = DPL ORDER BY priority DESC, key", lambda f, i: (i.priority, int(i.key.split("-")[1]))),
        ("project = DPL", lambda f, i: -i.created),  # no ORDER BY: created DESC
    ],
)
def test_order_by(world, jql, order):
    settings, facts, now = world
    got = [row[0] for row in run(settings, now, jql, fields=("key",)).rows]
    scope = jql.split(" ")[2]
    expected = [
        i.key for i in sorted((i for i in facts.issues if facts.project(i) == scope), key=lambda i: order(facts, i))
    ]
    assert got == expected


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("votes > 3", "'votes' is not kept"),
        ("status ~ Done", "operator '~' is not supported by the field 'status'"),
        ("labels WAS backend", "operator 'WAS' is not supported by the field 'labels'"),
        ("summary = login", "operator '=' is not supported by the field 'summary'"),
        ("project = DPL AND", "ended unexpectedly"),
        ('created > "yesterday"', "date value 'yesterday' for field 'created' is invalid"),
        ('assignee in membersOf("nobody")', "membersOf('nobody'): the group is unknown"),
        ("status = Doen", "the value 'Doen' does not exist for the field 'status'"),
        ("project = NOPE", "the value 'NOPE' does not exist for the field 'project'"),
        ('"No Such Field" = 1', "the field 'No Such Field' does not exist"),
        ('"Affected services" = billing', "custom field 'Affected services' (customfield_10041) is not kept"),
        ('fixVersion > "1.0"', "operator '>' is not supported by the field 'fixVersion'"),
        ("sprint in releasedVersions()", "releasedversions() is not supported by the field 'sprint'"),
        ("project = DPL ORDER BY comment", "ORDER BY comment is not supported"),
        ('summary ~ "-login"', "Lucene syntax"),
        ("status = Done extra", "unexpected 'extra'"),
        ('summary ~ "unclosed', "unclosed quote"),
    ],
)
def test_unsupported_or_wrong_queries_are_one_line_errors(world, jql, message):
    settings, _, now = world
    with pytest.raises(JqlError) as caught:
        run(settings, now, jql)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_current_user_needs_a_configured_account(world):
    settings, _, now = world
    bare = settings.replace(workbench=type(settings.workbench)())
    with pytest.raises(JqlError, match="currentUser\\(\\) needs `current_user`"):
        compile_jql("assignee = currentUser()", bare, now=now)


def test_values_are_bound_never_formatted_into_the_sql(world):
    settings, _, now = world
    compiled = compile_jql('summary ~ "x\'); drop table jira_issues" OR labels = "a\'b"', settings, now=now)
    assert "drop table" not in compiled.sql and "a'b" in compiled.params.values()
    assert run(settings, now, 'labels = "a\'b"').total == 0
