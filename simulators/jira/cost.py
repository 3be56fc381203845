"""How many API calls a full sync of the simulated world needs: the minimum, and a per-issue design.

`minimum_calls(world, page_sizes)` — a perfect client, given the page sizes it asks for (capped by the
server's own limits), doing a full sync of every accessible project with every stream enabled:

- projects: ceil(P / projects) pages of /project/search (at least 1);
- versions: 1 unpaged /project/{id}/versions per listed project (a forbidden project answers 403 here,
  once; the client then skips it for every later stream);
- fields, issue_types, statuses, priorities: 1 call each;
- boards: ceil(B / boards) pages; sprints: per board that is not kanban, max(1, ceil(S_b / sprints)) pages
  (a team-managed board without sprints costs its one 400 answer; kanban boards are skipped by type);
- issues: per accessible project, max(1, ceil(N_p / search)) search/jql pages — one search per project,
  because cursors, JQL filters and permission failures are per project;
- comments: the embedded block holds 20; per issue with more, ceil((n - 20) / comments) pages of
  /issue/{id}/comment from startAt=20 (Jira has no bulk comment listing);
- issue_changelogs: the embedded block holds the 40 most recent; the T issues with more, holding H
  histories in all, go to /changelog/bulkfetch: max(ceil(T / bulk_issues), ceil(H / bulk_histories));
- worklogs: the embedded block holds 20; the rest either per issue (ceil((n - 20) / worklogs) each) or in
  bulk (the /worklog/updated?since=0 pages over all W visible worklogs — each page after the first
  repeats its boundary entry — plus ceil(missing / worklog_list) /worklog/list calls): the cheaper one;
- worklog_deletions: the /worklog/deleted?since=0 pages (at least 1);
- users: ceil(U / users) /user/bulk calls for the U accounts referenced by issues (assignee, reporter,
  creator, user pickers, comment/worklog/changelog/attachment authors);
- issue_census: per accessible project, max(1, ceil(N_p / census)) id-only search/jql pages.

`per_issue_calls(world, ...)` — the usual connector design for comparison: the same catalog calls, then
one /comment, /worklog and /changelog call per issue (paged), one /user call per account, every board
asked for sprints.
"""

from __future__ import annotations

from math import ceil

from simulators.jira.render import EMBEDDED_COMMENTS, EMBEDDED_HISTORIES, EMBEDDED_WORKLOGS
from simulators.jira.routes_bulk import QUIET_MS

PAGE_SIZES = {
    "projects": 100,
    "boards": 50,
    "sprints": 50,
    "search": 100,
    "census": 5000,
    "comments": 100,
    "worklogs": 5000,
    "bulk_issues": 1000,
    "bulk_histories": 10000,
    "worklog_ids": 1000,
    "worklog_list": 1000,
    "users": 100,
    "deleted_worklogs": 1000,
}
SERVER_CAPS = dict(PAGE_SIZES)


def changed_pages(count: int, size: int) -> int:
    """Pages of /worklog/updated|deleted for `count` entries (the boundary entry shows on both pages)."""
    return 1 if count <= size else 1 + ceil((count - size) / (size - 1))


def _sizes(page_sizes: dict | None) -> dict:
    sizes = {**PAGE_SIZES, **(page_sizes or {})}
    return {k: max(1, min(v, SERVER_CAPS[k])) for k, v in sizes.items()}


def referenced_users(world, issue) -> set[int]:
    """User indexes an issue references (what the `users` stream must fetch)."""
    refs = {issue.reporter, issue.creator, issue.assignee}
    if issue.seed % 2:
        refs.add(issue.reviewer)
    elif issue.seed % 7 == 0:
        refs.add(issue.assignee)
    refs.update(issue.approvers)
    refs.update(c.author for c in issue.comments)
    refs.update(w.author for w in issue.worklogs)
    refs.update(h.author for h in issue.histories)
    refs.update(a.author for a in issue.attachments)
    refs.discard(None)
    return refs


def catalog_calls(world, sizes: dict, every_board: bool = False) -> dict:
    """Calls for the streams that do not depend on issues."""
    boards = [b for b in world.boards if not world.projects[b.project].forbidden]
    sprints = 0
    for board in boards:
        if board.type == "kanban" and not every_board:
            continue
        count = sum(1 for s in world.sprints.values() if s.board == board.id)
        sprints += max(1, ceil(count / sizes["sprints"]))
    return {
        "projects": max(1, ceil(len(world.projects) / sizes["projects"])),
        "versions": len(world.projects),
        "fields": 1,
        "issue_types": 1,
        "statuses": 1,
        "priorities": 1,
        "boards": max(1, ceil(len(boards) / sizes["boards"])),
        "sprints": sprints,
    }


def minimum_calls(world, page_sizes: dict | None = None) -> dict:
    """Per-stream minimum calls of a full sync of the current world, plus "total" (see module doc)."""
    sizes = _sizes(page_sizes)
    out = catalog_calls(world, sizes)
    projects = [p for p in world.projects if not p.forbidden]
    live = {p.index: world.live_issues(p.index) for p in projects}
    out["issues"] = sum(max(1, ceil(len(v) / sizes["search"])) for v in live.values())
    out["issue_census"] = sum(max(1, ceil(len(v) / sizes["census"])) for v in live.values())
    issues = [i for v in live.values() for i in v]
    out["comments"] = sum(
        ceil((len(i.comments) - EMBEDDED_COMMENTS) / sizes["comments"])
        for i in issues
        if len(i.comments) > EMBEDDED_COMMENTS
    )
    long_changelogs = [len(i.histories) for i in issues if len(i.histories) > EMBEDDED_HISTORIES]
    out["issue_changelogs"] = max(
        ceil(len(long_changelogs) / sizes["bulk_issues"]), ceil(sum(long_changelogs) / sizes["bulk_histories"])
    )
    out["worklogs"] = worklog_calls(world, issues, sizes)
    deleted = [d for d in world.deleted_worklogs if d[1] <= world.now - QUIET_MS]
    out["worklog_deletions"] = changed_pages(len(deleted), sizes["deleted_worklogs"])
    users = set().union(*(referenced_users(world, i) for i in issues)) if issues else set()
    out["users"] = ceil(len(users) / sizes["users"])
    out["total"] = sum(out.values())
    return out


def worklog_calls(world, issues: list, sizes: dict) -> int:
    """The cheaper of per-issue paging and /worklog/updated + /worklog/list for truncated worklog blocks."""
    missing = [len(i.worklogs) - EMBEDDED_WORKLOGS for i in issues if len(i.worklogs) > EMBEDDED_WORKLOGS]
    if not missing:
        return 0
    per_issue = sum(ceil(m / sizes["worklogs"]) for m in missing)
    visible = sum(1 for i in issues for w in i.worklogs if w.updated <= world.now - QUIET_MS)
    bulk = changed_pages(visible, sizes["worklog_ids"]) + ceil(sum(missing) / sizes["worklog_list"])
    return min(per_issue, bulk)


def per_issue_calls(world, page_sizes: dict | None = None) -> dict:
    """Calls of a connector that asks per issue for comments, worklogs and changelog, per account for users."""
    sizes = _sizes(page_sizes)
    out = catalog_calls(world, sizes, every_board=True)
    projects = [p for p in world.projects if not p.forbidden]
    live = {p.index: world.live_issues(p.index) for p in projects}
    issues = [i for v in live.values() for i in v]
    out["issues"] = sum(max(1, ceil(len(v) / sizes["search"])) for v in live.values())
    out["comments"] = sum(max(1, ceil(len(i.comments) / sizes["comments"])) for i in issues)
    out["worklogs"] = sum(max(1, ceil(len(i.worklogs) / sizes["worklogs"])) for i in issues)
    out["issue_changelogs"] = sum(max(1, ceil(len(i.histories) / 100)) for i in issues)
    out["users"] = len(set().union(*(referenced_users(world, i) for i in issues))) if issues else 0
    out["issue_census"] = sum(max(1, ceil(len(v) / sizes["census"])) for v in live.values())
    out["total"] = sum(out.values())
    return out
