"""Silver Jira tables from hand-made bronze: typed issues, epics, releases, sprints, children, history."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.silver import build_silver
from tests.silver import jira_records as jr
from tests.silver.bronze_files import Bronze
from tests.silver.support import query, settings_for

PROJECT = {"project_id": "10003", "project_key": "ABC"}
UTC = dt.UTC


@pytest.fixture
def site(tmp_path):
    """A small Jira site: an epic, stories (parent and Epic Link), a sub-task, a bug, releases, sprints."""
    bronze = Bronze(tmp_path / "bronze")
    bronze.write("jira", "fields", jr.FIELDS)
    bronze.write("jira", "versions", [jr.version(1, "1.0"), jr.version(2, "2.0", released=True)], parents=PROJECT)
    bronze.write(
        "jira", "sprints", [jr.sprint(5, "Sprint 5"), jr.sprint(6, "Sprint 6", "future")], parents={"board_id": 8}
    )
    history = jr.history(900, "2026-10-05T10:00:00.000+0000", ("status", "To Do", "In Progress"))
    later = jr.history(
        901, "2026-10-07T10:00:00.000+0000", ("status", "In Progress", "Done"), ("resolution", None, "Done")
    )
    bronze.write(
        "jira",
        "issues",
        [
            jr.issue(1, "ABC-1", kind="Epic", fix_versions=[(1, "1.0")]),
            jr.issue(
                2,
                "ABC-2",
                parent=(1, "ABC-1", "Epic"),
                fix_versions=[(1, "1.0")],
                story_points=3,
                sprints=[jr.sprint_ref(5, "Sprint 5"), jr.sprint_ref(6, "Sprint 6")],
                comments=[jr.comment(100, "first")],
                comment_total=2,
                worklogs=[jr.worklog(300, 2, seconds=5400)],
                histories=[history],
                changelog_total=2,
            ),
            jr.issue(
                3, "ABC-3", kind="Sub-task", parent=(2, "ABC-2", "Story"), labels=["release-2.0"], category="done"
            ),
            jr.issue(4, "ABC-4", kind="Bug", epic_link="ABC-1", team_points=2, labels=["release-9.9", "backend"]),
        ],
    )
    # the truncated lists of ABC-2, completed by the child streams (one overlap each)
    parent = {"issue_id": "2", "issue_key": "ABC-2"}
    bronze.write("jira", "comments", [jr.comment(100, "first"), jr.comment(101, "second")], parents=parent)
    bronze.write("jira", "issue_changelogs", [history, later], parents=parent)
    return settings_for(tmp_path)


def test_issues_are_typed_with_epics_rolled_up(site):
    summary = build_silver(site)
    assert summary["stg_jira__issues"] == {"rows": 4, "changed": 4}
    rows = query(
        site,
        """select issue_key, issue_type, issue_category, hierarchy_level, is_subtask, parent_issue_key,
                  epic_issue_key, story_points, status_category, created_at, is_deleted
           from jira_issues order by issue_id""",
    )
    created = dt.datetime(2026, 10, 1, 7, 0, tzinfo=UTC)  # 09:00 at +0200
    assert rows == [
        ("ABC-1", "Epic", "epic", 1, False, None, None, None, "indeterminate", created, False),
        ("ABC-2", "Story", "story", 0, False, "ABC-1", "ABC-1", 3.0, "indeterminate", created, False),
        ("ABC-3", "Sub-task", "subtask", -1, True, "ABC-2", "ABC-1", None, "done", created, False),
        ("ABC-4", "Bug", "bug", 0, False, None, "ABC-1", 2.0, "indeterminate", created, False),
    ]
    assert query(site, "select labels, components, sprint_ids from jira_issues where issue_key = 'ABC-2'") == [
        ([], ["api"], [5, 6])
    ]
    views = {
        name: query(site, f"select list(issue_key order by issue_key) from {name}")[0][0]
        for name in ("jira_epics", "jira_stories", "jira_bugs", "jira_tasks")
    }
    assert views == {"jira_epics": ["ABC-1"], "jira_stories": ["ABC-2"], "jira_bugs": ["ABC-4"], "jira_tasks": None}


def test_release_membership_by_fix_version_then_label(site):
    build_silver(site)
    rows = query(
        site,
        """select issue_key, release_id, release_name, membership_source, matched_label
           from jira_issue_releases order by issue_key""",
    )
    assert rows == [
        ("ABC-1", 1, "1.0", "fix_version", None),
        ("ABC-2", 1, "1.0", "fix_version", None),
        ("ABC-3", 2, "2.0", "label", "release-2.0"),
        ("ABC-4", None, "9.9", "label", "release-9.9"),
    ]
    assert query(site, "select release_name, is_released, release_date, project_key from jira_releases order by 1") == [
        ("1.0", False, dt.date(2026, 12, 15), "ABC"),
        ("2.0", True, dt.date(2026, 12, 15), "ABC"),
    ]


def test_label_patterns_and_custom_fields_come_from_config(tmp_path, site):
    config = {
        "release_label_patterns": [r"^rel_(?<version>[0-9.]+)$", r"^(backend)$"],
        "custom_fields": {"story_points": ["customfield_10016"]},
    }
    settings = settings_for(tmp_path, jira_silver=config, warehouse="custom.duckdb")
    build_silver(settings)
    # only the team-managed field counts now; "backend" matches the second pattern (group 1)
    assert query(settings, "select issue_key, story_points from jira_issues where story_points is not null") == [
        ("ABC-4", 2.0)
    ]
    assert query(
        settings, "select issue_key, release_name from jira_issue_releases where membership_source = 'label'"
    ) == [("ABC-4", "backend")]


def test_sprints_comments_worklogs_and_field_history(site):
    build_silver(site)
    assert query(site, "select issue_key, sprint_id, sprint_name, sprint_state from jira_issue_sprints order by 2") == [
        ("ABC-2", 5, "Sprint 5", "active"),
        ("ABC-2", 6, "Sprint 6", "future"),
    ]
    # embedded and streamed comments are unioned and de-duplicated by id
    assert query(site, "select comment_id, issue_id, body from jira_comments order by 1") == [
        (100, 2, "first"),
        (101, 2, "second"),
    ]
    assert query(site, "select worklog_id, issue_id, time_spent_seconds from jira_worklogs") == [(300, 2, 5400)]
    history = query(
        site,
        """select field_id, from_string, to_string, valid_from, valid_to, is_current
           from jira_issue_field_history order by field_id, valid_from""",
    )
    day5, day7 = (dt.datetime(2026, 10, d, 10, 0, tzinfo=UTC) for d in (5, 7))
    assert history == [
        ("resolution", None, "Done", day7, None, True),
        ("status", "To Do", "In Progress", day5, day7, False),
        ("status", "In Progress", "Done", day7, None, True),
    ]


def test_server_sprint_strings_and_epic_link_objects(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    bronze.write("jira", "fields", jr.FIELDS)
    record = jr.issue(7, "SRV-7", epic_link="SRV-1")
    record["fields"][jr.SPRINT] = ["com.atlassian.greenhopper.service.sprint.Sprint@1f[id=41,rapidViewId=3,name=S 41]"]
    record["fields"][jr.EPIC_LINK] = {"key": "SRV-1", "id": 1}
    bronze.write("jira", "issues", [record])
    settings = settings_for(tmp_path)
    build_silver(settings)
    assert query(settings, "select sprint_ids, epic_issue_key from jira_issues") == [([41], "SRV-1")]


def test_real_jira_payloads_fit_the_shapes(tmp_path):
    """Issues captured from a real Cloud site (~110 custom fields, changelogs) load without error."""
    import orjson

    from tests.conftest import shared_path

    path = shared_path("fixtures", "jira", "devlake_cloud_agile_board8_issue_expand_changelog.items.json")
    issues = orjson.loads(path.read_bytes())
    bronze = Bronze(tmp_path / "bronze")
    bronze.write("jira", "issues", issues)
    settings = settings_for(tmp_path)
    build_silver(settings)
    items = sum(len(h["items"]) for issue in issues for h in issue["changelog"]["histories"])
    subtasks = sum(1 for issue in issues if issue["fields"]["issuetype"]["subtask"])
    assert query(settings, "select count(*), count(*) filter (is_subtask) from jira_issues") == [
        (len(issues), subtasks)
    ]
    assert query(settings, "select count(*) from jira_issue_field_changes") == [(items,)]
    assert query(settings, "select count(*) from jira_issues where is_subtask and parent_issue_key is null") == [(0,)]


def test_deleted_worklogs_are_flagged_and_links_oriented(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    bronze.write("jira", "issues", [jr.issue(1, "ABC-1", worklogs=[jr.worklog(30, 1), jr.worklog(31, 1)])])
    bronze.write(
        "jira", "worklog_deletions", [{"worklogId": 31, "updatedTime": 1_764_000_000_000, "properties": []}], ids=["31"]
    )
    blocks = {"id": "10", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"}
    bronze.write(
        "jira",
        "issue_links",
        [{"id": "700", "type": blocks, "outwardIssue": {"id": "2", "key": "ABC-2"}}],
        parents={"issue_id": "1", "issue_key": "ABC-1"},
    )
    bronze.write(
        "jira",
        "issue_links",
        [{"id": "700", "type": blocks, "inwardIssue": {"id": "1", "key": "ABC-1"}}],
        parents={"issue_id": "2", "issue_key": "ABC-2"},
    )
    settings = settings_for(tmp_path)
    build_silver(settings)
    assert query(settings, "select worklog_id, is_deleted from jira_worklogs order by 1") == [(30, False), (31, True)]
    assert query(settings, "select from_issue_key, outward_description, to_issue_key from jira_issue_links") == [
        ("ABC-1", "blocks", "ABC-2")
    ]


@pytest.mark.parametrize(
    "silver, message",
    [
        ({"custom_fields": {"Team": ["Team"]}}, "'Team' is not a valid column name .* e.g. 'team'"),
        ({"custom_fields": {"summary": ["Summary"]}}, "'summary' is already a column of jira_issues"),
        ({"custom_fields": {"order": ["Order"]}}, "'order' is an SQL keyword"),
        ({"custom_fields": {"comments": ["Comments"]}}, "'comments' is already a column of jira_issues"),
        ({"custom_fields": {"team": "Team"}}, "custom_fields.team: expected array"),
        ({"release_label_patterns": ["release-.*"]}, "needs a capturing group"),
        ({"release_label_patterns": ["^rel-(?=x)(.+)$"]}, "not RE2 syntax"),
    ],
)
def test_bad_silver_config_is_one_clear_error(tmp_path, silver, message):
    from pipelines.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        build_silver(settings_for(tmp_path, jira_silver=silver))
