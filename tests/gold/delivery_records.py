"""A small hand-made delivery world: Jira issues and incidents, Bitbucket PRs and commits, Jenkins builds.

The timeline (all UTC, weeks from Monday 2026-11-02) is what tests/gold/test_dora.py computes by hand:

  week 11-02  D1 deploy-prod#1 SUCCESS  (c1, c2, m1)    D2 #2 FAILURE (c3)    D3 #3 SUCCESS (nothing new)
              #4 ABORTED and #5 DRY_RUN=true: not deployments
  week 11-09  D6 #6 SUCCESS (c5, m3)  R1 deploy-prod-rollback#1 two hours later   D7 #7 SUCCESS
              incident OPS-1 two hours after D7, restored in 3 h
  week 11-16  H1 #8 SUCCESS from hotfix/ABC-3 (c7), six days after D7: outside the 24 h window
              deploy-staging#1 (not production); incidents OPS-3 (open) and OPS-2 (restored in 1 h), 2 and 4 days later
"""

from __future__ import annotations

import datetime as dt

from tests.silver import jira_records as jr
from tests.silver.bronze_files import Bronze

REPO = "acme/api"
WEB_REPO = "acme/web"  # on a Bitbucket Server: its clone url path is not its full name
INCIDENT_TYPE = {"id": "10005", "name": "Incident", "subtask": False, "hierarchyLevel": 0}
SHA = {name: (name * 40)[:40] for name in ("c1", "c2", "m1", "c3", "c4", "c5", "m3", "c6", "c7", "w1")}


def at(text: str) -> dt.datetime:
    """`11-03 12:00` → 2026-11-03T12:00Z."""
    return dt.datetime.fromisoformat(f"2026-{text.replace(' ', 'T')}:00+00:00")


def iso(text: str) -> str:
    return at(text).isoformat()


def ms(text: str) -> int:
    return int(at(text).timestamp() * 1000)


def issue(issue_id: int, key: str, kind: str = "Story", category: str = "indeterminate", **times) -> dict:
    """A Jira issue; incidents get the Incident type and `created`/`resolved` times (`11-10 12:00`)."""
    record = jr.issue(issue_id, key, kind="Story" if kind == "Incident" else kind, category=category)
    if kind == "Incident":
        record["fields"]["issuetype"] = INCIDENT_TYPE
    if "created" in times:
        record["fields"]["created"] = iso(times["created"])
    if "resolved" in times:
        record["fields"]["resolutiondate"] = iso(times["resolved"])
        record["fields"]["status"] = {"id": "10001", "name": "Done", "statusCategory": {"key": "done"}}
    return record


def user(account_id: str, email: str | None, kind: str = "atlassian") -> dict:
    return {"accountId": account_id, "displayName": account_id.title(), "emailAddress": email, "accountType": kind}


def author(uuid: str, account_id: str | None = None, nickname: str | None = None) -> dict:
    return {"uuid": uuid, "account_id": account_id, "display_name": uuid.strip("{}").title(), "nickname": nickname}


def pull_request(number: int, title: str, branch: str, state: str, **extra) -> dict:
    return {
        "id": number,
        "title": title,
        "description": extra.get("description"),
        "state": state,
        "author": extra.get("author") or author("{u-alice}", "acc-alice"),
        "source": {"branch": {"name": branch}, "commit": {"hash": SHA["c2"]}},
        "destination": {"branch": {"name": "main"}, "commit": {"hash": SHA["c1"]}, "repository": {"full_name": REPO}},
        "merge_commit": {"hash": extra["merge"]} if extra.get("merge") else None,
        "created_on": iso(extra.get("created", "11-02 10:00")),
        "updated_on": iso(extra.get("updated", "11-12 10:00")),
    }


def commit(sha: str, message: str, when: str, who: dict | None = None, raw: str = "Ann <ann@example.com>") -> dict:
    return {
        "hash": sha,
        "message": message,
        "date": iso(when),
        "author": {"raw": raw, "user": who or author("{u-alice}", "acc-alice")},
        "parents": [],
    }


def build(number: int, result: str | None, start: str, **scm) -> dict:
    """A Jenkins build: `revision`, `branch`, `remotes` (git BuildData), `changes`, `params`, `user`."""
    actions: list[dict] = []
    if scm.get("params"):
        actions.append({"parameters": [{"name": k, "value": v} for k, v in scm["params"].items()]})
    cause = {"shortDescription": "Started", "userId": scm.get("user"), "userName": scm.get("user")}
    actions.append({"causes": [cause]})
    if scm.get("revision"):
        branch = f"refs/remotes/origin/{scm.get('branch', 'main')}"
        actions.append(
            {
                "lastBuiltRevision": {"SHA1": scm["revision"], "branch": [{"name": branch}]},
                "remoteUrls": scm.get("remotes", []),
            }
        )
    return {
        "number": number,
        "result": result,
        "building": result is None,
        "timestamp": ms(start),
        "duration": scm.get("seconds", 300) * 1000,
        "actions": actions,
        "changeSet": {"items": [{"commitId": sha} for sha in scm.get("changes", [])]},
    }


def write_builds(bronze: Bronze, job: str, builds: list[dict]) -> None:
    bronze.write("jenkins", "builds", builds, parents={"job": job}, ids=[f"{job}#{b['number']}" for b in builds])


def write_jira(bronze: Bronze) -> None:
    """Projects ABC, OPS and ZED (no issues), issues, incidents and users."""
    projects = [{"id": str(10000 + n), "key": key, "name": key} for n, key in enumerate(("ABC", "OPS", "ZED"))]
    bronze.write("jira", "projects", projects)
    bronze.write(
        "jira",
        "issues",
        [
            issue(1, "ABC-1", category="done"),
            issue(2, "ABC-2"),
            issue(3, "ABC-3", kind="Bug", category="done"),
            issue(12, "ABC-12", kind="Task"),
            issue(13, "ABC-13", kind="Task"),
            issue(101, "OPS-1", kind="Incident", created="11-10 12:05", resolved="11-10 15:05"),
            issue(102, "OPS-2", kind="Incident", created="11-20 08:00", resolved="11-20 09:00"),
            issue(103, "OPS-3", kind="Incident", created="11-18 08:00"),
        ],
    )
    bronze.write(
        "jira",
        "users",
        [
            user("acc-alice", "alice@example.com"),
            user("acc-bob", "bob@corp.com"),
            user("acc-carol", None),
            user("acc-bot", None, "app"),
        ],
    )


def write_bitbucket(bronze: Bronze) -> None:
    """Repositories, four pull requests (with their commits) and the commits of main."""
    bronze.write(
        "bitbucket",
        "repositories",
        [
            {
                "full_name": REPO,
                "links": {
                    "clone": [
                        {"name": "https", "href": "https://ann@bitbucket.org/acme/api.git"},
                        {"name": "ssh", "href": "git@bitbucket.org:acme/api.git"},
                    ],
                    "html": {"href": "https://bitbucket.org/acme/api"},
                },
            },
            {
                "full_name": WEB_REPO,
                "links": {"clone": [{"name": "ssh", "href": "ssh://git@git.corp:7999/PROJ/web.git"}]},
            },
        ],
        ids=[REPO, WEB_REPO],
    )
    bob = author("{u-bob}", None, "bobby")
    carol = author("{u-carol}", None, "carol-bb")
    prs = [
        pull_request(
            1, "ABC-1 login", "feature/abc-1-login", "MERGED", merge=SHA["m1"], description="Also ABC-2, not XABC-3"
        ),
        pull_request(2, "Fix things", "bugfix/nothing", "OPEN", author=author("{u-dave}", None, "dave")),
        pull_request(3, "OLD-3 crash fix", "hotfix/ABC-003", "MERGED", merge=SHA["m3"], created="11-09 10:30"),
        pull_request(4, "ABC-999 and ZED-5", "feature/x", "DECLINED", author=carol),
    ]
    parent = {"repository": REPO}
    bronze.write("bitbucket", "pull_requests", prs, parents=parent, ids=[f"{REPO}#{p['id']}" for p in prs])
    for number, shas in ((1, ["c1", "c2"]), (3, ["c5"])):
        records = [COMMITS[s] for s in shas]
        bronze.write(
            "bitbucket",
            "pr_commits",
            records,
            parents={"repository": REPO, "pull_request_id": number},
            ids=[f"{REPO}#{r['hash']}" for r in records],
        )
    main = [COMMITS[s] for s in ("c1", "c2", "m1", "c3", "c4", "c5", "m3", "c6", "c7")]
    main[3]["author"] = {"raw": "Bob <BOB@corp.com>", "user": bob}
    bronze.write("bitbucket", "commits", main, parents=parent, ids=[f"{REPO}#{c['hash']}" for c in main])
    web = commit(SHA["w1"], "web work", "11-04 10:00")
    bronze.write("bitbucket", "commits", [web], parents={"repository": WEB_REPO}, ids=[f"{WEB_REPO}#{SHA['w1']}"])


COMMITS = {
    "c1": commit(SHA["c1"], "ABC-1 first cut", "11-02 09:00"),
    "c2": commit(SHA["c2"], "wip", "11-02 11:00"),
    "m1": commit(SHA["m1"], "Merged in feature/abc-1-login (pull request #1)\n\nABC-1 login", "11-03 10:00"),
    "c3": commit(SHA["c3"], "abc-12: tidy", "11-04 08:00"),
    "c4": commit(SHA["c4"], "ABC_12 no, XABC-12 no, ABC-12x no, x_ABC-12 no, NOPE-1 no, ABC-0 no", "11-04 09:00"),
    "c5": commit(SHA["c5"], "crash fix", "11-09 10:00"),
    "m3": commit(SHA["m3"], "Merged in hotfix/ABC-003 (pull request #3)\n\nOLD-3 crash fix", "11-09 12:00"),
    "c6": commit(SHA["c6"], "(ABC-13). ABC-013, abc-13 and ZED-5", "11-09 12:30"),
    "c7": commit(SHA["c7"], "null check", "11-16 08:00"),
}


def write_jenkins(bronze: Bronze) -> None:
    """CI builds (three ways of naming a repository) and the deployments of the timeline."""
    ssh, https = "git@bitbucket.org:acme/api.git", "https://bitbucket.org/acme/api"
    c = SHA
    write_builds(
        bronze,
        "ci/api",
        [
            build(
                1,
                "SUCCESS",
                "11-03 10:10",
                revision=c["m1"],
                remotes=[ssh],
                seconds=600,
                changes=[c["c1"], c["c2"], c["m1"]],
            )
        ],
    )
    write_builds(
        bronze,
        "ci/web",
        [build(1, "SUCCESS", "11-04 11:00", revision=c["w1"], remotes=["https://ci@git.corp:8443/scm/proj/web.git"])],
    )
    write_builds(
        bronze,
        "ci/mirror",
        [build(1, "SUCCESS", "11-03 10:10", revision=c["m1"], remotes=["https://github.com/acme/api-mirror.git"])],
    )
    write_builds(bronze, "ci/legacy", [build(1, "SUCCESS", "11-04 09:00", revision=c["c3"])])
    write_builds(
        bronze,
        "deploy-prod",
        [
            build(1, "SUCCESS", "11-03 12:00", revision=c["m1"], remotes=[https], changes=[c["c1"], c["c2"], c["m1"]]),
            build(2, "FAILURE", "11-05 12:00", revision=c["c3"], remotes=[https], changes=[c["c3"]]),
            build(3, "SUCCESS", "11-06 12:00", revision=c["c3"], remotes=[https]),
            build(4, "ABORTED", "11-07 10:00", revision=c["c3"], remotes=[https]),
            build(5, "SUCCESS", "11-07 11:00", revision=c["c3"], remotes=[https], params={"DRY_RUN": True}),
            build(6, "SUCCESS", "11-09 13:00", revision=c["m3"], remotes=[https], changes=[c["c5"], c["m3"]]),
            build(7, "SUCCESS", "11-10 10:00", revision=c["m3"], remotes=[https], params={"DRY_RUN": False}),
            build(
                8, "SUCCESS", "11-16 09:00", revision=c["c7"], remotes=[https], changes=[c["c7"]], branch="hotfix/ABC-3"
            ),
        ],
    )
    write_builds(
        bronze,
        "deploy-prod-rollback",
        [build(1, "SUCCESS", "11-09 15:05", revision=c["m1"], remotes=[https], user="carol")],
    )
    write_builds(
        bronze,
        "deploy-staging",
        [build(1, "SUCCESS", "11-16 08:00", revision=c["c7"], remotes=[https], user="jenkins-admin")],
    )


def write_world(bronze: Bronze) -> None:
    """Everything: Jira, Bitbucket and Jenkins."""
    write_jira(bronze)
    write_bitbucket(bronze)
    write_jenkins(bronze)
