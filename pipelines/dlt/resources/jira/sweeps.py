"""Resources that run after the issue pass: issue_census (deletes), users (referenced), worklog_deletions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from pipelines.dlt.http import ordered_chain
from pipelines.dlt.resources.jira import settings as conf
from pipelines.dlt.resources.jira.run import ChangedWorklogsPaginator, JiraOffsetPaginator, JiraRun, batches
from pipelines.dlt.streams import FULL, Page, SyncContext
from pipelines.errors import DplError
from pipelines.timeutil import parse_iso, to_epoch_ms, to_utc_iso, utc_now


def census_due(ctx: SyncContext, key: str) -> bool:
    """Full runs always sweep; otherwise once `time.census_interval_hours` passed since the last sweep."""
    if ctx.mode == FULL or ctx.stream_mode("issue_census") == FULL:
        return True
    last = ctx.cursor("issue_census", key)
    if last is None:
        return True
    hours = float(ctx.time.census_interval_hours)
    return ctx.started_at - parse_iso(last) >= dt.timedelta(hours=hours)


def get_census(run: JiraRun) -> Iterator[Page]:
    """Every live issue id of each due project (search/jql, fields=id, 5000 a page), the projects' sweeps
    read concurrently and handed over one after another; the last page of a completed sweep carries the
    sweep's start time as checkpoint: silver flags an issue deleted only when a completed sweep
    misses it and its latest version was read before that sweep started."""
    keys = [p["key"] for p in run.scoped_projects()]
    due = [key for key in keys if not run.skip_forbidden(key, ("issue_census",)) and census_due(run.ctx, key)]
    sweeps = [(lambda key=key: census_pages(run, key)) for key in due]
    for key, item in ordered_chain(sweeps, run.ctx.max_concurrency, ahead=1):
        if isinstance(item, DplError):
            run.forbid(key, ("issue_census",), item)
            continue
        records, last, started = item
        yield Page("issue_census", records, key, {"project_key": key}, checkpoint=started if last else None)


def census_pages(run: JiraRun, key: str) -> Iterator[tuple[str, tuple[list, bool, str] | DplError]]:
    """One project's sweep, read by a worker: (ids, last page?, the sweep's start) per page, ending with
    the error that stopped it, if one did."""
    started = to_utc_iso(utc_now())
    params = {"jql": f'project = "{key}" ORDER BY created ASC', "fields": "id", "maxResults": conf.PAGE["census"]}
    paginator = JSONResponseCursorPaginator(cursor_path="nextPageToken", cursor_param="nextPageToken")
    try:
        for page in run.client.paginate(conf.SEARCH, params=params, paginator=paginator, data_selector="issues"):
            yield key, (list(page), not page.paginator.has_next_page, started)
    except DplError as exc:
        yield key, exc


def get_users(run: JiraRun) -> Iterator[Page]:
    """The accounts owed to `users`: referenced by what this run read, or by what an earlier run read and
    did not live to fetch (pending work), 100 per /user/bulk call; each batch is resolved once read."""
    pending = run.ctx.pending
    for chunk in batches(pending.keys("users"), conf.PAGE["users"]):
        for page in run.client.paginate(
            conf.USERS_BULK,
            params={"accountId": chunk},
            paginator=JiraOffsetPaginator(conf.PAGE["users"]),
            data_selector="values",
        ):
            if page:
                yield Page("users", list(page))
        pending.resolve("users", chunk)  # an account the API does not return is gone: nothing more to owe


def get_worklog_deletions(run: JiraRun) -> Iterator[Page]:
    """Worklogs deleted since the stream's window (/worklog/deleted; everything on a first or full run)."""
    since = run.ctx.since("worklog_deletions")
    seen: set[int] = set()
    for page in run.client.paginate(
        conf.WORKLOGS_DELETED,
        params={"since": to_epoch_ms(since) if since else 0},
        paginator=ChangedWorklogsPaginator(),
        data_selector="values",
    ):
        records = [r for r in page if r.get("worklogId") not in seen]
        seen.update(r.get("worklogId") for r in records)
        if records:
            yield Page("worklog_deletions", records)
