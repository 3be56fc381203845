"""The Bitbucket simulator keeps the real API's shapes and traps, deterministically."""

from __future__ import annotations

import datetime as dt
import re
import time

import orjson
import pytest
import requests

from simulators.bitbucket import CREDENTIALS, WORKSPACE, create, payloads
from simulators.bitbucket.keys import WRONG_KEYS
from simulators.bitbucket.model import FINAL_STATES
from tests.conftest import shared_path

ALL_STATES = list(FINAL_STATES)


@pytest.fixture
def bitbucket(start_sim, sim_env):
    """A started simulator and a GET helper with app-password auth."""
    server = start_sim("bitbucket")
    env = sim_env("bitbucket", server)
    auth = (env["BITBUCKET_USERNAME"], env["BITBUCKET_APP_PASSWORD"])

    def get(path, auth=auth, **params):
        url = path if path.startswith("http") else f"{env['BITBUCKET_BASE_URL']}{path}"
        return requests.get(url, params=params, auth=auth, timeout=10)

    server.get = get
    return server


def pulls(path_repo: str = "web-app") -> str:
    return f"/repositories/{WORKSPACE}/{path_repo}/pullrequests"


def test_pull_request_list_is_open_only_unless_every_state_is_asked(bitbucket):
    repo = bitbucket.world.repo("web-app")
    default = bitbucket.get(pulls(), pagelen=50).json()
    assert {v["state"] for v in default["values"]} == {"OPEN"}
    assert default["size"] == sum(p.state == "OPEN" for p in repo.prs) < len(repo.prs)
    every = bitbucket.get(pulls(), pagelen=50, state=ALL_STATES).json()
    assert every["size"] == len(repo.prs) and {p.state for p in repo.prs} == set(FINAL_STATES)


def test_pagelen_is_capped_and_next_links_chain_through_every_page(bitbucket):
    repo = bitbucket.world.repo("web-app")
    body = bitbucket.get(pulls(), pagelen=100, state=ALL_STATES, sort="-updated_on").json()
    assert body["pagelen"] == 50 and body["next"].startswith("http://127.0.0.1")
    seen = [v["id"] for v in body["values"]]
    while "next" in body:
        body = bitbucket.get(body["next"]).json()
        seen += [v["id"] for v in body["values"]]
    assert sorted(seen) == [p.id for p in repo.prs]
    branches = bitbucket.get(f"/repositories/{WORKSPACE}/web-app/refs/branches", pagelen=500).json()
    assert branches["pagelen"] == 100


def test_fields_selection_drops_next_unless_it_is_selected(bitbucket):
    trimmed = bitbucket.get(pulls(), state=ALL_STATES, fields="values.id,values.title").json()
    assert "next" not in trimmed and set(trimmed) == {"values"} and set(trimmed["values"][0]) == {"id", "title"}
    kept = bitbucket.get(pulls(), state=ALL_STATES, fields="values.id,next").json()
    assert "next" in kept
    removed = bitbucket.get(pulls(), state=ALL_STATES, fields="-values.links").json()
    assert "links" not in removed["values"][0] and "next" in removed


def test_q_filters_on_updated_on_and_sort_orders(bitbucket):
    repo = bitbucket.world.repo("web-app")
    since = sorted(payloads.pullrequest(bitbucket.world, repo, p, "x")["updated_on"] for p in repo.prs)[-12]
    body = bitbucket.get(
        pulls(), state=ALL_STATES, q=f"updated_on >= {since[:19]}+00:00", sort="-updated_on", pagelen=50
    ).json()
    stamps = [v["updated_on"] for v in body["values"]]
    assert len(stamps) >= 12 and stamps == sorted(stamps, reverse=True) and min(stamps) >= since[:19]
    quoted = bitbucket.get(pulls(), state=ALL_STATES, q=f'updated_on >= "{since}" AND state = "MERGED"').json()
    assert all(v["state"] == "MERGED" and v["updated_on"] >= since for v in quoted["values"])
    bad = bitbucket.get(pulls(), q="updated_on >>> soon")
    assert bad.status_code == 400 and bad.json()["type"] == "error"


def test_commits_include_exclude_is_git_log_and_late_pushes_carry_old_dates(bitbucket):
    world = bitbucket.world
    repo = world.repo("web-app")
    before = dict(repo.branches)
    change = world.advance(1)["changes"][0]
    moved = sorted({h for h in repo.branches.values() if h not in set(before.values())})
    path = f"/repositories/{WORKSPACE}/web-app/commits"
    body = bitbucket.get(path, include=moved, exclude=sorted(set(before.values())), pagelen=100).json()
    assert {c["hash"] for c in body["values"]} == set(change["new_commits"])
    oldest = min(dt.datetime.fromisoformat(c["date"]).timestamp() for c in body["values"])
    assert oldest < world.now - 86400  # a late push: authored two days before it reached the branch
    assert bitbucket.get(path, include=["0" * 40]).status_code == 404
    everything = bitbucket.get(path, pagelen=100).json()
    assert "size" not in everything and everything["pagelen"] == 100 and "next" in everything


def test_the_same_seed_gives_the_same_world_and_advance():
    first, second = create(11).world, create(11).world
    api = "http://sim/2.0"
    render = [payloads.pullrequest(first, r, p, api) for r in first.repos for p in r.prs]
    assert render == [payloads.pullrequest(second, r, p, api) for r in second.repos for p in r.prs]
    assert first.advance(3) == second.advance(3) and first.min_calls() == second.min_calls()
    other = create(12).world
    assert [p.title for p in other.repos[0].prs] != [p.title for p in first.repos[0].prs]


def test_every_credential_kind_is_accepted_and_bad_ones_get_401(bitbucket):
    path = f"/repositories/{WORKSPACE}"
    assert bitbucket.get(path).status_code == 200
    assert bitbucket.get(path, auth=(CREDENTIALS["email"], CREDENTIALS["api_token"])).status_code == 200
    url = f"{bitbucket.url}/2.0{path}"
    bearer = requests.get(url, headers={"Authorization": f"Bearer {CREDENTIALS['access_token']}"}, timeout=10)
    assert bearer.status_code == 200
    denied = bitbucket.get(path, auth=(CREDENTIALS["username"], "wrong"))
    assert denied.status_code == 401 and denied.json()["error"]["message"]
    assert bitbucket.get("/repositories/other-ws").status_code == 404


def test_rate_limit_knob_answers_429_with_retry_after(start_sim, sim_env):
    server = start_sim("bitbucket", rate_limit_per_min=2, retry_after_s=7)
    env = sim_env("bitbucket", server)
    auth = (env["BITBUCKET_USERNAME"], env["BITBUCKET_APP_PASSWORD"])
    answers = [
        requests.get(f"{env['BITBUCKET_BASE_URL']}/repositories/{WORKSPACE}", auth=auth, timeout=10) for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429] and answers[2].headers["Retry-After"] == "7"
    # like Jira Cloud, every answer tells the limit and what is left; the reset is when the oldest call leaves
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert all(a.headers["X-RateLimit-Limit"] == "2" for a in answers)
    assert all(0 < int(a.headers["X-RateLimit-Reset"]) - time.time() <= 61 for a in answers[1:])


@pytest.mark.parametrize("seed", [7, 11])
def test_titles_branches_and_messages_carry_jira_keys_of_the_jira_world(seed):
    from simulators.jira.world import JiraWorld

    world, issues = create(seed).world, set(JiraWorld(seed).by_key)
    texts = [p.title for r in world.repos for p in r.prs] + [p.source for r in world.repos for p in r.prs]
    texts += [c.message for r in world.repos for c in r.commits.values()]
    found = [m.group(0) if m else None for m in (re.search(r"\b[A-Z][A-Z0-9]+-\d+", t) for t in texts)]
    wrong = [k for k in found if k in WRONG_KEYS]
    resolved = [k for k in found if k in issues]
    assert wrong and None in found and not set(wrong) & issues
    assert len(resolved) == len([k for k in found if k is not None]) - len(wrong) > len(texts) / 2


def _violations(schema_defs: dict, name: str, instance: dict) -> set[tuple[str, str]]:
    import jsonschema

    validator = jsonschema.Draft4Validator({"$ref": f"#/definitions/{name}", "definitions": schema_defs})
    return {
        (re.sub(r"\.\d+", ".N", ".".join(map(str, e.absolute_path))), e.validator)
        for e in validator.iter_errors(instance)
    }


def test_payloads_validate_against_the_swagger_as_far_as_real_payloads_do():
    """Validated against the 2019 spec's pullrequest/repository/commit definitions. Recorded real payloads
    break it too (fields added since 2019 under `additionalProperties: false`, nulls where Swagger 2.0
    cannot say nullable): every violation of the simulator must also be a violation of a real payload."""
    spec = orjson.loads(shared_path("specs", "bitbucket-cloud-2.0.swagger.json").read_bytes())
    fixtures = shared_path("fixtures", "bitbucket")
    defs = spec["definitions"]

    def load(name):
        return orjson.loads((fixtures / name).read_bytes())

    real_prs = (
        load("jenkins-bbsource_2.0-repositories-amuniz-test-repos-pullrequests_pagelen_50.json")["values"]
        + load("devlake_pullrequests_state_all_page1.envelope-reconstructed.json")["values"]
    )
    real_repos = [
        load("jenkins-bbsource_2.0-repositories-amuniz-test-repos.json"),
        load("devlake_repository_single.body.json"),
    ]
    real_commits = load(
        "jenkins-bbsource_2.0-repositories-amuniz-test-repos-commits_include_feature_2Fdiffstat_exclude_174561d.json"
    )["values"]
    allowed = {
        "pullrequest": set().union(*(_violations(defs, "pullrequest", p) for p in real_prs)),
        "repository": set().union(*(_violations(defs, "repository", r) for r in real_repos)),
        "commit": set().union(*(_violations(defs, "commit", c) for c in real_commits)),
    }
    world, api = create(7).world, "http://127.0.0.1:1/2.0"
    served = {
        "pullrequest": [
            payloads.pullrequest(world, r, p, api, detail=d) for r in world.repos for p in r.prs for d in (False, True)
        ],
        "repository": [payloads.repository(world, r, api) for r in world.repos],
        "commit": [payloads.commit(world, r, c, api) for r in world.repos for c in list(r.commits.values())[:40]],
    }
    for name, instances in served.items():
        extra = set().union(*(_violations(defs, name, i) for i in instances)) - allowed[name]
        assert not extra, f"{name}: simulator-only spec violations {sorted(extra)}"
