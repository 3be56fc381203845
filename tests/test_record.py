"""`make record`: a cassette of a full sync with no secret, account id or e-mail left, that still replays."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote

import pytest
import vcr

from pipelines.dlt.pipelines import run_source
from pipelines.dlt.record import MATCH_ON, record, serial
from pipelines.settings import load_settings
from tests.helpers import bronze_records

CANARY_TOKEN = "CANARY-rec-4b1d-do-not-leak"
CANARY_EMAIL = "canary.admin@canary-corp.test"


@pytest.fixture
def jira(start_sim):
    server = start_sim("jira", scale={"projects": 2, "issues": 25, "users": 6, "long_share": 0.2})
    server.auth.basic = [(CANARY_EMAIL, CANARY_TOKEN)]
    world = server.world
    world.users[0] = world.users[0]._replace(email=CANARY_EMAIL)  # the API user is also a person in the data
    return server


def test_no_canary_survives_and_the_cassette_replays(jira, tmp_path):
    env = {"JIRA_BASE_URL": jira.url, "JIRA_EMAIL": CANARY_EMAIL, "JIRA_API_TOKEN": CANARY_TOKEN}
    out = tmp_path / "cassettes" / "jira.yaml"
    done = record(load_settings(), "jira", out, env=env)
    assert done.run_status == "success" and done.interactions > 10
    assert done.accounts >= 6 and done.emails >= 1
    text = out.read_text(encoding="utf-8")

    basic = base64.b64encode(f"{CANARY_EMAIL}:{CANARY_TOKEN}".encode()).decode()
    canaries = {CANARY_TOKEN, basic, CANARY_EMAIL, quote(CANARY_EMAIL, safe=""), jira.url.split("//")[1]}
    canaries |= {u.account_id for u in jira.world.users} | {quote(u.account_id, safe="") for u in jira.world.users}
    canaries |= {u.email for u in jira.world.users if u.email}
    assert not [c for c in canaries if c in text]
    assert not re.search(r"(?i)^\s*(authorization|cookie|set-cookie):", text, re.M)
    leftover = {m for m in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text) if not m.endswith("@example.invalid")}
    assert not leftover
    assert "account-0001" in text and "jira.example.invalid" in text
    assert list(tmp_path.glob("**/raw.yaml")) == []

    # The scrubbed cassette replays through the source (the pseudonyms are consistent), with no network.
    replay = {**env, "JIRA_BASE_URL": "http://jira.example.invalid"}
    settings = serial(load_settings()).replace(bronze_dir=tmp_path / "replayed")
    with vcr.use_cassette(str(out), record_mode="none", match_on=MATCH_ON):
        result = run_source(settings, "jira", mode="full", env=replay)
    assert result.status == "success", result.error
    issues = bronze_records(settings.bronze_dir, "jira", "issues")
    assert len(issues) == 25
    assert all("account-" in str(i["payload"]["fields"]["reporter"]["accountId"]) for i in issues)


def test_project_applies_to_jira_only(tmp_path):
    with pytest.raises(Exception, match="PROJECT applies to jira only"):
        record(load_settings(), "jenkins", tmp_path / "x.yaml", project="ABC", env={})
