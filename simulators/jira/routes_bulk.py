"""Bulk routes of the Jira simulator: changelog/bulkfetch and worklog/updated|list|deleted."""

from __future__ import annotations

from simulators.common import Request, Router
from simulators.jira import jql
from simulators.jira.routes_issues import API, lookup, renderer, token, untoken

BULK_ISSUES, BULK_HISTORIES_DEFAULT, BULK_HISTORIES_CAP = 1000, 1000, 10000
WORKLOG_PAGE, WORKLOG_LIST_CAP = 1000, 1000
QUIET_MS = 60_000  # /worklog/updated and /worklog/deleted leave out the minute before the request


def worklog_index(world) -> tuple[list, dict]:
    """[(updated, worklog id)] sorted, and {worklog id: (issue, worklog)}, for visible worklogs."""
    cached = world.__dict__.get("_worklog_index")
    if cached and cached[0] == world.version:
        return cached[1], cached[2]
    by_id = {}
    for issue in world.issues.values():
        if issue.deleted or world.projects[issue.project].forbidden:
            continue
        for w in issue.worklogs:
            by_id[w.id] = (issue, w)
    ordered = sorted((w.updated, w.id) for _, w in by_id.values())
    world._worklog_index = (world.version, ordered, by_id)
    return ordered, by_id


def changed_page(world, request: Request, entries: list[tuple[int, int]], path: str) -> dict:
    """A ChangedWorklogs page over (time, id) entries, from `since`, 1000 a page; lastPage ends it."""
    since = request.int_arg("since", 0)
    visible = [e for e in entries if since <= e[0] <= world.now - QUIET_MS]
    page = visible[:WORKLOG_PAGE]
    until = page[-1][0] if page else since
    here = f"{request.base_url}{API}/{path}"
    out = {
        "values": [{"worklogId": i, "updatedTime": t, "properties": []} for t, i in page],
        "since": since,
        "until": until,
        "self": f"{here}?since={since}",
        "lastPage": len(visible) <= WORKLOG_PAGE,
        # inclusive: the boundary entry shows again. Present on the last page too, as in Atlassian's
        # documented example: a client must stop on `lastPage`, or it asks for the last entry forever.
        "nextPage": f"{here}?since={until}",
    }
    return out


def register(router: Router, world) -> None:
    """Add the bulk routes for `world` to `router`."""

    @router.route("POST", API + r"/changelog/bulkfetch")
    def bulkfetch(request: Request):
        body = request.json()
        wanted = body.get("issueIdsOrKeys") or []
        if not isinstance(wanted, list) or not 1 <= len(wanted) <= BULK_ISSUES:
            raise jql.bad(f"issueIdsOrKeys must contain between 1 and {BULK_ISSUES} issue IDs or keys.")
        size = int(body.get("maxResults") or BULK_HISTORIES_DEFAULT)
        if not 1 <= size <= BULK_HISTORIES_CAP:
            raise jql.bad(f"maxResults must be between 1 and {BULK_HISTORIES_CAP}.")
        field_ids = set(body.get("fieldIds") or [])
        issues = {i.id: i for i in (lookup(world, str(x)) for x in wanted) if i is not None}
        entries = sorted((h.created, issue.id, n) for issue in issues.values() for n, h in enumerate(issue.histories))
        offset = untoken(body["nextPageToken"])[0] if body.get("nextPageToken") else 0
        r, groups = renderer(world, request), {}
        for _, issue_id, n in entries[offset : offset + size]:
            history = r.history(issues[issue_id].histories[n])
            if field_ids:
                history["items"] = [i for i in history["items"] if i.get("fieldId") in field_ids]
                if not history["items"]:
                    continue
            groups.setdefault(issue_id, []).append(history)
        out: dict = {"issueChangeLogs": [{"issueId": str(i), "changeHistories": h} for i, h in groups.items()]}
        if offset + size < len(entries):
            out["nextPageToken"] = token(offset + size)
        return out

    @router.route("GET", API + r"/worklog/updated")
    def updated(request: Request):
        return changed_page(world, request, worklog_index(world)[0], "worklog/updated")

    @router.route("GET", API + r"/worklog/deleted")
    def deleted(request: Request):
        return changed_page(world, request, sorted((t, i) for i, t in world.deleted_worklogs), "worklog/deleted")

    @router.route("POST", API + r"/worklog/list")
    def listing(request: Request):
        ids = request.json().get("ids")
        if not isinstance(ids, list) or len(ids) > WORKLOG_LIST_CAP:
            raise jql.bad(f"ids must be a list of at most {WORKLOG_LIST_CAP} worklog IDs.")
        by_id, r = worklog_index(world)[1], renderer(world, request)
        return [r.worklog(*by_id[int(i)]) for i in ids if str(i).isdigit() and int(i) in by_id]
