"""The issue pass: one search/jql per project (`ORDER BY updated ASC`, bounded by unquoted epoch
milliseconds), yielding issues and, from the same payloads, comments, worklogs, changelog histories,
issue links and attachments; then the bulk calls for truncated blocks (children.py).

Windows: every stream of the pass has its own cursor per project, so a run that reads some of them
(`--streams issues`, a child stream enabled later, a backfill of one stream) never moves the others.
The search starts at the earliest window of the wanted streams; an issue is yielded, and its children
of a stream read, only for the streams whose window holds it (in a normal run every window is the same).
Cursors stored before per-stream windows (a child's own max timestamp, or none for issue_links) are
at or before the issues' one: the first run after the change re-reads from there, once.

Checkpoints (per stream and project): an `issues` page carries the max `updated` of the issues
yielded so far; a child page carries the max `updated` of the issues whose children of that stream
were read — held before the first issue whose children of that stream wait for the bulk calls. After
the bulk calls, one empty page per stream and project carries the max `updated` covered. Never below
the stored cursor; nothing for a project that answered 403 during the pass (its pages written so far
carry safe checkpoints). A stream not wanted yields no page, so its cursor stays where it is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from pipelines.dlt.http import ordered_chain
from pipelines.dlt.resources.jira import settings as conf
from pipelines.dlt.resources.jira.children import Children
from pipelines.dlt.resources.jira.run import JiraRun, issue_parent, merge_pages
from pipelines.dlt.streams import Page, SyncContext
from pipelines.errors import DplError
from pipelines.timeutil import parse_iso, to_epoch_ms, to_utc_iso

EPOCH = "1970-01-01T00:00:00.000000Z"
EPOCH_TIME = parse_iso(EPOCH)
AUTHORED = {"comments", "worklogs", "issue_changelogs"}  # child records whose authors the users stream reads
NEEDED_FIELDS = {"comments": "comment", "worklogs": "worklog", "issue_links": "issuelinks", "attachments": "attachment"}


def search_params(ctx: SyncContext, key: str, since: dt.datetime | None, wanted: set[str]) -> dict:
    """search/jql parameters for one project's window."""
    settings = ctx.stream_settings("issues")
    clauses = [f'project = "{key}"']
    for extra in (settings.option("jql"), settings.option("project_jql").get(key)):
        if extra and extra.strip():
            clauses.append(f"({extra.strip()})")
    if since is not None:
        clauses.append(f"updated >= {to_epoch_ms(since)}")
    fields = list(settings.option("fields"))
    if not {"*all", "*navigable"} & set(fields):
        fields += [f for f in ["updated", *(NEEDED_FIELDS[s] for s in wanted if s in NEEDED_FIELDS)] if f not in fields]
    expand = list(settings.option("expand"))
    params = {
        "jql": " AND ".join(clauses) + " ORDER BY updated ASC",
        "fields": ",".join(fields),
        "maxResults": conf.PAGE["search"],
    }
    if expand:
        params["expand"] = ",".join(expand)
    return params


class Checkpoints:
    """Per (stream, project key): the cursor safe to commit so far, and the max `updated` covered."""

    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx
        self.safe: dict[tuple[str, str], str] = {}
        self.max: dict[tuple[str, str], str] = {}
        self.blocked: set[tuple[str, str]] = set()

    def see(self, stream: str, key: str, updated: str | None, waiting: bool) -> None:
        """Note one issue (in `updated` order) covered for `stream`; `waiting`: its children of that stream
        are not written yet."""
        if updated is None:
            return
        scope = (stream, key)
        self.max[scope] = max(self.max.get(scope, updated), updated)
        if waiting:
            self.blocked.add(scope)
        elif scope not in self.blocked:
            self.safe[scope] = max(self.safe.get(scope, updated), updated)

    def value(self, stream: str, key: str, covered: str | None = None) -> str:
        """The checkpoint of the next page of (stream, project): never below the stored cursor."""
        candidates = [v for v in (covered or self.safe.get((stream, key)), self.ctx.cursor(stream, key)) if v]
        return max(candidates) if candidates else EPOCH

    def final_pages(self, forbidden) -> Iterator[Page]:
        """Empty pages moving each (stream, project) checkpoint to the max `updated` covered."""
        for (stream, key), value in self.max.items():
            if key not in forbidden:
                yield Page(stream, [], key, checkpoint=self.value(stream, key, value))


def window(ctx: SyncContext, stream: str, key: str) -> dt.datetime | None:
    """A stream's window start for a project (None: everything; an EPOCH checkpoint means no data yet)."""
    since = ctx.since(stream, key)
    return None if since is not None and since <= EPOCH_TIME else since


@dataclasses.dataclass
class SearchPage:
    """One search page of a project, read by a worker: its issues, the truncated comment blocks of
    those issues completed (by issue id), and the approximate count asked with the first page."""

    issues: list[dict]
    comments: dict[str, list[dict]]
    count: int | None = None


def get_issues(run: JiraRun) -> Iterator[Page]:
    """Issues of every scoped project and the child streams split out of them.

    The projects' searches run concurrently (up to `http.max_concurrency`, each a chain of pages with
    its comment completions); their pages are handled here, project after project and page after page,
    exactly as one search after another would hand them over."""
    ctx = run.ctx
    wanted = {s for s in conf.ISSUE_STREAMS if ctx.wants(s)}
    if not wanted:
        return
    checkpoints, children = Checkpoints(ctx), Children(run, wanted)
    keys = [p["key"] for p in run.scoped_projects() if not run.skip_forbidden(p["key"], sorted(wanted))]
    windows = {key: {stream: window(ctx, stream, key) for stream in wanted} for key in keys}
    whole_history = "worklogs" in wanted and all(windows[key]["worklogs"] is None for key in keys)
    announced: dict[str, int | None] = {}  # issues each search will bring, as its worker learns it
    searches = [(lambda key=key: search(run, key, windows[key], wanted, children, announced)) for key in keys]
    seen = 0
    for key, item in ordered_chain(searches, ctx.max_concurrency, ahead=1):
        if isinstance(item, DplError):
            if not run.stale_project(key, item):
                run.forbid(key, sorted(wanted), item)
            continue
        if item.count is not None:
            ctx.expect("issues", key, item.count)
        yield from issue_page(run, item, key, windows[key], children, checkpoints, wanted)
        seen += len(item.issues)
        if whole_history and len(announced) == len(keys) and None not in announced.values():
            children.worklogs.read_early(sum(announced.values()), seen)
    for page in children.flush():
        run.note_authors(page.records)
        yield page
    yield from checkpoints.final_pages(run.forbidden)


def search(
    run: JiraRun,
    key: str,
    windows: dict[str, dt.datetime | None],
    wanted: set[str],
    children: Children,
    announced: dict[str, int | None],
) -> Iterator[tuple[str, SearchPage | DplError]]:
    """One project's search pages (run by a worker: network only; no state of the run changes but
    `announced[key]`, the issues the search will bring), ending with the error that stopped it, if one did."""
    since = None if None in windows.values() else min(windows.values())
    paginator = JSONResponseCursorPaginator(cursor_path="nextPageToken", cursor_param="nextPageToken")
    params = search_params(run.ctx, key, since, wanted)
    try:
        for number, page in enumerate(
            run.client.paginate(conf.SEARCH, params=params, paginator=paginator, data_selector="issues")
        ):
            issues = list(page)
            count = None
            if number == 0:
                more = bool(page.response.json().get("nextPageToken"))
                if more and "issues" in wanted:
                    count = approximate_count(run, key, params["jql"])
                announced[key] = count if more else len(issues)
            truncated = [
                block
                for issue in issues
                if "comments" in issue_streams(issue, wanted, windows)
                and (block := children.truncated_comments(issue)) is not None
            ]
            yield key, SearchPage(issues, children.complete_comments_of(truncated), count)
    except DplError as exc:
        yield key, exc


def approximate_count(run: JiraRun, key: str, jql: str) -> int | None:
    """How many issues a project's search will bring, as Jira estimates (one call, only for a search of
    several pages): progress lines then show an ETA. An answer it cannot give changes nothing else."""
    try:
        answer = run.client.post_json(conf.COUNT, {"jql": jql.split(" ORDER BY ")[0]})
    except Exception as exc:  # an old server, a proxy, a replayed cassette without it: no ETA, nothing else
        run.ctx.log.debug("%s: no approximate count for %s: %s", run.ctx.source, key, exc)
        return None
    count = answer.get("count") if isinstance(answer, dict) else None
    return count if isinstance(count, int) else None


def issue_streams(issue, wanted: set[str], windows: dict[str, dt.datetime | None]) -> set[str]:
    """The wanted streams whose window holds the issue (none for a record without an id)."""
    if not isinstance(issue, dict) or issue.get("id") is None:
        return set()
    updated = _utc((issue.get("fields") or {}).get("updated"))
    return {s for s in wanted if _in_window(updated, windows[s])}


def issue_page(
    run: JiraRun,
    search_page: SearchPage,
    key: str,
    windows: dict[str, dt.datetime | None],
    children: Children,
    checkpoints: Checkpoints,
    wanted: set[str],
) -> Iterator[Page]:
    """Child pages of one search page (one per stream), then the issues page; checkpoints are noted only
    once the whole page was read, truncated comment blocks included (a 403 half-way fails the page
    before it gets here, and leaves them where the previous page put them)."""
    pages, covered, issues = [], [], search_page.issues
    for issue in issues:
        if not isinstance(issue, dict) or issue.get("id") is None:
            covered.append((None, {"issues"}, set()))  # no children: the runner quarantines the record
            continue
        run.note_issue(issue)
        parent, fields = issue_parent(issue), issue.get("fields") or {}
        updated = _utc(fields.get("updated"))
        streams = issue_streams(issue, wanted, windows)
        if "issue_links" in streams and fields.get("issuelinks"):
            pages.append(Page("issue_links", fields["issuelinks"], key, parent))
        if "attachments" in streams and fields.get("attachment"):
            pages.append(Page("attachments", fields["attachment"], key, parent))
        more, waiting = children.embedded(issue, key, parent, streams, windows, search_page.comments)
        pages += more
        covered.append((updated, streams, waiting))
    for updated, streams, waiting in covered:
        for stream in streams:
            if updated is not None:
                checkpoints.see(stream, key, updated, stream in waiting)
    for page in merge_pages(pages):
        if page.stream in AUTHORED:
            run.note_authors(page.records)
        page.checkpoint = checkpoints.value(page.stream, key)
        yield page
    records = [issue for issue, (_, streams, _) in zip(issues, covered, strict=True) if "issues" in streams]
    if records:
        yield Page("issues", records, key, checkpoint=checkpoints.value("issues", key))


def _in_window(updated: str | None, since: dt.datetime | None) -> bool:
    return since is None or updated is None or updated >= to_utc_iso(since)


def _utc(value) -> str | None:
    try:
        return to_utc_iso(value)
    except (TypeError, ValueError):
        return None
