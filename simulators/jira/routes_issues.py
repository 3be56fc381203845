"""Issue routes of the Jira simulator: search/jql, one issue and its comments/worklogs/changelog pages,
and the bulk endpoints (changelog/bulkfetch, worklog/updated|list|deleted).

Page caps as on Jira Cloud: search/jql 100 issues with fields (5000 for id-only), per-issue comment
and changelog pages 100, worklog pages 5000, bulkfetch 1000 issues and 10000 histories a page,
worklog/updated|deleted 1000 a page (and nothing from the minute before the request), worklog/list 1000.
"""

from __future__ import annotations

import base64
from collections import OrderedDict

from simulators.common import HttpError, Request, Router
from simulators.jira import jql
from simulators.jira.issue_payload import render_issue
from simulators.jira.render import IssueRenderer

API = "/rest/api/3"
SEARCH_CAP, ID_ONLY_CAP = 100, 5000
REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)


def renderer(world, request: Request) -> IssueRenderer:
    """The (cached) renderer for the base URL the client used."""
    cache = world.__dict__.setdefault("_renderers", {})
    if request.base_url not in cache:
        cache[request.base_url] = IssueRenderer(world, request.base_url)
    return cache[request.base_url]


def forbidden() -> HttpError:
    """The 403 a project without Browse permission answers."""
    return HttpError(
        403, {"errorMessages": ["You do not have the permission to see the specified project."], "errors": {}}
    )


def not_found_issue() -> HttpError:
    return HttpError(
        404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}
    )


def lookup(world, id_or_key: str):
    """The live, visible issue with this id or key, or None."""
    issue = world.issues.get(int(id_or_key)) if id_or_key.isdigit() else world.by_key.get(id_or_key.upper())
    if issue is None or issue.deleted or world.projects[issue.project].forbidden:
        return None
    return issue


def page_args(request: Request, default: int, cap: int) -> tuple[int, int]:
    """(startAt, effective maxResults): the server silently caps what the client asks for."""
    start, size = request.int_arg("startAt", 0), request.int_arg("maxResults", default)
    if start < 0 or size < 0:
        raise jql.bad("startAt and maxResults must not be negative.")
    return start, min(size or default, cap)


def token(*parts: int) -> str:
    return base64.urlsafe_b64encode(":".join(map(str, parts)).encode()).decode()


def untoken(text: str) -> list[int]:
    try:
        return [int(p) for p in base64.urlsafe_b64decode(text.encode()).decode().split(":")]
    except (ValueError, UnicodeDecodeError):
        raise jql.bad("The provided next page token is invalid or expired.") from None


def parse_fields(values: list[str]) -> tuple[str, set[str]]:
    """('id', ...) for id-only searches, ('all', excluded) or ('some', included)."""
    items = [x.strip() for v in values for x in v.split(",") if x.strip()]
    everything = any(x in ("*all", "*navigable") for x in items)
    plus = {x for x in items if x[0] not in "-*"}
    minus = {x[1:] for x in items if x.startswith("-")}
    if not everything and plus <= {"id", "key"}:
        return "id", set()
    return ("all", minus) if everything else ("some", plus - minus)


def matching(world, text: str) -> tuple[jql.Query, list]:
    """The parsed query and the live issues it matches (403 when it names a forbidden project)."""
    query = jql.Query(world, text)
    if any(world.projects[p].forbidden for p in query.projects):
        raise forbidden()
    scope = query.scope if query.scope is not None else range(len(world.projects))
    found = [world.issues[i] for p in sorted(scope) if not world.projects[p].forbidden for i in world.project_issues[p]]
    return query, [i for i in found if not i.deleted and query.matches(i)]


def approximate_count(world, request: Request) -> dict:
    """POST /rest/api/3/search/approximate-count: {"jql"} → {"count"} (exact here; Jira's may lag)."""
    body = request.json() or {}
    if not isinstance(body.get("jql"), str):
        raise jql.bad("The JQL query is required.")
    return {"count": len(matching(world, body["jql"])[1])}


def search(world, request: Request) -> dict:
    """GET/POST /rest/api/3/search/jql: nextPageToken paging over a snapshot taken by the first page."""
    body = request.json() if request.method == "POST" else {}
    get = (lambda k, d=None: body.get(k, d)) if request.method == "POST" else request.arg
    fields = body.get("fields", []) if request.method == "POST" else request.args("fields")
    mode, names = parse_fields(fields if isinstance(fields, list) else [fields])
    expand = set(str(get("expand", "") or "").replace(" ", "").split(","))
    size = int(get("maxResults", 50) or 50)
    size = min(size, ID_ONLY_CAP if mode == "id" else SEARCH_CAP)
    snapshots: OrderedDict = world.__dict__.setdefault("_snapshots", OrderedDict())
    if get("nextPageToken"):
        snap_id, offset = untoken(get("nextPageToken"))
        if snap_id not in snapshots:
            raise jql.bad("The provided next page token is invalid or expired.")
        ids = snapshots[snap_id]
    else:
        query, found = matching(world, str(get("jql", "") or ""))
        found.sort(key=query.sort_key())
        snap_id, offset = world.__dict__.get("_snap_seq", 0) + 1, 0
        world._snap_seq = snap_id
        snapshots[snap_id] = [i.id for i in found]
        while len(snapshots) > 64:
            snapshots.popitem(last=False)
        ids = snapshots[snap_id]
    chunk = [world.issues[i] for i in ids[offset : offset + size]]
    live = [i for i in chunk if not i.deleted]  # deleted while paging: the page comes back shorter
    if mode == "id":
        issues = [{"id": str(i.id), "key": i.key} for i in live]
    else:
        r = renderer(world, request)
        issues = [render_issue(r, i, names if mode == "some" else None, expand) for i in live]
        if mode == "all" and names:
            for issue in issues:
                for name in names:
                    issue["fields"].pop(name, None)
    out: dict = {"issues": issues}
    if offset + size < len(ids):
        out["nextPageToken"] = token(snap_id, offset + size)
    out["isLast"] = offset + size >= len(ids)
    return out


def register(router: Router, world) -> None:
    """Add the issue routes for `world` to `router`."""

    def removed(request: Request):
        raise HttpError(410, {"errorMessages": [REMOVED], "errors": {}})

    for method in ("GET", "POST"):
        router.add(method, r"/rest/api/(?:2|3|latest)/search", removed)
        router.add(method, API + r"/search/jql", lambda req: search(world, req))
    router.add("POST", API + r"/search/approximate-count", lambda req: approximate_count(world, req))

    @router.route("GET", API + r"/issue/(?P<issue>[^/]+)")
    def get_issue(request: Request):
        issue = lookup(world, request.match["issue"])
        if issue is None:
            raise not_found_issue()
        mode, names = parse_fields(request.args("fields") or ["*all"])
        expand = set((request.arg("expand") or "").split(","))
        return render_issue(renderer(world, request), issue, names if mode == "some" else None, expand)

    register_issue_pages(router, world)

    from simulators.jira.routes_bulk import register as register_bulk

    register_bulk(router, world)


def register_issue_pages(router: Router, world) -> None:
    """/issue/{id}/comment (100 a page), /worklog (5000 a page) and /changelog (100 a page)."""

    @router.route("GET", API + r"/issue/(?P<issue>[^/]+)/comment")
    def comments(request: Request):
        issue = lookup(world, request.match["issue"])
        if issue is None:
            raise not_found_issue()
        start, size = page_args(request, 100, 100)
        items = issue.comments[::-1] if request.arg("orderBy") == "-created" else issue.comments
        r = renderer(world, request)
        return {
            "startAt": start,
            "maxResults": size,
            "total": len(items),
            "comments": [r.comment(issue, c) for c in items[start : start + size]],
        }

    @router.route("GET", API + r"/issue/(?P<issue>[^/]+)/worklog")
    def worklogs(request: Request):
        issue = lookup(world, request.match["issue"])
        if issue is None:
            raise not_found_issue()
        start, size = page_args(request, 5000, 5000)
        after, before = request.int_arg("startedAfter", 0), request.int_arg("startedBefore", 2**62)
        items = [w for w in issue.worklogs if after <= w.started < before]
        r = renderer(world, request)
        return {
            "startAt": start,
            "maxResults": size,
            "total": len(items),
            "worklogs": [r.worklog(issue, w) for w in items[start : start + size]],
        }

    @router.route("GET", API + r"/issue/(?P<issue>[^/]+)/changelog")
    def changelog(request: Request):
        issue = lookup(world, request.match["issue"])
        if issue is None:
            raise not_found_issue()
        start, size = page_args(request, 100, 100)
        r, total = renderer(world, request), len(issue.histories)
        here = f"{r.api}/issue/{issue.key}/changelog"
        out = {
            "self": f"{here}?startAt={start}&maxResults={size}",
            "maxResults": size,
            "startAt": start,
            "total": total,
            "isLast": start + size >= total,
            "values": [r.history(h) for h in issue.histories[start : start + size]],
        }
        if not out["isLast"]:
            out["nextPage"] = f"{here}?startAt={start + size}&maxResults={size}"
        return out
