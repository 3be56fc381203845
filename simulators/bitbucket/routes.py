"""HTTP routes of the Bitbucket Cloud 2.0 simulator (under `/2.0`, like api.bitbucket.org)."""

from __future__ import annotations

from urllib.parse import unquote

from simulators.bitbucket import payloads
from simulators.bitbucket.model import FINAL_STATES, PAGELEN_CAP, WORKSPACE, PullRequest, Repo
from simulators.bitbucket.query import error, filter_and_sort, page
from simulators.bitbucket.world import BitbucketWorld
from simulators.common import Request, Router

REPO = r"/2.0/repositories/(?P<ws>[^/]+)/(?P<slug>[^/]+)"
PR = REPO + r"/pullrequests/(?P<pr>\d+)"


def api_root(request: Request) -> str:
    """The simulator's own `/2.0` root, which links in payloads point at."""
    return f"{request.base_url}/2.0"


def build_router(world: BitbucketWorld) -> Router:
    """Every endpoint the pipelines use, plus single-object GETs for completeness."""
    router = Router()

    def repo_of(request: Request) -> Repo:
        groups = request.match.groupdict()
        if groups["ws"] != WORKSPACE:
            raise error(404, f"Workspace {groups['ws']} not found")
        repo = world.repo(unquote(groups["slug"]))
        if repo is None:
            raise error(404, f"Repository {groups['ws']}/{groups['slug']} not found")
        return repo

    def pr_of(request: Request) -> tuple[Repo, PullRequest]:
        repo = repo_of(request)
        number = int(request.match.group("pr"))
        if not 1 <= number <= len(repo.prs):
            raise error(404, f"Pull request {number} not found")
        return repo, repo.prs[number - 1]

    def revision(repo: Repo, name: str) -> str:
        name = unquote(name)
        if name in repo.branches:
            return repo.branches[name]
        matches = [h for h in repo.commits if h.startswith(name)] if len(name) >= 7 else []
        if len(matches) != 1:
            raise error(404, f"Commit not found: {name}")
        return matches[0]

    @router.route("GET", r"/2.0/user")
    def current_user(request: Request):
        return payloads.user(world, 0, api_root(request))

    @router.route("GET", r"/2.0/repositories/(?P<ws>[^/]+)")
    def list_repositories(request: Request):
        if request.match.group("ws") != WORKSPACE:
            raise error(404, f"Workspace {request.match.group('ws')} not found")
        api = api_root(request)
        rendered = filter_and_sort([payloads.repository(world, r, api) for r in world.repos], request)
        return page(rendered, request)

    @router.route("GET", REPO)
    def get_repository(request: Request):
        return payloads.repository(world, repo_of(request), api_root(request))

    @router.route("GET", REPO + r"/refs/branches")
    def list_branches(request: Request):
        repo, api = repo_of(request), api_root(request)
        rendered = [payloads.branch(world, repo, name, api) for name in sorted(repo.branches)]
        return page(filter_and_sort(rendered, request), request)

    @router.route("GET", REPO + r"/refs/branches/(?P<name>.+)")
    def get_branch(request: Request):
        repo = repo_of(request)
        name = unquote(request.match.group("name"))
        if name not in repo.branches:
            raise error(404, f"Branch not found: {name}")
        return payloads.branch(world, repo, name, api_root(request))

    def commit_log(request: Request, start: list[str]):
        repo, api = repo_of(request), api_root(request)
        include = [revision(repo, r) for r in start + request.args("include")]
        exclude = [revision(repo, r) for r in request.args("exclude")]
        return page(
            repo.log(include, exclude), request, render=lambda c: payloads.commit(world, repo, c, api), size=False
        )

    @router.route("GET", REPO + r"/commits")
    def list_commits(request: Request):
        return commit_log(request, [])

    @router.route("GET", REPO + r"/commits/(?P<rev>.+)")
    def list_commits_from(request: Request):
        return commit_log(request, [request.match.group("rev")])

    @router.route("GET", REPO + r"/commit/(?P<rev>[^/]+)")
    def get_commit(request: Request):
        repo = repo_of(request)
        return payloads.commit(world, repo, repo.commits[revision(repo, request.match.group("rev"))], api_root(request))

    @router.route("GET", REPO + r"/pullrequests")
    def list_pullrequests(request: Request):
        repo, api = repo_of(request), api_root(request)
        states = [s.upper() for s in request.args("state")] or ["OPEN"]  # the trap: OPEN only by default
        unknown = sorted(set(states) - set(FINAL_STATES))
        if unknown:
            raise error(400, f"Invalid state: {', '.join(unknown)}")
        chosen = sorted((p for p in repo.prs if p.state in states), key=lambda p: -p.id)
        rendered = filter_and_sort([payloads.pullrequest(world, repo, p, api) for p in chosen], request)
        return page(rendered, request, cap=PAGELEN_CAP["pullrequests"])

    @router.route("GET", PR)
    def get_pullrequest(request: Request):
        repo, pr = pr_of(request)
        return payloads.pullrequest(world, repo, pr, api_root(request), detail=True)

    @router.route("GET", PR + r"/activity")
    def list_activity(request: Request):
        repo, pr = pr_of(request)
        api = api_root(request)
        newest_first = sorted(pr.activities, key=lambda a: -a.date)
        return page(
            newest_first,
            request,
            cap=PAGELEN_CAP["activity"],
            render=lambda a: payloads.activity(world, repo, pr, a, api),
            size=False,
        )

    @router.route("GET", PR + r"/commits")
    def list_pr_commits(request: Request):
        repo, pr = pr_of(request)
        api = api_root(request)
        return page(
            [repo.commits[h] for h in pr.commits],
            request,
            render=lambda c: payloads.commit(world, repo, c, api),
            size=False,
        )

    @router.route("GET", PR + r"/comments")
    def list_pr_comments(request: Request):
        repo, pr = pr_of(request)
        api = api_root(request)
        comments = [a for a in pr.activities if a.kind == "comment"]
        rendered = filter_and_sort([payloads.comment(world, repo, pr, a, api) for a in comments], request)
        return page(rendered, request)

    return router
