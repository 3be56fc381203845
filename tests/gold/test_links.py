"""Links: Jira keys in PR titles, descriptions, branches and commit messages; commits built by Jenkins builds."""

from __future__ import annotations

import pytest

from tests.gold.delivery_records import REPO, SHA, WEB_REPO
from tests.gold.support import built_world
from tests.silver.support import query


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return built_world(tmp_path_factory.mktemp("links"))


def test_keys_are_word_bounded_case_insensitive_known_projects_with_leading_zeros_dropped(world):
    rows = query(
        world,
        "select commit_hash, list_sort(list(distinct issue_key)) from int_delivery__issue_key_mentions "
        "where entity = 'commit' group by 1",
    )
    found = dict(rows)
    assert found[SHA["c3"]] == ["ABC-12"]  # `abc-12:` lowercase
    assert SHA["c4"] not in found  # ABC_12, XABC-12, ABC-12x, x_ABC-12, NOPE-1 (unknown project), ABC-0
    assert found[SHA["c6"]] == ["ABC-13", "ZED-5"]  # (ABC-13)., ABC-013, abc-13; ZED only in the projects stream
    assert found[SHA["m3"]] == ["ABC-3"]  # OLD-3: an alias of ABC (config/identity.yaml)


def test_issue_pull_requests_say_where_the_key_was_found(world):
    rows = query(
        world,
        "select issue_key, pull_request_id, found_in, merged_at::varchar from issue_pull_requests order by 1, 2",
    )
    assert rows == [
        ("ABC-1", 1, ["branch", "title"], "2026-11-03 10:00:00+00"),  # feature/abc-1-login: lowercase branch
        ("ABC-2", 1, ["description"], "2026-11-03 10:00:00+00"),  # XABC-3 in the same text is not a key
        ("ABC-3", 3, ["branch", "title"], "2026-11-09 12:00:00+00"),  # OLD-3 (alias), hotfix/ABC-003
    ]


def test_issue_commits_by_message_and_through_linked_pull_requests(world):
    rows = query(world, "select issue_key, commit_hash, via from issue_commits order by 1, 2")
    assert rows == [
        ("ABC-1", SHA["c1"], ["message", "pull_request"]),
        ("ABC-1", SHA["c2"], ["pull_request"]),
        ("ABC-1", SHA["m1"], ["message", "pull_request"]),  # the merge commit repeats the PR title
        ("ABC-12", SHA["c3"], ["message"]),
        ("ABC-13", SHA["c6"], ["message"]),
        ("ABC-2", SHA["c1"], ["pull_request"]),
        ("ABC-2", SHA["c2"], ["pull_request"]),
        ("ABC-2", SHA["m1"], ["pull_request"]),
        ("ABC-3", SHA["c5"], ["pull_request"]),
        ("ABC-3", SHA["m3"], ["message", "pull_request"]),
    ]


def test_commit_builds_match_the_repository_by_normalised_url_or_by_hash(world):
    rows = query(
        world,
        "select build_key, commit_hash, found_in from commit_builds where build_key like 'ci/%' "
        "and build_key != 'ci/web#1' order by 1, 2",
    )
    assert rows == [
        ("ci/api#1", SHA["c1"], ["change_set"]),  # git@bitbucket.org:acme/api.git = the repository's clone url
        ("ci/api#1", SHA["c2"], ["change_set"]),
        ("ci/api#1", SHA["m1"], ["change_set", "revision"]),
        ("ci/legacy#1", SHA["c3"], ["revision"]),  # no remote url recorded: the hash decides
    ]  # ci/mirror#1 built the same hash from github.com/acme/api-mirror: not this repository
    assert query(world, "select distinct repository_full_name from commit_builds order by 1") == [
        (REPO,),
        (WEB_REPO,),
    ]


def test_remote_urls_are_normalised_to_host_and_path(world):
    rows = dict(query(world, "select remote_url, normalized_url from int_delivery__git_remotes"))
    assert rows == {
        "https://ann@bitbucket.org/acme/api.git": "bitbucket.org/acme/api",  # user, .git
        "git@bitbucket.org:acme/api.git": "bitbucket.org/acme/api",  # scp-like ssh
        "https://bitbucket.org/acme/api": "bitbucket.org/acme/api",
        "https://github.com/acme/api-mirror.git": "github.com/acme/api-mirror",
        "ssh://git@git.corp:7999/PROJ/web.git": "git.corp/proj/web",  # port, case
        "https://ci@git.corp:8443/scm/proj/web.git": "git.corp/proj/web",  # Bitbucket Server's /scm/
    }
    # ci/web#1 names acme/web only through the repository's clone url (its path is proj/web)
    assert query(world, "select repository_full_name from commit_builds where build_key = 'ci/web#1'") == [(WEB_REPO,)]
