"""Each anomaly check fires on a crafted case and stays silent on a clean site."""

from __future__ import annotations

import pytest

from pipelines.silver import anomaly_summary, build_silver
from pipelines.silver.models import load_models
from tests.gold.test_delivery_anomalies import CASES as DELIVERY_CASES
from tests.silver import jira_records as jr
from tests.silver.bronze_files import Bronze
from tests.silver.support import query, settings_for

PROJECT = {"project_id": "10003", "project_key": "ABC"}


def clean_site(bronze: Bronze) -> None:
    """An epic, a story and a done bug in release 1.0, a sub-task, complete comments and worklogs."""
    bronze.write("jira", "fields", jr.FIELDS)
    bronze.write("jira", "versions", [jr.version(1, "1.0"), jr.version(2, "2.0")], parents=PROJECT)
    bronze.write(
        "jira",
        "issues",
        [
            jr.issue(1, "ABC-1", kind="Epic", fix_versions=[(1, "1.0"), (2, "2.0")]),
            jr.issue(2, "ABC-2", parent=(1, "ABC-1", "Epic"), fix_versions=[(1, "1.0")], comments=[jr.comment(20)]),
            jr.issue(3, "ABC-3", kind="Sub-task", parent=(2, "ABC-2", "Story"), worklogs=[jr.worklog(30, 3)]),
            jr.issue(4, "ABC-4", kind="Bug", category="done", epic_link="ABC-1", fix_versions=[(2, "2.0")]),
        ],
    )
    bronze.write("jira", "comments", [jr.comment(21)], parents={"issue_id": "2", "issue_key": "ABC-2"})


def release_without_its_epic(bronze: Bronze) -> None:
    """A story of epic ABC-1 in release 3.0, which the epic is not in."""
    bronze.write("jira", "versions", [jr.version(3, "3.0")], parents=PROJECT)
    bronze.write("jira", "issues", [jr.issue(13, "ABC-13", epic_link="ABC-1", fix_versions=[(3, "3.0")])])


CASES = {
    "issue_without_epic": ("ABC-10", lambda b: b.write("jira", "issues", [jr.issue(10, "ABC-10")])),
    "parent_not_found": (
        "ABC-11",
        lambda b: b.write("jira", "issues", [jr.issue(11, "ABC-11", kind="Sub-task", parent=(99, "ABC-99", "Story"))]),
    ),
    "epic_not_found": ("ABC-12", lambda b: b.write("jira", "issues", [jr.issue(12, "ABC-12", epic_link="ABC-404")])),
    "release_epic_mismatch": ("ABC-13", lambda b: release_without_its_epic(b)),
    "done_without_release": (
        "ABC-14",
        lambda b: b.write("jira", "issues", [jr.issue(14, "ABC-14", kind="Task", category="done", epic_link="ABC-1")]),
    ),
    "release_from_label": (
        "ABC-15",
        lambda b: b.write("jira", "issues", [jr.issue(15, "ABC-15", epic_link="ABC-1", labels=["release-1.0"])]),
    ),
    "unknown_release": (
        "ABC-16",
        lambda b: b.write("jira", "issues", [jr.issue(16, "ABC-16", epic_link="ABC-1", fix_versions=[(77, "7.7")])]),
    ),
    "orphan_comment": (
        "500",
        lambda b: b.write("jira", "comments", [jr.comment(500)], parents={"issue_id": "999", "issue_key": "ABC-999"}),
    ),
    "orphan_worklog": (
        "600",
        lambda b: b.write(
            "jira", "worklogs", [jr.worklog(600, 999)], parents={"issue_id": "999", "issue_key": "ABC-999"}
        ),
    ),
    "truncated_embedded_list": (
        "ABC-17",
        lambda b: b.write(
            "jira", "issues", [jr.issue(17, "ABC-17", epic_link="ABC-1", comments=[jr.comment(170)], comment_total=25)]
        ),
    ),
}


def anomalies(settings) -> list[tuple]:
    return query(settings, "select anomaly_type, entity_key from anomalies order by all")


def test_a_clean_site_has_no_anomalies(tmp_path):
    clean_site(Bronze(tmp_path / "bronze"))
    settings = settings_for(tmp_path)
    build_silver(settings)
    assert anomalies(settings) == []
    assert anomaly_summary(settings) == "no anomalies found"


@pytest.mark.parametrize("anomaly_type", sorted(CASES))
def test_each_anomaly_fires_on_its_case(tmp_path, anomaly_type):
    bronze = Bronze(tmp_path / "bronze")
    clean_site(bronze)
    entity_key, craft = CASES[anomaly_type]
    craft(bronze)
    settings = settings_for(tmp_path)
    build_silver(settings)
    found = anomalies(settings)
    assert (anomaly_type, entity_key) in found
    assert {key for kind, key in found if kind != anomaly_type} <= {entity_key}  # nothing else, the case aside
    summary = anomaly_summary(settings)
    assert anomaly_type in summary and entity_key in summary


def test_every_check_is_in_the_anomalies_union():
    checks = {model.name for model in load_models() if model.name.startswith("anomaly_")}
    union = next(model for model in load_models() if model.name == "anomalies")
    assert set(union.depends_on) == checks
    elsewhere = {"correction_conflict"}  # needs corrections.yaml: tests/workbench/test_corrections.py
    assert {f"anomaly_{kind}" for kind in [*CASES, *DELIVERY_CASES, *elsewhere]} == checks
