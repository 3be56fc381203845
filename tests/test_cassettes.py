"""Real recorded responses (tests/cassettes/*_real.yaml) replayed through the real source code, no simulator.

Each cassette holds exactly the interactions a full run of the named streams makes; vcrpy refuses any
other request (`record_mode="none"`) and every interaction must be played. Bronze must then hold each
record of the responses, JSON-equal, with its envelope.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import vcr
import yaml

from pipelines.dlt.pipelines import run_source
from pipelines.dlt.record import MATCH_ON, serial
from pipelines.settings import Settings
from pipelines.timeutil import to_utc_iso
from tests.cassettes.build import BASE_VARS, FIXTURES, HERE, SCENARIOS, TRUNCATED_CHANGELOG_ISSUE, load
from tests.conftest import REPO
from tests.helpers import bronze_records, runs


def answers(source: str) -> list[tuple[str, str, object]]:
    """(method, uri, parsed JSON body) of every recorded response."""
    cassette = yaml.safe_load((HERE / f"{source}_real.yaml").read_text(encoding="utf-8"))
    return [
        (i["request"]["method"], i["request"]["uri"], json.loads(i["response"]["body"]["string"]))
        for i in cassette["interactions"]
    ]


def replay(source: str, tmp_path) -> Settings:
    base, streams, env = SCENARIOS[source]
    settings = serial(
        Settings(config_dir=REPO / "config", bronze_dir=tmp_path / "bronze", warehouse=tmp_path / "wh.duckdb")
    )
    with vcr.use_cassette(str(HERE / f"{source}_real.yaml"), record_mode="none", match_on=MATCH_ON) as cassette:
        result = run_source(settings, source, mode="full", streams=streams, env={**env, BASE_VARS[source]: base})
        assert cassette.all_played, "a recorded interaction was not requested"
    assert result.status == "success", result.error
    return settings


def check_envelopes(lines: list[dict], source: str, stream: str, run_id: str) -> None:
    for line in lines:
        assert (line["__source"], line["__stream"], line["__run_id"]) == (source, stream, run_id)
        assert line["__ingested_at_utc"].endswith("Z")


@pytest.fixture
def jira(tmp_path):
    settings = replay("jira", tmp_path)
    return settings.bronze_dir, runs(settings.bronze_dir, "jira")[0]["run_id"]


def test_jira_cloud_pages_with_110_custom_fields_truncated_changelog_and_bulk_worklogs(jira):
    bronze, run_id = jira
    got = answers("jira")
    searched = [i for _, uri, body in got if "/search/jql" in uri for i in body["issues"]]
    issues = bronze_records(bronze, "jira", "issues")
    check_envelopes(issues, "jira", "issues", run_id)
    assert [line["payload"] for line in issues] == searched and len(issues) == 31
    assert all(sum(k.startswith("customfield_") for k in i["payload"]["fields"]) == 110 for i in issues)
    assert [(line["__id"], line["__cursor"], line["__parent"]) for line in issues] == [
        (i["id"], to_utc_iso(i["fields"]["updated"]), None) for i in searched
    ]

    changelogs = bronze_records(bronze, "jira", "issue_changelogs")
    check_envelopes(changelogs, "jira", "issue_changelogs", run_id)
    bulk = next(body for _, uri, body in got if uri.endswith("/changelog/bulkfetch"))["issueChangeLogs"][0]
    long = [line for line in changelogs if line["__parent"]["issue_id"] == TRUNCATED_CHANGELOG_ISSUE]
    assert [line["payload"] for line in long] == bulk["changeHistories"] and len(long) == 79
    assert long[0]["__parent"] == {"issue_id": TRUNCATED_CHANGELOG_ISSUE, "issue_key": "EE-1491"}
    embedded = {
        h["id"]: h for i in searched if i["id"] != TRUNCATED_CHANGELOG_ISSUE for h in i["changelog"]["histories"]
    }
    assert {line["__id"]: line["payload"] for line in changelogs if line not in long} == embedded

    worklogs = bronze_records(bronze, "jira", "worklogs")
    listed = next(body for _, uri, body in got if uri.endswith("/worklog/list"))
    assert sorted((w["__id"], json.dumps(w["payload"])) for w in worklogs) == sorted(
        (w["id"], json.dumps(w)) for w in listed
    )
    assert all(w["__parent"]["issue_id"] == w["payload"]["issueId"] for w in worklogs)

    comments = bronze_records(bronze, "jira", "comments")
    assert [c["payload"] for c in comments] == [c for i in searched for c in i["fields"]["comment"]["comments"]]
    sprints = next(body for _, uri, body in got if uri.endswith("/board/8/sprint?startAt=0&maxResults=50"))
    assert [s["payload"] for s in bronze_records(bronze, "jira", "sprints")] == sprints["values"]
    projects = next(body for _, uri, body in got if "/project/search" in uri)["values"]
    assert [p["payload"] for p in bronze_records(bronze, "jira", "projects")] == projects


def test_bitbucket_pull_request_pages_follow_next(tmp_path):
    settings = replay("bitbucket", tmp_path)
    got = answers("bitbucket")
    pages = [body for _, uri, body in got if "/pullrequests" in uri]
    assert pages[0]["next"] == got[2][1]  # the second page was read from the first one's `next` link
    assert parse_qs(urlsplit(got[1][1]).query)["state"] == ["OPEN", "MERGED", "DECLINED", "SUPERSEDED"]
    prs = bronze_records(settings.bronze_dir, "bitbucket", "pull_requests")
    check_envelopes(prs, "bitbucket", "pull_requests", runs(settings.bronze_dir, "bitbucket")[0]["run_id"])
    assert [p["payload"] for p in prs] == [pr for page in pages for pr in page["values"]] and len(prs) == 57
    assert [(p["__id"], p["__cursor"]) for p in prs] == [
        (f"likyh/likyhphp#{p['payload']['id']}", to_utc_iso(p["payload"]["updated_on"])) for p in prs
    ]
    assert {p["__parent"]["repository"] for p in prs} == {"likyh/likyhphp"}
    repos = bronze_records(settings.bronze_dir, "bitbucket", "repositories")
    assert [r["payload"] for r in repos] == got[0][2]["values"]


def test_jenkins_tree_listings_and_all_builds_ranges(tmp_path):
    settings = replay("jenkins", tmp_path)
    got = answers("jenkins")
    assert all("tree=" in uri for _, uri, _ in got)
    builds = bronze_records(settings.bronze_dir, "jenkins", "builds")
    check_envelopes(builds, "jenkins", "builds", runs(settings.bronze_dir, "jenkins")[0]["run_id"])
    listed = {(uri, b["number"]): b for _, uri, body in got if "allBuilds" in body for b in body["allBuilds"]}
    assert sorted(json.dumps(b["payload"], sort_keys=True) for b in builds) == sorted(
        json.dumps(b, sort_keys=True) for b in listed.values()
    )
    assert len(builds) == 14
    ids = {b["__id"] for b in builds}
    assert {"devlake#31", "这是一个改了名字的测试任务#10005"} <= ids and any(
        i.startswith("dir-test/pipeline-test#") for i in ids
    )
    assert all(b["__id"] == f"{b['__parent']['job']}#{b['payload']['number']}" for b in builds)
    jobs = bronze_records(settings.bronze_dir, "jenkins", "jobs")
    assert {j["__id"] for j in jobs} == {
        "devlake",
        "dir-test",
        "dir-test/pipeline-test",
        "pipeline-test2",
        "这是一个改了名字的测试任务",
    }


def test_cassette_payloads_are_the_recorded_fixtures():
    """Provenance: the payloads in the cassettes are the real ones in ../shared/fixtures (skipped without it)."""
    if not FIXTURES.is_dir():
        pytest.skip(f"{FIXTURES} not available")
    board8 = load("jira", "devlake_cloud_agile_board8_issue_expand_changelog.items.json")
    issues = [i for _, uri, body in answers("jira") if "/search/jql" in uri for i in body["issues"]]
    kept = {i["id"]: i for i in issues if i["id"] != TRUNCATED_CHANGELOG_ISSUE}
    for real in board8:
        got = json.loads(json.dumps(kept.pop(real["id"])))
        got["fields"]["worklog"] = real["fields"]["worklog"]  # emptied blocks: see tests/cassettes/README.md
        assert got == real
    assert not kept
    pages = [load("bitbucket", f"devlake_pullrequests_state_all_page{n}.envelope-reconstructed.json") for n in (1, 2)]
    prs = [pr for _, uri, body in answers("bitbucket") if "/pullrequests" in uri for pr in body["values"]]
    assert prs == [pr for page in pages for pr in page["values"]]
    builds = [b for e in load("jenkins", "devlake_job_allBuilds_tree.items-by-request.json") for b in e["items"]]
    replayed = [b for _, _, body in answers("jenkins") for b in body.get("allBuilds", [])]
    assert sorted(map(json.dumps, replayed)) == sorted(map(json.dumps, builds))
