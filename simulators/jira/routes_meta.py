"""Catalog routes of the Jira simulator: myself, projects, versions, fields, issue types, statuses,
priorities, user/bulk, and the Agile API's boards and sprints (pages capped at 50, `isLast`)."""

from __future__ import annotations

import datetime as dt

from simulators.common import HttpError, Request, Router
from simulators.jira import catalog
from simulators.jira.field_catalog import field_catalog
from simulators.jira.issue_payload import utc_z
from simulators.jira.routes_issues import API, forbidden, page_args, renderer

AGILE = "/rest/agile/1.0"
DEMO_USER = {"name": "Demo User", "email": "demo@example.com", "account": "5b10a2844c20165700ede21g"}
NO_SPRINTS = "The board does not support sprints"


def paged(items: list, start: int, size: int, here: str) -> dict:
    """A PageBean: self, nextPage (while more), maxResults, startAt, total, isLast, values."""
    last = start + size >= len(items)
    out = {
        "self": f"{here}startAt={start}&maxResults={size}",
        "maxResults": size,
        "startAt": start,
        "total": len(items),
        "isLast": last,
        "values": items[start : start + size],
    }
    if not last:
        out["nextPage"] = f"{here}startAt={start + size}&maxResults={size}"
    return out


def project_of(world, id_or_key: str):
    """The project with this id or key; 404 when unknown, 403 when forbidden."""
    for project in world.projects:
        if id_or_key in (str(project.id), project.key):
            if project.forbidden:
                raise forbidden()
            return project
    raise HttpError(404, {"errorMessages": [f"No project could be found with key '{id_or_key}'."], "errors": {}})


def version_payload(api: str, v) -> dict:
    """A Version as /project/{id}/versions returns it."""
    day = dt.datetime.fromtimestamp(v.release_ms / 1000, dt.UTC)
    start = dt.datetime.fromtimestamp(v.start_ms / 1000, dt.UTC)
    out = {
        "self": f"{api}/version/{v.id}",
        "id": str(v.id),
        "description": f"Release {v.name} 发布",
        "name": v.name,
        "archived": v.archived,
        "released": v.released,
        "startDate": start.strftime("%Y-%m-%d"),
        "releaseDate": day.strftime("%Y-%m-%d"),
        "userStartDate": start.strftime("%d/%b/%y"),
        "userReleaseDate": day.strftime("%d/%b/%y"),
        "projectId": 10000 + v.project,
    }
    if not v.released:
        out["overdue"] = False
    return out


def register(router: Router, world) -> None:
    """Add the catalog, project and Agile routes for `world` to `router`."""
    register_projects(router, world)
    register_catalogs(router, world)
    register_agile(router, world)


def register_projects(router: Router, world) -> None:
    """/project/search (paged), /project, and each project's versions (unpaged and paged)."""

    def project_payload(request: Request, project, expand: set[str]) -> dict:
        r = renderer(world, request)
        out = {
            "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
            **{k: v for k, v in r.projects[project.index].items() if k != "projectTypeKey"},
            "projectTypeKey": "software",
            "style": "classic",
            "isPrivate": False,
            "properties": {},
        }
        if project.index % 2:
            out["projectCategory"] = {
                "self": f"{r.api}/projectCategory/10000",
                "id": "10000",
                "name": "产品线 A",
                "description": "First Project Category",
            }
        if "description" in expand:
            out["description"] = f"{project.name} — tracked by the data platform"
        if "lead" in expand:
            lead = r.user(project.lead)
            out["lead"] = {k: lead[k] for k in ("self", "accountId", "avatarUrls", "displayName", "active")}
        if "issueTypes" in expand:
            out["issueTypes"] = r.issuetypes
        if "insight" in expand:
            issues = world.live_issues(project.index)
            out["insight"] = {
                "totalIssueCount": len(issues),
                "lastIssueUpdateTime": r.ts(max((i.updated for i in issues), default=world.now)),
            }
        return out

    @router.route("GET", API + r"/project/search")
    def project_search(request: Request):
        start, size = page_args(request, 50, 100)
        expand = set((request.arg("expand") or "").split(","))
        keys = set(request.args("keys"))
        chosen = [p for p in world.projects if not keys or p.key in keys]
        values = [project_payload(request, p, expand) for p in chosen[start : start + size]]
        page = paged(chosen, start, size, f"{request.base_url}{API}/project/search?")
        page["values"] = values
        return page

    @router.route("GET", API + r"/project")
    def project_list(request: Request):
        return [project_payload(request, p, set()) for p in world.projects]

    @router.route("GET", API + r"/project/(?P<project>[^/]+)/versions")
    def versions(request: Request):
        project = project_of(world, request.match["project"])
        api = renderer(world, request).api
        return [version_payload(api, v) for v in world.project_versions[project.index]]

    @router.route("GET", API + r"/project/(?P<project>[^/]+)/version")
    def versions_paged(request: Request):
        project = project_of(world, request.match["project"])
        start, size = page_args(request, 50, 50)
        api = renderer(world, request).api
        items = [version_payload(api, v) for v in world.project_versions[project.index]]
        return paged(items, start, size, f"{api}/project/{project.key}/version?")


def register_catalogs(router: Router, world) -> None:
    """/myself, /field, /issuetype, /status, /priority and /user/bulk."""

    @router.route("GET", API + r"/myself")
    def myself(request: Request):
        api = f"{request.base_url}{API}"
        return {
            "self": f"{api}/user?accountId={DEMO_USER['account']}",
            "accountId": DEMO_USER["account"],
            "accountType": "atlassian",
            "emailAddress": DEMO_USER["email"],
            "avatarUrls": {},
            "displayName": DEMO_USER["name"],
            "active": True,
            "timeZone": world.scale["user_timezone"],
            "locale": "en_US",
            "groups": {"size": 1, "items": []},
            "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles",
        }

    @router.route("GET", API + r"/field")
    def fields(request: Request):
        return field_catalog(world, renderer(world, request).api)

    @router.route("GET", API + r"/issuetype")
    def issue_types(request: Request):
        return renderer(world, request).issuetypes

    @router.route("GET", API + r"/status")
    def statuses(request: Request):
        return renderer(world, request).statuses

    @router.route("GET", API + r"/priority")
    def priorities(request: Request):
        r = renderer(world, request)
        return [
            {**r.priorities[n], "statusColor": p[2], "description": f"{p[1]} priority", "isDefault": n == 2}
            for n, p in enumerate(catalog.PRIORITIES)
        ]

    @router.route("GET", API + r"/user/bulk")
    def users(request: Request):
        wanted = request.args("accountId")
        if not wanted:
            raise HttpError(400, {"errorMessages": ["You must specify at least one accountId."], "errors": {}})
        start, size = page_args(request, 10, 100)
        index = {u.account_id: n for n, u in enumerate(world.users)}
        r = renderer(world, request)
        found = [r.user(index[a]) for a in wanted if a in index]
        full = [{**u, "locale": "en_US", "expand": "groups,applicationRoles"} for u in found]
        return paged(full, start, size, f"{r.api}/user/bulk?")


def register_agile(router: Router, world) -> None:
    """Boards and sprints of the Agile API (capped at 50 a page; kanban/simple boards have no sprints)."""

    def visible_boards():
        return [b for b in world.boards if not world.projects[b.project].forbidden]

    @router.route("GET", AGILE + r"/board")
    def boards(request: Request):
        start, size = page_args(request, 50, 50)
        base, chosen = request.base_url, visible_boards()
        values = []
        for b in chosen[start : start + size]:
            p = world.projects[b.project]
            values.append(
                {
                    "id": b.id,
                    "self": f"{base}{AGILE}/board/{b.id}",
                    "name": b.name,
                    "type": b.type,
                    "location": {
                        "projectId": p.id,
                        "displayName": f"{p.name} ({p.key})",
                        "projectName": p.name,
                        "projectKey": p.key,
                        "projectTypeKey": "software",
                        "name": f"{p.name} ({p.key})",
                        "avatarURI": f"/rest/api/2/universal_avatar/view/type/project/avatar/{p.id}",
                    },
                }
            )
        return {
            "maxResults": size,
            "startAt": start,
            "total": len(chosen),
            "isLast": start + size >= len(chosen),
            "values": values,
        }

    @router.route("GET", AGILE + r"/board/(?P<board>\d+)/sprint")
    def sprints(request: Request):
        board = next((b for b in visible_boards() if b.id == int(request.match["board"])), None)
        if board is None:
            raise HttpError(
                404, {"errorMessages": ["Board does not exist or you do not have permission to see it."], "errors": {}}
            )
        if not board.supports_sprints:
            raise HttpError(400, {"errorMessages": [NO_SPRINTS], "errors": {}})
        start, size = page_args(request, 50, 50)
        states = set((request.arg("state") or "").split(",")) - {""}
        chosen = [s for s in world.sprints.values() if s.board == board.id and (not states or s.state in states)]
        values = []
        for s in chosen[start : start + size]:
            item = {"id": s.id, "self": f"{request.base_url}{AGILE}/sprint/{s.id}", "state": s.state, "name": s.name}
            if s.state != "future":
                item.update(startDate=utc_z(s.start_ms), endDate=utc_z(s.end_ms))
            if s.complete_ms:
                item["completeDate"] = utc_z(s.complete_ms)
            item.update(createdDate=utc_z(s.start_ms - 86_400_000), originBoardId=board.id, goal=s.goal)
            values.append(item)
        return {
            "maxResults": size,
            "startAt": start,
            "total": len(chosen),
            "isLast": start + size >= len(chosen),
            "values": values,
        }
