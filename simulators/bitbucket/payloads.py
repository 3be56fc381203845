"""JSON shapes of Bitbucket Cloud 2.0 objects, as the real API returns them (see ../shared/fixtures).

`api` is the API root the links point at (the simulator's own `/2.0`, so `next` and `self` links
work); web links point at bitbucket.org as in real payloads.
"""

from __future__ import annotations

import time

from simulators.bitbucket.model import WORKSPACE, Activity, Commit, PullRequest, Repo
from simulators.bitbucket.world import BitbucketWorld
from simulators.common import iso_bitbucket

WEB = "https://bitbucket.org"
MERGE_STRATEGIES = ["merge_commit", "squash", "fast_forward"]


def href(url: str) -> dict:
    """A link object."""
    return {"href": url}


def user(world: BitbucketWorld, index: int, api: str) -> dict:
    """A user object (`type: user`)."""
    person = world.users[index]
    quoted = person["uuid"].replace("{", "%7B").replace("}", "%7D")
    return {
        "display_name": person["name"],
        "links": {
            "self": href(f"{api}/users/{quoted}"),
            "avatar": href(f"https://secure.gravatar.com/avatar/{person['nickname']}?d=identicon"),
            "html": href(f"{WEB}/{quoted}/"),
        },
        "type": "user",
        "uuid": person["uuid"],
        "account_id": person["account_id"],
        "nickname": person["nickname"],
    }


def repo_ref(repo: Repo, api: str) -> dict:
    """The short repository object embedded in commits, branches and PR endpoints."""
    return {
        "type": "repository",
        "full_name": repo.full_name,
        "links": {
            "self": href(f"{api}/repositories/{repo.full_name}"),
            "html": href(f"{WEB}/{repo.full_name}"),
            "avatar": href(f"https://bytebucket.org/ravatar/{repo.uuid}?ts={repo.language}"),
        },
        "name": repo.slug,
        "uuid": repo.uuid,
    }


def repository(world: BitbucketWorld, repo: Repo, api: str) -> dict:
    """A full repository object (`GET /repositories/{workspace}/{slug}`)."""
    base = f"{api}/repositories/{repo.full_name}"
    return {
        "type": "repository",
        "full_name": repo.full_name,
        "links": {
            "self": href(base),
            "html": href(f"{WEB}/{repo.full_name}"),
            "avatar": href(f"https://bytebucket.org/ravatar/{repo.uuid}?ts={repo.language}"),
            "pullrequests": href(f"{base}/pullrequests"),
            "commits": href(f"{base}/commits"),
            "forks": href(f"{base}/forks"),
            "watchers": href(f"{base}/watchers"),
            "branches": href(f"{base}/refs/branches"),
            "tags": href(f"{base}/refs/tags"),
            "downloads": href(f"{base}/downloads"),
            "source": href(f"{base}/src"),
            "clone": [
                {"name": "https", "href": f"https://bitbucket.org/{repo.full_name}.git"},
                {"name": "ssh", "href": f"git@bitbucket.org:{repo.full_name}.git"},
            ],
            "hooks": href(f"{base}/hooks"),
        },
        "name": repo.slug,
        "slug": repo.slug,
        "description": f"The {repo.slug} service",
        "scm": "git",
        "website": None,
        "owner": {
            "display_name": "Demo Workspace",
            "links": {},
            "type": "team",
            "uuid": "{demo-ws}",
            "username": WORKSPACE,
        },
        "workspace": {
            "type": "workspace",
            "uuid": "{demo-ws}",
            "name": "Demo Workspace",
            "slug": WORKSPACE,
            "links": {"self": href(f"{api}/workspaces/{WORKSPACE}"), "html": href(f"{WEB}/{WORKSPACE}/")},
        },
        "is_private": True,
        "project": {
            "type": "project",
            "key": "PLAT",
            "uuid": "{demo-project}",
            "name": "Platform",
            "links": {"self": href(f"{api}/workspaces/{WORKSPACE}/projects/PLAT")},
        },
        "fork_policy": "no_public_forks",
        "created_on": iso_bitbucket(repo.created),
        "updated_on": iso_bitbucket(repo.updated),
        "size": 1024 * len(repo.commits),
        "language": repo.language,
        "uuid": repo.uuid,
        "mainbranch": {"name": "main", "type": "branch"},
        "override_settings": {"default_merge_strategy": True, "branching_model": True},
        "parent": None,
        "enforced_signed_commits": None,
        "has_issues": False,
        "has_wiki": False,
    }


def commit_ref(repo: Repo, sha: str, api: str) -> dict:
    """A short commit object (`hash`, `links`, `type`)."""
    return {
        "hash": sha,
        "links": {
            "self": href(f"{api}/repositories/{repo.full_name}/commit/{sha}"),
            "html": href(f"{WEB}/{repo.full_name}/commits/{sha}"),
        },
        "type": "commit",
    }


def commit(world: BitbucketWorld, repo: Repo, item: Commit, api: str) -> dict:
    """A full commit object as listed by `/commits` and `/pullrequests/{id}/commits`."""
    person = world.users[item.author]
    base = f"{api}/repositories/{repo.full_name}"
    rendered = {"type": "rendered", "raw": item.message, "markup": "markdown", "html": f"<p>{item.message.strip()}</p>"}
    return {
        "type": "commit",
        "hash": item.hash,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(item.date)),
        "author": {
            "type": "author",
            "raw": f"{person['name']} <{person['nickname']}@example.com>",
            "user": user(world, item.author, api),
        },
        "message": item.message,
        "summary": rendered,
        "links": {
            "self": href(f"{base}/commit/{item.hash}"),
            "html": href(f"{WEB}/{repo.full_name}/commits/{item.hash}"),
            "diff": href(f"{base}/diff/{item.hash}"),
            "approve": href(f"{base}/commit/{item.hash}/approve"),
            "comments": href(f"{base}/commit/{item.hash}/comments"),
            "statuses": href(f"{base}/commit/{item.hash}/statuses"),
            "patch": href(f"{base}/patch/{item.hash}"),
        },
        "parents": [commit_ref(repo, parent, api) for parent in item.parents],
        "rendered": {"message": rendered},
        "repository": repo_ref(repo, api),
    }


def branch(world: BitbucketWorld, repo: Repo, name: str, api: str) -> dict:
    """A branch ref (`/refs/branches`), its target a full commit."""
    base = f"{api}/repositories/{repo.full_name}"
    target = commit(world, repo, repo.commits[repo.branches[name]], api)
    return {
        "name": name,
        "links": {
            "commits": href(f"{base}/commits/{name}"),
            "self": href(f"{base}/refs/branches/{name}"),
            "html": href(f"{WEB}/{repo.full_name}/branch/{name}"),
        },
        "default_merge_strategy": "merge_commit",
        "merge_strategies": MERGE_STRATEGIES,
        "type": "branch",
        "target": target,
    }


def pullrequest(world: BitbucketWorld, repo: Repo, pr: PullRequest, api: str, detail: bool = False) -> dict:
    """A PR as the list endpoint returns it; `detail` adds participants/reviewers (single-PR GET)."""
    base = f"{api}/repositories/{repo.full_name}/pullrequests/{pr.id}"
    body = {
        "comment_count": sum(1 for a in pr.activities if a.kind == "comment"),
        "task_count": 0,
        "type": "pullrequest",
        "id": pr.id,
        "title": pr.title,
        "description": pr.description,
        "state": pr.state,
        "draft": False,
        "merge_commit": commit_ref(repo, pr.merge_commit[:12], api) if pr.merge_commit else None,
        "close_source_branch": pr.close_source_branch,
        "closed_by": user(world, pr.closed_by, api) if pr.closed_by is not None else None,
        "author": user(world, pr.author, api),
        "reason": pr.reason,
        "created_on": iso_bitbucket(pr.created),
        "updated_on": iso_bitbucket(pr.updated),
        "destination": {
            "branch": {"name": pr.dest},
            "commit": commit_ref(repo, pr.dest_hash[:12], api),
            "repository": repo_ref(repo, api),
        },
        "source": {
            "branch": {"name": pr.source, "links": {}},
            "commit": commit_ref(repo, pr.source_hash[:12], api),
            "repository": repo_ref(repo, api),
        },
        "links": {
            name: href(f"{base}/{name}" if name != "self" else base)
            for name in (
                "self",
                "commits",
                "approve",
                "request-changes",
                "comments",
                "activity",
                "merge",
                "decline",
                "statuses",
                "diff",
                "diffstat",
            )
        }
        | {"html": href(f"{WEB}/{repo.full_name}/pull-requests/{pr.id}")},
        "summary": {
            "type": "rendered",
            "raw": pr.description,
            "markup": "markdown",
            "html": f"<p>{pr.description}</p>",
        },
    }
    if detail:
        voters = {a.user: a for a in pr.activities if a.kind in ("approval", "changes_requested")}
        body["participants"] = [
            {
                "type": "participant",
                "user": user(world, u, api),
                "role": "REVIEWER",
                "approved": a.kind == "approval",
                "state": "approved" if a.kind == "approval" else "changes_requested",
                "participated_on": iso_bitbucket(a.date),
            }
            for u, a in sorted(voters.items())
        ]
        body["reviewers"] = [user(world, u, api) for u in sorted(voters)]
    return body


def pr_ref(repo: Repo, pr: PullRequest, api: str) -> dict:
    """The short PR object embedded in comments and activity."""
    base = f"{api}/repositories/{repo.full_name}/pullrequests/{pr.id}"
    return {
        "type": "pullrequest",
        "id": pr.id,
        "title": pr.title,
        "links": {"self": href(base), "html": href(f"{WEB}/{repo.full_name}/pull-requests/{pr.id}")},
    }


def comment(world: BitbucketWorld, repo: Repo, pr: PullRequest, item: Activity, api: str) -> dict:
    """A `pullrequest_comment`."""
    base = f"{api}/repositories/{repo.full_name}/pullrequests/{pr.id}/comments/{item.comment_id}"
    return {
        "id": item.comment_id,
        "created_on": iso_bitbucket(item.date),
        "updated_on": iso_bitbucket(item.date + 0.000045),
        "content": {"type": "rendered", "raw": item.text, "markup": "markdown", "html": f"<p>{item.text}</p>"},
        "user": user(world, item.user, api),
        "deleted": False,
        "type": "pullrequest_comment",
        "links": {
            "self": href(base),
            "html": href(f"{WEB}/{repo.full_name}/pull-requests/{pr.id}/_/diff#comment-{item.comment_id}"),
        },
        "pullrequest": pr_ref(repo, pr, api),
    }


def activity(world: BitbucketWorld, repo: Repo, pr: PullRequest, item: Activity, api: str) -> dict:
    """One entry of `/pullrequests/{id}/activity`: update, comment, approval or changes_requested."""
    ref = pr_ref(repo, pr, api)
    if item.kind == "comment":
        return {"comment": comment(world, repo, pr, item, api), "pull_request": ref}
    if item.kind == "update":
        return {
            "update": {
                "state": item.state,
                "draft": False,
                "title": pr.title,
                "description": pr.description,
                "reason": pr.reason if item.state == "DECLINED" else "",
                "author": user(world, item.user, api),
                "date": iso_bitbucket(item.date),
                "destination": {
                    "branch": {"name": pr.dest},
                    "commit": commit_ref(repo, pr.dest_hash[:12], api),
                    "repository": repo_ref(repo, api),
                },
                "source": {
                    "branch": {"name": pr.source},
                    "commit": commit_ref(repo, pr.source_hash[:12], api),
                    "repository": repo_ref(repo, api),
                },
                "changes": {"status": {"new": item.state.lower()}} if item.state != "OPEN" else {},
            },
            "pull_request": ref,
        }
    return {
        item.kind: {"date": iso_bitbucket(item.date), "user": user(world, item.user, api), "pullrequest": ref},
        "pull_request": ref,
    }
