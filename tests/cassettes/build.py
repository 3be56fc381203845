"""Build the cassettes of real responses from ../shared/fixtures (run by hand; tests never need ../shared).

    .venv/bin/python -m tests.cassettes.build

For each source a loopback server answers the requests our real source code makes with the real
recorded payloads (envelopes rebuilt where the fixtures kept only the items: see README.md here),
while vcrpy records; the loopback address is then replaced by the real host the payloads came from.
So a cassette holds exactly the interactions `run_source` makes, and replaying it needs no network.
"""

from __future__ import annotations

import http.server
import json
import re
import tempfile
import threading
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import vcr
import yaml

from pipelines.dlt.pipelines import run_source
from pipelines.dlt.record import MATCH_ON, SECRET_HEADERS
from pipelines.settings import Settings
from pipelines.timeutil import parse_iso
from tests.conftest import REPO, SHARED

HERE = Path(__file__).resolve().parent
FIXTURES = next((p / "fixtures" for p in (SHARED, REPO.parents[1] / "shared") if p.is_dir()), SHARED / "fixtures")
# source: (real base URL, streams run, environment for the run)
SCENARIOS = {
    "jira": (
        "https://merico.atlassian.net",
        ("projects", "boards", "sprints", "issues", "issue_changelogs", "comments", "worklogs"),
        {"JIRA_EMAIL": "replay@example.invalid", "JIRA_API_TOKEN": "replay-token"},
    ),
    "bitbucket": (
        "https://api.bitbucket.org/2.0",
        ("repositories", "pull_requests"),
        {"BITBUCKET_WORKSPACE": "likyh", "BITBUCKET_USERNAME": "replay", "BITBUCKET_APP_PASSWORD": "replay-pw"},
    ),
    "jenkins": (
        "https://test.nddtf.com",
        ("jobs", "builds"),
        {"JENKINS_USERNAME": "replay", "JENKINS_TOKEN": "replay-token"},
    ),
}
BASE_VARS = {"jira": "JIRA_BASE_URL", "bitbucket": "BITBUCKET_BASE_URL", "jenkins": "JENKINS_BASE_URL"}
TRUNCATED_CHANGELOG_ISSUE = "13491"  # its 79 real histories: 40 embedded, the rest through bulkfetch
WORKLOG_ISSUES = ("10076", "10077", "10078", "10079", "10085")  # real /issue/{id}/worklog answers


def load(*parts: str):
    return json.loads(FIXTURES.joinpath(*parts).read_text(encoding="utf-8"))


class Jira:
    """Answers from merico.atlassian.net payloads (devlake's e2e raw tables)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.projects = load("jira", "devlake_cloud_v2_project.array-body.json")
        issues = load("jira", "devlake_cloud_agile_board8_issue_expand_changelog.items.json")
        histories = {
            x["_request_url"].split("/issue/")[1].split("/")[0]: x["values"]
            for x in load("jira", "devlake_cloud_v3_issue_changelog.values-by-request.json")
        }
        self.histories = histories[TRUNCATED_CHANGELOG_ISSUE]
        # The fixtures hold no issue payload of 13491: its fields are those of EE-37, its id/key/self its own.
        donor = next(i for i in issues if i["key"] == "EE-37")
        long = json.loads(json.dumps(donor))
        long.update(
            id=TRUNCATED_CHANGELOG_ISSUE, key="EE-1491", self=f"{base}/rest/api/2/issue/{TRUNCATED_CHANGELOG_ISSUE}"
        )
        newest = sorted(self.histories, key=lambda h: h["created"], reverse=True)[:40]
        long["changelog"] = {"startAt": 0, "maxResults": 40, "total": len(self.histories), "histories": newest}
        self.worklogs = {
            x["_request_url"].split("/issue/")[1].split("/")[0]: x["worklogs"]
            for x in load("jira", "devlake_cloud_v2_issue_worklog.worklogs-by-request.json")
        }
        for issue in issues:  # as Jira embeds a worklog block whose list it cut: total kept, entries left out
            if issue["id"] in WORKLOG_ISSUES:
                total = len(self.worklogs[issue["id"]])
                issue["fields"]["worklog"] = {"startAt": 0, "maxResults": 0, "total": total, "worklogs": []}
        self.issues = sorted([*issues, long], key=lambda i: i["fields"]["updated"])
        self.sprints = load("jira", "devlake_cloud_agile_board8_sprint.envelope-reconstructed.json")

    def answer(self, method: str, path: str, query: dict, body) -> object:
        api = "/rest/api/3"
        if path == f"{api}/project/search":
            return {
                "maxResults": 100,
                "startAt": 0,
                "total": len(self.projects),
                "isLast": True,
                "values": self.projects,
            }
        if path == "/rest/agile/1.0/board":
            board = {"id": 8, "self": f"{self.base}/rest/agile/1.0/board/8", "name": "EE board", "type": "scrum"}
            return {"maxResults": 50, "startAt": 0, "total": 1, "isLast": True, "values": [board]}
        if path == "/rest/agile/1.0/board/8/sprint":
            return {**self.sprints, "maxResults": 50, "isLast": True}
        if path == f"{api}/search/jql":
            key = re.search(r'project = "([^"]+)"', query["jql"][0]).group(1)
            issues = [i for i in self.issues if i["fields"]["project"]["key"] == key]
            if query.get("nextPageToken"):
                return {"issues": issues[15:], "isLast": True}
            more = {"nextPageToken": "CAEaAggD"} if len(issues) > 15 else {}
            return {"issues": issues[:15], **more, "isLast": not more}
        if path == f"{api}/changelog/bulkfetch":
            assert body["issueIdsOrKeys"] == [TRUNCATED_CHANGELOG_ISSUE], body
            return {"issueChangeLogs": [{"issueId": TRUNCATED_CHANGELOG_ISSUE, "changeHistories": self.histories}]}
        if path == f"{api}/worklog/updated":
            entries = sorted(
                (
                    {"worklogId": int(w["id"]), "updatedTime": epoch_ms(w["updated"])}
                    for i in WORKLOG_ISSUES
                    for w in self.worklogs[i]
                ),
                key=lambda e: e["updatedTime"],
            )
            until = entries[-1]["updatedTime"]
            return {
                "values": entries,
                "since": 0,
                "until": until,
                "self": f"{self.base}{path}?since=0",
                "lastPage": True,
            }
        if path == f"{api}/worklog/list":
            wanted = {str(i) for i in body["ids"]}
            return [w for i in WORKLOG_ISSUES for w in self.worklogs[i] if w["id"] in wanted]
        raise KeyError(f"{method} {path}")


class Bitbucket:
    """Answers from the likyh/likyhphp repository (devlake's e2e raw tables)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.repo = load("bitbucket", "devlake_repository_single.body.json")
        self.pages = [
            load("bitbucket", f"devlake_pullrequests_state_all_page{n}.envelope-reconstructed.json")["values"]
            for n in (1, 2)
        ]

    def answer(self, method: str, path: str, query: dict, body) -> object:
        if path == "/repositories/likyh":
            return {"pagelen": 100, "size": 1, "page": 1, "values": [self.repo]}
        if path == "/repositories/likyh/likyhphp/pullrequests":
            page = int(query.get("page", ["1"])[0])
            out = {"pagelen": 50, "size": sum(map(len, self.pages)), "page": page, "values": self.pages[page - 1]}
            if page == 1:
                states = "&".join(f"state={s}" for s in query["state"])
                out["next"] = f"{self.base}{path}?{states}&sort=-updated_on&pagelen=50&page=2"
            return out
        raise KeyError(f"{method} {path}")


class Jenkins:
    """Answers from test.nddtf.com (devlake's e2e raw tables): four jobs, one in a folder, one with a Chinese name."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.builds = {}
        for entry in load("jenkins", "devlake_job_allBuilds_tree.items-by-request.json"):
            path = "/" + entry["_request_url"].split("://", 1)[1].split("/", 1)[1].split("/api/json")[0]
            self.builds[path] = sorted(entry["items"], key=lambda b: b["number"], reverse=True)

    def job(self, path: str) -> dict:
        builds = self.builds[path]
        names = [part for part in path.split("/") if part and part != "job"]
        full = "/".join(unquote(n) for n in names)
        return {
            "_class": builds[0]["_class"].replace("Build", "Project").replace("WorkflowRun", "WorkflowJob"),
            "name": full.split("/")[-1],
            "fullName": full,
            "url": f"{self.base}{path}/",
            "color": "blue",
            "buildable": True,
            "firstBuild": {"number": builds[-1]["number"], "timestamp": builds[-1]["timestamp"]},
            "lastBuild": {"number": builds[0]["number"]},
            "lastCompletedBuild": {"number": builds[0]["number"]},
        }

    def answer(self, method: str, path: str, query: dict, body) -> object:
        if path == "/api/json":
            jobs = [self.job(p) for p in self.builds if p.count("/job/") == 1]
            folder = {
                "_class": "com.cloudbees.hudson.plugins.folder.Folder",
                "name": "dir-test",
                "fullName": "dir-test",
            }
            folder.update(
                url=f"{self.base}/job/dir-test/", jobs=[self.job(p) for p in self.builds if p.count("/job/") == 2]
            )
            return {"_class": "hudson.model.Hudson", "jobs": [*jobs, folder]}
        if path.endswith("/api/json") and path[: -len("/api/json")] in self.builds:
            low, high = map(int, re.search(r"\{(\d+),(\d+)\}$", query["tree"][0]).groups())
            builds = self.builds[path[: -len("/api/json")]]
            return {"_class": builds[0]["_class"].replace("Build", "Project"), "allBuilds": builds[low:high]}
        raise KeyError(f"{method} {path}")


def epoch_ms(value: str) -> int:
    return int(parse_iso(value).timestamp() * 1000)


def serve(world, prefix: str = "") -> http.server.ThreadingHTTPServer:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            try:
                status, answer = 200, world.answer(method, parts.path.removeprefix(prefix), parse_qs(parts.query), body)
            except KeyError as exc:
                status, answer = 404, {"errorMessages": [f"not in the fixtures: {exc}"]}
            data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def build(source: str, tmp: Path) -> Path:
    base, streams, env = SCENARIOS[source]
    path = urlsplit(base).path
    world = {"jira": Jira, "bitbucket": Bitbucket, "jenkins": Jenkins}[source](base)
    server = serve(world, path)
    local = f"http://127.0.0.1:{server.server_address[1]}"
    world.base = local + path
    env = {**env, BASE_VARS[source]: local + path}
    raw = tmp / f"{source}.raw.yaml"
    settings = Settings(config_dir=REPO / "config", bronze_dir=tmp / "bronze", warehouse=tmp / "wh.duckdb")
    recorder = vcr.VCR(record_mode="all", filter_headers=SECRET_HEADERS, decode_compressed_response=True)
    try:
        with recorder.use_cassette(str(raw), match_on=MATCH_ON):
            result = run_source(settings, source, mode="full", streams=streams, env=env)
    finally:
        server.shutdown()
    assert result.status == "success", result.error
    cassette = yaml.safe_load(raw.read_text(encoding="utf-8"))
    for interaction in cassette["interactions"]:
        interaction["response"]["headers"] = {"Content-Type": ["application/json;charset=UTF-8"]}
        interaction["request"]["headers"] = {}
    text = yaml.safe_dump(cassette, allow_unicode=True, sort_keys=False, width=1 << 20)
    out = HERE / f"{source}_real.yaml"
    out.write_text(text.replace(local + path, base).replace(local, base), encoding="utf-8")
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for source in SCENARIOS:
            out = build(source, Path(tmp))
            print(f"{out.relative_to(REPO)}: {out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
