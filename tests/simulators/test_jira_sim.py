"""The Jira simulator: determinism, speed, Jira Cloud's traps, advance(), and payloads valid per the specs."""

from __future__ import annotations

import copy
import datetime as dt
import time
from zoneinfo import ZoneInfo

import jsonschema
import orjson
import pytest
import requests

from simulators.jira import CREDENTIALS, JiraWorld, env_for
from simulators.jira.cost import minimum_calls, per_issue_calls
from tests.conftest import shared_path

AUTH = (CREDENTIALS["email"], CREDENTIALS["token"])


def get(server, path: str, **params) -> requests.Response:
    return requests.get(server.url + path, params=params, auth=AUTH, timeout=30)


def search(server, jql: str, **params) -> dict:
    response = get(server, "/rest/api/3/search/jql", jql=jql, **params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def jira(start_sim):
    return start_sim("jira", seed=7, scale={"issues": 400})


def test_world_is_deterministic_and_fast():
    one, two = JiraWorld(11, {"issues": 500}), JiraWorld(11, {"issues": 500})
    assert [(i.key, i.updated, len(i.comments), len(i.histories)) for i in one.issues.values()] == [
        (i.key, i.updated, len(i.comments), len(i.histories)) for i in two.issues.values()
    ]
    assert one.advance(3) == two.advance(3)
    assert JiraWorld(12, {"issues": 500}).issues[10001].updated != one.issues[10001].updated
    started = time.perf_counter()
    big = JiraWorld(7, {"issues": 10_000})
    assert time.perf_counter() - started < 8  # a few seconds on 2 busy cores
    assert len(big.issues) == 10_000


def test_payloads_look_like_jira_cloud(jira):
    issue = search(jira, "project = DPL ORDER BY updated DESC", fields="*all", expand="changelog")["issues"][0]
    fields = issue["fields"]
    assert sum(1 for k in fields if k.startswith("customfield_")) == 110
    assert fields["description"] is None or fields["description"]["type"] == "doc"
    assert issue["self"].startswith(jira.url) and fields["project"]["self"].startswith(jira.url)
    assert fields["updated"][-5:] in ("-0700", "-0800")  # the API user's zone (America/Los_Angeles)
    names = {f["id"]: f["name"] for f in get(jira, "/rest/api/3/field").json()}
    assert names["customfield_10020"] == "Sprint" and names["customfield_10016"] == "Story point estimate"
    text = orjson.dumps(search(jira, "project = DPL", fields="*all", maxResults=100)).decode()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text) and "🚀" in text


def test_search_caps_pages_and_refuses_what_jira_refuses(jira):
    assert get(jira, "/rest/api/3/search", jql="project = DPL").status_code == 410
    assert requests.post(jira.url + "/rest/api/3/search", json={}, auth=AUTH, timeout=10).status_code == 410
    full = search(jira, "project in (DPL, WEB, OPS, MOB)", fields="*all", maxResults=1000)
    assert len(full["issues"]) == 100 and full["nextPageToken"] and full["isLast"] is False
    ids = search(jira, "project in (DPL, WEB, OPS, MOB)", fields="id", maxResults=10_000)
    assert len(ids["issues"]) == len(jira.world.live_issues()) and ids["isLast"] is True
    assert set(ids["issues"][0]) == {"id", "key"}
    unbounded = get(jira, "/rest/api/3/search/jql", jql="ORDER BY updated")
    assert unbounded.status_code == 400 and "Unbounded" in unbounded.text
    assert get(jira, "/rest/api/3/search/jql", jql="projekt = DPL").status_code == 400


def test_next_page_token_walks_a_consistent_snapshot(jira):
    seen, token = [], None
    while True:
        params = {"fields": "updated", "maxResults": 50, **({"nextPageToken": token} if token else {})}
        page = search(jira, "project = DPL ORDER BY updated ASC", **params)
        seen += page["issues"]
        if page["isLast"]:
            break
        token = page["nextPageToken"]
    assert len(seen) == len(jira.world.live_issues(0))
    stamps = [dt.datetime.strptime(i["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.%f%z") for i in seen]
    assert stamps == sorted(stamps)


def test_zone_less_dates_are_read_in_the_users_zone(jira):
    world = jira.world
    cut = sorted(i.updated for i in world.live_issues(0))[len(world.live_issues(0)) // 2]
    exact = search(jira, f"project = DPL AND updated >= {cut}", fields="id", maxResults=5000)["issues"]
    utc_text = dt.datetime.fromtimestamp(cut / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")
    naive = search(jira, f'project = DPL AND updated >= "{utc_text}"', fields="id", maxResults=5000)["issues"]
    assert len(naive) < len(exact)  # UTC wall time read as Los Angeles time: updates are missed
    local = dt.datetime.fromtimestamp(cut / 1000, ZoneInfo("America/Los_Angeles")).strftime("%Y-%m-%d %H:%M")
    assert len(search(jira, f'project = DPL AND updated >= "{local}"', fields="id", maxResults=5000)["issues"]) >= len(
        exact
    )


def test_embedded_blocks_are_truncated_with_honest_totals(jira):
    world = jira.world
    long_comments = next(i for i in world.issues.values() if len(i.comments) == 150)
    long_histories = next(i for i in world.issues.values() if len(i.histories) == 250)
    for issue, block, listing, cap in ((long_comments, "comment", "comments", 20), (long_histories, None, None, 40)):
        found = search(jira, f"key = {issue.key}", fields="*all", expand="changelog")["issues"][0]
        embedded = found["fields"][block] if block else found["changelog"]
        entries = embedded[listing] if listing else embedded["histories"]
        assert len(entries) == cap and embedded["total"] == (150 if block else 250)
    histories = search(jira, f"key = {long_histories.key}", fields="id", expand="changelog")
    assert "changelog" not in histories["issues"][0]  # id-only answers carry no expands
    page = get(jira, f"/rest/api/3/issue/{long_comments.id}/comment", startAt=20, maxResults=5000).json()
    assert page["maxResults"] == 100 and len(page["comments"]) == 100 and page["total"] == 150


def test_bulk_endpoints(jira):
    world = jira.world
    long_issue = next(i for i in world.issues.values() if len(i.histories) == 250)
    body = {"issueIdsOrKeys": [str(long_issue.id), "DPL-1"], "maxResults": 100}
    first = requests.post(jira.url + "/rest/api/3/changelog/bulkfetch", json=body, auth=AUTH, timeout=10).json()
    assert first["nextPageToken"] and sum(len(e["changeHistories"]) for e in first["issueChangeLogs"]) == 100
    too_many = {"issueIdsOrKeys": [str(n) for n in range(1001)]}
    assert requests.post(jira.url + "/rest/api/3/changelog/bulkfetch", json=too_many, auth=AUTH).status_code == 400
    updated = get(jira, "/rest/api/3/worklog/updated", since=0).json()
    assert len(updated["values"]) == 1000 and updated["lastPage"] is False and "nextPage" in updated
    ids = [v["worklogId"] for v in updated["values"][:5]]
    listed = requests.post(jira.url + "/rest/api/3/worklog/list", json={"ids": ids}, auth=AUTH, timeout=10).json()
    assert [int(w["id"]) for w in listed] == ids
    users = get(jira, "/rest/api/3/user/bulk", accountId=[u.account_id for u in world.users[:15]]).json()
    assert len(users["values"]) == 10 and users["isLast"] is False  # maxResults defaults to 10


def test_boards_sprints_and_permissions(start_sim):
    server = start_sim("jira", scale={"issues": 60, "forbidden_projects": 1, "sprints_per_board": 60})
    boards = get(server, "/rest/agile/1.0/board", maxResults=500).json()
    assert boards["maxResults"] == 50 and {b["type"] for b in boards["values"]} == {"scrum", "kanban", "simple"}
    for board in boards["values"]:
        answer = get(server, f"/rest/agile/1.0/board/{board['id']}/sprint", maxResults=100)
        if board["type"] == "scrum":
            assert len(answer.json()["values"]) == 50 and answer.json()["isLast"] is False
        else:
            assert answer.status_code == 400 and "does not support sprints" in answer.text
    secret = server.world.projects[-1]
    assert get(server, f"/rest/api/3/project/{secret.id}/versions").status_code == 403
    assert get(server, "/rest/api/3/search/jql", jql=f"project = {secret.key}").status_code == 403
    assert requests.get(server.url + "/rest/api/3/myself", auth=("x", "y"), timeout=10).status_code == 401
    server.set_knobs(suspended=True)
    answer = get(server, "/rest/api/3/myself")
    assert answer.status_code == 503 and "suspended" in answer.text


def test_advance_updates_adds_and_deletes(jira):
    world = jira.world
    before = {i.id: (i.updated, len(i.histories)) for i in world.issues.values()}
    clock = world.now
    summary = world.advance(12)
    assert world.now > clock and summary["updated"] and summary["created"] and summary["deleted"]
    for key in set(summary["updated"]) - set(summary["created"]):
        issue = world.by_key[key]
        assert issue.updated > before[issue.id][0] and len(issue.histories) > before[issue.id][1]
    for key in summary["deleted"]:
        issue = world.by_key[key]
        assert get(jira, f"/rest/api/3/issue/{issue.id}").status_code == 404
        census = search(jira, f"project = {key.split('-')[0]}", fields="id", maxResults=5000)["issues"]
        assert issue.key not in {i["key"] for i in census}
    recent = get(jira, "/rest/api/3/worklog/updated", since=world.now - 60_000).json()
    assert recent["values"] == []  # nothing from the minute before the request


def test_minimum_calls_is_far_below_one_call_per_issue():
    world = JiraWorld(7, {"issues": 2000})
    floor, naive = minimum_calls(world), per_issue_calls(world)
    assert floor["total"] == sum(v for k, v in floor.items() if k != "total")
    assert naive["total"] > 10 * floor["total"]


def _nullable(node):
    """Jira's spec omits `nullable` where the API (and the spec's own examples) return null: allow it."""
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable(v) for k, v in node.items()}
    if isinstance(out.get("properties"), dict):
        for prop in out["properties"].values():
            if isinstance(prop, dict) and isinstance(prop.get("type"), str):
                prop["type"] = [prop["type"], "null"]
    return out


def _validator(spec: dict, schema: dict) -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator({**_nullable(copy.deepcopy(schema)), "components": _nullable(spec["components"])})


def test_payloads_validate_against_the_openapi_specs(jira):
    platform = orjson.loads(shared_path("specs", "jira-cloud-platform.swagger-v3.v3.json").read_bytes())
    agile = orjson.loads(shared_path("specs", "jira-software-agile.swagger.v3.json").read_bytes())
    issue = jira.world.by_key["DPL-1"]
    checks = [
        ("SearchAndReconcileResults", search(jira, "project = DPL", fields="*all", expand="changelog,transitions")),
        ("PageBeanProject", get(jira, "/rest/api/3/project/search", expand="description,lead,insight").json()),
        ("PageOfComments", get(jira, f"/rest/api/3/issue/{issue.id}/comment").json()),
        ("PageOfWorklogs", get(jira, f"/rest/api/3/issue/{issue.id}/worklog").json()),
        ("PageBeanChangelog", get(jira, f"/rest/api/3/issue/{issue.id}/changelog").json()),
        ("PageBeanUser", get(jira, "/rest/api/3/user/bulk", accountId=jira.world.users[0].account_id).json()),
    ]
    for name, body in checks:
        validator = _validator(platform, {"$ref": f"#/components/schemas/{name}"})
        assert not [e.message for e in validator.iter_errors(body)], name
    bogus = copy.deepcopy(checks[0][1])
    bogus["issues"][0]["surprise"] = 1
    assert list(_validator(platform, {"$ref": "#/components/schemas/SearchAndReconcileResults"}).iter_errors(bogus))
    board_page = agile["paths"]["/rest/agile/1.0/board"]["get"]["responses"]["200"]["content"]["application/json"]
    boards = get(jira, "/rest/agile/1.0/board").json()
    assert not list(_validator(agile, board_page["schema"]).iter_errors(boards))
    sprints = get(jira, f"/rest/agile/1.0/board/{boards['values'][0]['id']}/sprint").json()
    sprint_schema = _validator(agile, {"$ref": "#/components/schemas/SprintBean"})
    assert sprints["values"] and not [e.message for s in sprints["values"] for e in sprint_schema.iter_errors(s)]


def test_env_points_at_the_server(jira):
    env = env_for(jira)
    assert env["JIRA_BASE_URL"] == jira.url
    me = requests.get(jira.url + "/rest/api/3/myself", auth=(env["JIRA_EMAIL"], env["JIRA_API_TOKEN"]), timeout=10)
    assert me.json()["displayName"] == "Demo User"
