"""One person across Jira, Bitbucket and Jenkins: identity.yaml first, then exact ids and e-mails, never guesses."""

from __future__ import annotations

import pytest

from pipelines.errors import ConfigError
from pipelines.silver import build_silver
from tests.gold.support import built_world, gold_settings
from tests.silver.support import query


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return built_world(tmp_path_factory.mktemp("identity"))


def test_accounts_are_matched_by_config_atlassian_id_or_email_and_the_rest_left_alone(world):
    rows = query(world, "select system, account_id, person_key, matched_by from identity order by 1, 2")
    assert rows == [
        ("bitbucket", "{u-alice}", "jira:acc-alice", "atlassian_account_id"),  # Bitbucket's account_id
        ("bitbucket", "{u-bob}", "jira:acc-bob", "email"),  # BOB@corp.com on his commit = his Jira e-mail
        ("bitbucket", "{u-carol}", "person:Carol", "config"),  # nickname carol-bb, listed in identity.yaml
        ("bitbucket", "{u-dave}", None, None),  # nothing to go by: not guessed
        ("jenkins", "carol", "person:Carol", "config"),
        ("jenkins", "jenkins-admin", None, None),
        ("jira", "acc-alice", "jira:acc-alice", "jira_account"),
        ("jira", "acc-bob", "jira:acc-bob", "jira_account"),
        ("jira", "acc-bot", None, None),  # an app account is nobody
        ("jira", "acc-carol", "person:Carol", "config"),
    ]


def test_an_email_shared_by_two_jira_accounts_matches_neither(tmp_path):
    from tests.gold.delivery_records import user
    from tests.silver.bronze_files import Bronze

    bronze = Bronze(tmp_path / "bronze")
    bronze.write("jira", "users", [user("acc-x", "dup@corp.com"), user("acc-y", "DUP@corp.com")])
    bronze.write(
        "bitbucket",
        "commits",
        [
            {
                "hash": "f" * 40,
                "message": "x",
                "date": "2026-11-01T00:00:00+00:00",
                "author": {"raw": "Dup <dup@corp.com>", "user": {"uuid": "{u-dup}"}},
            }
        ],
        parents={"repository": "acme/api"},
        ids=["acme/api#" + "f" * 40],
    )
    settings = gold_settings(tmp_path, identity={})
    build_silver(settings)
    assert query(settings, "select person_key from identity where system = 'bitbucket'") == [(None,)]


def test_one_account_listed_for_two_people_is_a_config_error(tmp_path):
    people = [{"name": "A", "jenkins_user_ids": ["x"]}, {"name": "B", "jenkins_user_ids": ["X"]}]
    with pytest.raises(ConfigError, match="listed for both 'A' and 'B'"):
        build_silver(gold_settings(tmp_path, identity={"people": people}))
