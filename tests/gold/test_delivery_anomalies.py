"""The traceability anomalies: each fires on its case of the delivery world, and only there."""

from __future__ import annotations

import pytest

from tests.gold.delivery_records import REPO, SHA
from tests.gold.support import built_world
from tests.silver.support import query

CASES = {
    "pull_request_without_issue_key": [f"{REPO}#2"],  # "Fix things" on bugfix/nothing, open
    "merged_pull_request_issue_not_done": [f"{REPO}#1"],  # ABC-2 (in its description) is in progress
    "deployment_without_issue": ["deploy-prod#8"],  # the hotfix ships c7 "null check": no key anywhere
    "unknown_issue_key": [f"{REPO}#4", f"{REPO}#4", f"{REPO}#{SHA['c6']}"],  # ABC-999, ZED-5; ZED-5
    "unmatched_identity": ["jenkins-admin", "{u-dave}"],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return built_world(tmp_path_factory.mktemp("anomalies"))


@pytest.mark.parametrize("anomaly_type", sorted(CASES))
def test_each_delivery_anomaly_fires_on_its_case(world, anomaly_type):
    rows = query(
        world, "select entity_key, severity, detail from anomalies where anomaly_type = ? order by all", [anomaly_type]
    )
    assert [key for key, _, _ in rows] == CASES[anomaly_type]
    assert all(severity in ("warning", "info") and detail for _, severity, detail in rows)


def test_unknown_key_details_name_the_key_and_where_it_was_found(world):
    details = [r[0] for r in query(world, "select detail from anomalies where anomaly_type = 'unknown_issue_key'")]
    assert f"ABC-999 in the title of pull request {REPO}#4 matches no Jira issue" in details
