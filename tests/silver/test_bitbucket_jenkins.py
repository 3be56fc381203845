"""Bitbucket pull requests and commits, Jenkins builds: typed, de-duplicated, latest state wins."""

from __future__ import annotations

import datetime as dt
import logging

import duckdb
import orjson

from pipelines.silver import build_silver
from pipelines.silver.warehouse import relations
from tests.conftest import shared_path
from tests.silver import jira_records as jr
from tests.silver.bronze_files import Bronze
from tests.silver.support import query, settings_for

REPO = "acme/api"


def pull_request(number: int, state: str, updated: str, title: str = "ABC-1 faster widgets") -> dict:
    return {
        "id": number,
        "title": title,
        "state": state,
        "author": {"uuid": "{u1}", "account_id": "a1", "display_name": "Ann"},
        "source": {"branch": {"name": "feature/ABC-1"}, "commit": {"hash": "aaa111"}},
        "destination": {"branch": {"name": "main"}, "commit": {"hash": "bbb222"}, "repository": {"full_name": REPO}},
        "merge_commit": {"hash": "ccc333"} if state == "MERGED" else None,
        "comment_count": 2,
        "task_count": 0,
        "created_on": "2026-11-01T10:00:00.000000+00:00",
        "updated_on": updated,
    }


def commit(sha: str, message: str) -> dict:
    return {
        "hash": sha,
        "message": message,
        "date": "2026-11-01T09:00:00+00:00",
        "author": {"raw": "Ann <ann@example.com>", "user": {"uuid": "{u1}", "account_id": "a1"}},
        "parents": [{"hash": "0" * 40}],
        "repository": {"full_name": REPO},
    }


def build(number: int, result: str | None, building: bool) -> dict:
    return {
        "number": number,
        "result": result,
        "building": building,
        "timestamp": 1_700_000_000_000,
        "duration": 0 if building else 61_500,
        "actions": [
            {"causes": [{"shortDescription": "Started by user ann", "userId": "ann"}]},
            {},
            {"lastBuiltRevision": {"SHA1": "aaa111", "branch": [{"name": "refs/remotes/origin/main"}]}},
        ],
        "changeSets": [{"items": [{"commitId": "bbb"}, {"commitId": "aaa"}]}],
    }


def test_pull_requests_commits_and_builds(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    parent = {"repository": REPO}
    bronze.write(
        "bitbucket",
        "pull_requests",
        [pull_request(7, "OPEN", "2026-11-01T11:00:00+00:00")],
        parents=parent,
        ids=[f"{REPO}#7"],
    )
    bronze.write(
        "bitbucket",
        "pull_requests",
        [pull_request(7, "MERGED", "2026-11-02T11:00:00+00:00")],
        parents=parent,
        ids=[f"{REPO}#7"],
    )
    bronze.write("bitbucket", "commits", [commit("aaa111", "ABC-1 first")], parents=parent, ids=[f"{REPO}#aaa111"])
    bronze.write(
        "bitbucket",
        "pr_commits",
        [commit("aaa111", "ABC-1 first"), commit("ddd444", "ABC-2 second")],
        parents={"repository": REPO, "pull_request_id": 7},
        ids=[f"{REPO}#aaa111", f"{REPO}#ddd444"],
    )
    bronze.write("jenkins", "builds", [build(12, None, True)], parents={"job": "folder/api"}, ids=["folder/api#12"])
    bronze.write(
        "jenkins", "builds", [build(12, "SUCCESS", False)], parents={"job": "folder/api"}, ids=["folder/api#12"]
    )
    bronze.write("jira", "issues", [jr.issue(1, "ABC-1"), jr.issue(2, "ABC-2")])
    settings = settings_for(tmp_path)
    build_silver(settings)

    assert query(
        settings,
        "select pull_request_key, repository_full_name, pull_request_id, state, source_branch, merge_commit_hash, "
        "updated_at from bitbucket_pull_requests",
    ) == [(f"{REPO}#7", REPO, 7, "MERGED", "feature/ABC-1", "ccc333", dt.datetime(2026, 11, 2, 11, tzinfo=dt.UTC))]
    assert query(settings, "select commit_hash, message from bitbucket_commits order by 1") == [
        ("aaa111", "ABC-1 first"),
        ("ddd444", "ABC-2 second"),
    ]
    assert query(
        settings,
        "select job_full_name, build_number, result, is_building, duration_seconds, revision_hash, "
        "change_set_commit_hashes, causes, triggered_by_user_id from jenkins_builds",
    ) == [("folder/api", 12, "SUCCESS", False, 61.5, "aaa111", ["aaa", "bbb"], ["Started by user ann"], "ann")]


def test_links_between_issues_pull_requests_commits_and_builds(tmp_path):
    test_pull_requests_commits_and_builds(tmp_path)
    settings = settings_for(tmp_path)
    assert query(settings, "select issue_key, pull_request_key, found_in from issue_pull_requests") == [
        ("ABC-1", f"{REPO}#7", ["branch", "title"])
    ]
    assert query(settings, "select issue_key, commit_hash from issue_commits order by 1, 2") == [
        ("ABC-1", "aaa111"),
        ("ABC-1", "ddd444"),  # a commit of the linked pull request (tests/gold has every link rule)
        ("ABC-2", "ddd444"),
    ]
    # only commits Bitbucket knows: the change-set hashes aaa and bbb are not in bitbucket_commits
    assert query(settings, "select commit_hash, build_key, found_in from commit_builds order by 1") == [
        ("aaa111", "folder/api#12", ["revision"]),
    ]


def test_real_bitbucket_and_jenkins_payloads_fit_the_shapes(tmp_path):
    prs = orjson.loads(
        shared_path("fixtures", "bitbucket", "atlassian-python-api_pullrequests_list.body.json").read_bytes()
    )["values"]
    commits = orjson.loads(
        shared_path("fixtures", "bitbucket", "atlassian-python-api_pullrequest_1_commits.body.json").read_bytes()
    )["values"]
    builds = [
        orjson.loads(shared_path("fixtures", "jenkins", name).read_bytes())
        for name in (
            "jenkins-rest_build-info-git-commit.json",
            "conjur-authn-jenkins-spec_build_in_progress_result_null.body.json",
        )
    ]
    bronze = Bronze(tmp_path / "bronze")
    bronze.write("bitbucket", "pull_requests", prs, ids=[f"r#{pr['id']}" for pr in prs])
    bronze.write("bitbucket", "commits", commits, ids=[c["hash"] for c in commits])
    bronze.write("jenkins", "builds", builds, ids=[f"job#{b['number']}" for b in builds])
    settings = settings_for(tmp_path)
    build_silver(settings)
    assert query(settings, "select count(*) from bitbucket_pull_requests") == [(len(prs),)]
    assert query(settings, "select count(*) from bitbucket_commits") == [(len(commits),)]
    assert query(settings, "select build_number, result from jenkins_builds order by 1") == [
        (10, "SUCCESS"),
        (15, None),
    ]


def state_change(number: int, state: str, date: str) -> dict:
    """A pull request activity entry that moved it into `state` (as /pullrequests/{id}/activity lists it)."""
    return {
        "update": {"state": state, "date": date, "author": {"uuid": "{u2}"}, "title": "x", "source": {}},
        "pull_request": {"id": number, "title": "x"},
    }


def test_pull_requests_say_when_they_were_merged_or_closed(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    parent = {"repository": REPO}
    prs = [
        pull_request(1, "MERGED", "2026-11-05T10:00:00+00:00"),  # merged per its activity
        pull_request(2, "MERGED", "2026-11-05T10:00:00+00:00"),  # no activity read: its merge commit's date
        pull_request(3, "DECLINED", "2026-11-06T10:00:00+00:00"),  # declined twice (reopened): the last one
        pull_request(4, "SUPERSEDED", "2026-11-07T10:00:00+00:00"),  # nothing else known: its last update
        pull_request(5, "OPEN", "2026-11-07T10:00:00+00:00"),
    ]
    prs[1]["merge_commit"] = {"hash": "e" * 12}  # Bitbucket shortens it
    bronze.write("bitbucket", "pull_requests", prs, parents=parent, ids=[f"{REPO}#{pr['id']}" for pr in prs])
    activities = [
        (1, state_change(1, "MERGED", "2026-11-03T08:00:00.123456+00:00")),
        (3, state_change(3, "DECLINED", "2026-11-02T08:00:00+00:00")),
        (3, state_change(3, "DECLINED", "2026-11-04T08:00:00+00:00")),
        (5, {"comment": {"id": 9, "content": {"raw": "hi"}}, "pull_request": {"id": 5}}),
    ]
    bronze.write(
        "bitbucket",
        "pr_activities",
        [entry for _, entry in activities],
        parents=[{"repository": REPO, "pull_request_id": number} for number, _ in activities],
        ids=[f"{REPO}#{number}#{index}" for index, (number, _) in enumerate(activities)],
    )
    merge = commit("e" * 40, "Merged in feature/ABC-1 (pull request #2)") | {"date": "2026-11-04T12:00:00+00:00"}
    bronze.write("bitbucket", "commits", [merge], parents=parent, ids=[f"{REPO}#{'e' * 40}"])
    bronze.write("jira", "issues", [jr.issue(1, "ABC-1")])
    settings = settings_for(tmp_path)
    build_silver(settings)
    day = lambda d, h: dt.datetime(2026, 11, d, h, tzinfo=dt.UTC)  # noqa: E731
    assert query(settings, "select pull_request_id, merged_at, closed_at from bitbucket_pull_requests order by 1") == [
        (1, day(3, 8) + dt.timedelta(microseconds=123456), day(3, 8) + dt.timedelta(microseconds=123456)),
        (2, day(4, 12), day(4, 12)),
        (3, None, day(4, 8)),
        (4, None, day(7, 10)),
        (5, None, None),
    ]
    assert query(settings, "select pull_request_id, merged_at from issue_pull_requests order by 1")[:2] == [
        (1, day(3, 8) + dt.timedelta(microseconds=123456)),
        (2, day(4, 12)),
    ]


def test_a_model_that_became_a_view_replaces_the_table_an_older_build_left(tmp_path, caplog):
    settings = settings_for(tmp_path)
    build_silver(settings)
    with duckdb.connect(str(settings.warehouse)) as con:  # as the build before bitbucket_pull_requests was a view
        con.execute("drop view bitbucket_pull_requests")
        con.execute("create table bitbucket_pull_requests as select * from stg_bitbucket__pull_requests")
    with caplog.at_level(logging.INFO, logger="pipelines.silver"):
        build_silver(settings)
    assert "dropped bitbucket_pull_requests (a view now)" in caplog.text
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert relations(con)["bitbucket_pull_requests"] == "VIEW"
