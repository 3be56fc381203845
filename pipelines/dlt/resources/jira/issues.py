"""The issue pass: one search/jql per project (`ORDER BY updated ASC`, bounded by unquoted epoch
milliseconds), yielding issues and, from the same payloads, comments, worklogs, changelog histories,
issue links and attachments; then the bulk calls for truncated blocks (children.py).

Checkpoints: an `issues` page carries the cursor that is safe to commit once it is published — the
`updated` of the last issue before the first one whose children are still waiting for the bulk calls
(never below the stored cursor). After the bulk calls, one empty page per project carries the max
`updated` received. A run that dies half-way therefore never commits past data it has not written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from pipelines.dlt.resources.jira import settings as conf
from pipelines.dlt.resources.jira.children import Children
from pipelines.dlt.resources.jira.run import JiraRun, issue_parent, merge_pages
from pipelines.dlt.streams import Page, SyncContext
from pipelines.errors import DplError
from pipelines.timeutil import to_epoch_ms, to_utc_iso

EPOCH = "1970-01-01T00:00:00.000000Z"
NEEDED_FIELDS = {"comments": "comment", "worklogs": "worklog", "issue_links": "issuelinks", "attachments": "attachment"}


def search_params(ctx: SyncContext, key: str, since: dt.datetime | None, wanted: set[str]) -> dict:
    """search/jql parameters for one project's window."""
    settings = ctx.stream_settings("issues")
    clauses = [f'project = "{key}"']
    for extra in (settings.get("jql"), (settings.get("project_jql") or {}).get(key)):
        if extra and extra.strip():
            clauses.append(f"({extra.strip()})")
    if since is not None:
        clauses.append(f"updated >= {to_epoch_ms(since)}")
    fields = list(settings.get("fields") or ["*all"])
    if not {"*all", "*navigable"} & set(fields):
        fields += [f for f in ["updated", *(NEEDED_FIELDS[s] for s in wanted if s in NEEDED_FIELDS)] if f not in fields]
    expand = list(settings.get("expand") or [])
    params = {
        "jql": " AND ".join(clauses) + " ORDER BY updated ASC",
        "fields": ",".join(fields),
        "maxResults": conf.PAGE["search"],
    }
    if expand:
        params["expand"] = ",".join(expand)
    return params


class Checkpoints:
    """Per project: the cursor safe to commit so far, and the max `updated` received."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.safe: dict[str, str] = {}
        self.max: dict[str, str] = {}
        self.blocked: set[str] = set()
        self.sent: dict[str, str] = {}

    def see(self, key: str, updated: str | None, waiting: bool) -> None:
        """Note one issue (in `updated` order); `waiting`: some of its children are not written yet."""
        if updated is None:
            return
        self.max[key] = max(self.max.get(key, updated), updated)
        if waiting:
            self.blocked.add(key)
        elif key not in self.blocked:
            self.safe[key] = max(self.safe.get(key, updated), updated)

    def value(self, key: str) -> str:
        """The checkpoint of the next `issues` page of a project."""
        stored = self.ctx.cursor("issues", key)
        candidates = [v for v in (self.safe.get(key), stored) if v]
        self.sent[key] = max(candidates) if candidates else EPOCH
        return self.sent[key]

    def final_pages(self) -> Iterator[Page]:
        """Empty `issues` pages moving each project's checkpoint to the max `updated` received."""
        for key, value in self.max.items():
            if self.sent.get(key, "") < value:
                yield Page("issues", [], key, checkpoint=value)


def get_issues(run: JiraRun) -> Iterator[Page]:
    """Issues of every scoped project and the child streams split out of them."""
    ctx = run.ctx
    wanted = {s for s in conf.ISSUE_STREAMS if ctx.wants(s)}
    if not wanted:
        return
    checkpoints, children = Checkpoints(ctx), Children(run, wanted)
    for project in run.scoped_projects():
        key = project["key"]
        if run.skip_forbidden(key, sorted(wanted)):
            continue
        since = ctx.since("issues", key)
        paginator = JSONResponseCursorPaginator(cursor_path="nextPageToken", cursor_param="nextPageToken")
        try:
            for page in run.client.paginate(
                conf.SEARCH, params=search_params(ctx, key, since, wanted), paginator=paginator, data_selector="issues"
            ):
                yield from issue_page(run, list(page), key, since, children, checkpoints, wanted)
        except DplError as exc:
            run.forbid(key, sorted(wanted), exc)
    yield from children.flush()
    if "issues" in wanted:
        yield from checkpoints.final_pages()


def issue_page(
    run: JiraRun,
    issues: list[dict],
    key: str,
    since: dt.datetime | None,
    children: Children,
    checkpoints: Checkpoints,
    wanted: set[str],
) -> Iterator[Page]:
    """Child pages of one search page (one per stream), then the issues page (its checkpoint covers them)."""
    pages = []
    for issue in issues:
        run.note_issue(issue)
        parent, fields = issue_parent(issue), issue.get("fields") or {}
        if "issue_links" in wanted and fields.get("issuelinks"):
            pages.append(Page("issue_links", fields["issuelinks"], key, parent))
        if "attachments" in wanted and fields.get("attachment"):
            pages.append(Page("attachments", fields["attachment"], key, parent))
        more, waiting = children.embedded(issue, key, parent, since)
        pages += more
        checkpoints.see(key, _utc(fields.get("updated")), waiting)
    yield from merge_pages(pages)
    if "issues" in wanted and issues:
        yield Page("issues", issues, key, checkpoint=checkpoints.value(key))


def _utc(value) -> str | None:
    try:
        return to_utc_iso(value)
    except (TypeError, ValueError):
        return None
