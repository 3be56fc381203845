"""Comments and changelog histories of the issues a search returned, and the flush after the pass.

Embedded blocks are taken as they are when complete. Truncated comment blocks of a search page are
completed by the worker that read the page, before the page is handed over, from /issue/{id}/comment
starting after the embedded entries (there is no bulk comment listing), up to `http.max_concurrency`
issues at once. Truncated changelog and worklog blocks wait until the end of the issue pass, then:
- changelogs: one POST /changelog/bulkfetch per 1000 issues (10000 histories a page), batches read
  concurrently; an incremental run skips the fetch when the newest-first embedded block already
  reaches back before the window;
- worklogs: see worklogs.py (bulk /worklog/updated + /worklog/list, or per issue; a full run may
  start reading /worklog/updated during the pass).
Every call is made by a worker; the pages come out in the order a one-call-at-a-time run would
produce them, so bronze and cursors do not depend on the concurrency (a failed call fails at its
place in that order, after everything before it).
Each stream uses its own window (`windows[stream]`): the issue pass may start earlier for another stream.
Blocks of a project that answered 403 during the pass are dropped: its checkpoints stay before them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator

from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from pipelines.dlt.http import ordered_chain, ordered_map
from pipelines.dlt.resources.jira import settings as conf
from pipelines.dlt.resources.jira.run import JiraOffsetPaginator, JiraRun, batches, merge_pages
from pipelines.dlt.resources.jira.worklogs import Worklogs
from pipelines.dlt.streams import Page
from pipelines.errors import DplError, ErrorClass
from pipelines.timeutil import parse_iso


def covers_window(histories: list[dict], since: dt.datetime | None) -> bool:
    """Do newest-first embedded histories reach back before the window start (older ones already read)?"""
    if since is None or not histories:
        return False
    times = [parse_iso(h["created"]) for h in histories]
    return all(a >= b for a, b in itertools.pairwise(times)) and times[-1] < since


@dataclasses.dataclass
class TruncatedComments:
    """A comment block the search cut short (`total` None: the search gave no total)."""

    issue_id: str
    got: list[dict]
    total: int | None


class Children:
    """Child records of one run's issue pass; `complete_comments_of()` fills truncated comment blocks (in
    a search worker), `flush()` fetches what truncated changelog and worklog blocks left out."""

    def __init__(self, run: JiraRun, wanted: set[str]) -> None:
        self.run, self.client, self.wanted = run, run.client, wanted
        self.workers = run.ctx.max_concurrency
        self.changelogs: dict[str, tuple[str, dict]] = {}  # issue id -> (project key, parent)
        self.worklogs = Worklogs(run)

    def embedded(
        self,
        issue: dict,
        key: str,
        parent: dict,
        streams: set[str],
        windows: dict[str, dt.datetime | None],
        completed: dict[str, list[dict]],
    ) -> tuple[list[Page], set[str]]:
        """Pages from one issue's embedded blocks for `streams` (those whose window holds the issue), and
        the streams whose children of this issue wait for `flush()`. A truncated comment block is taken
        from `completed` (its search page's completions, by issue id)."""
        fields, pages, waiting = issue.get("fields") or {}, [], set()
        if "comments" in streams:
            if self.truncated_comments(issue):
                got = completed[str(issue["id"])]
            else:
                got = list(fields["comment"].get("comments") or [])
            pages += [Page("comments", got, key, parent)] if got else []
        if "worklogs" in streams:
            more, wait = self.worklogs.block(issue, key, parent, fields.get("worklog"), windows.get("worklogs"))
            pages += more
            if wait:
                waiting.add("worklogs")
        if "issue_changelogs" in streams:
            since = windows.get("issue_changelogs")
            block = issue.get("changelog")
            histories = block.get("histories") if isinstance(block, dict) else None
            if histories is not None and (block.get("total", 0) <= len(histories) or covers_window(histories, since)):
                pages += [Page("issue_changelogs", histories, key, parent)] if histories else []
            else:
                self.changelogs[str(issue["id"])] = (key, parent)
                waiting.add("issue_changelogs")
        return pages, waiting

    # -- comments: completed with their search page, by the worker that read it --------------

    @staticmethod
    def truncated_comments(issue: dict) -> TruncatedComments | None:
        """The issue's comment block when the search cut it short (or gave no total)."""
        block = (issue.get("fields") or {}).get("comment")
        got = list(block.get("comments") or []) if isinstance(block, dict) else []
        total = block.get("total", len(got)) if isinstance(block, dict) else None
        if total is None or total > len(got):
            return TruncatedComments(str(issue["id"]), got, total)
        return None

    def complete_comments_of(self, blocks: list[TruncatedComments]) -> dict[str, list[dict]]:
        """Every truncated block's comments by issue id, the blocks' calls made concurrently."""
        done = ordered_map(self.complete_comments, blocks, self.workers)
        return {block.issue_id: records for block, records in zip(blocks, done, strict=True)}

    def complete_comments(self, block: TruncatedComments) -> list[dict]:
        """A truncated block's comments: the embedded ones, the rest from startAt, then any missing head."""
        got, total = block.got, block.total
        records = got + self.fetch_comments(block.issue_id, len(got), {c["id"] for c in got})
        if total is not None and len(records) < total and got:  # the embedded ones were not the first
            have = {c["id"] for c in records}
            head = self.client.get_json(
                conf.ISSUE_COMMENTS.format(issue=block.issue_id), {"startAt": 0, "maxResults": len(got)}
            )
            records += [c for c in head.get("comments", []) if c["id"] not in have]
        return records

    def fetch_comments(self, issue_id: str, start: int, have: set) -> list[dict]:
        path, out = conf.ISSUE_COMMENTS.format(issue=issue_id), []
        try:
            for page in self.client.paginate(
                path, paginator=JiraOffsetPaginator(conf.PAGE["comments"], start), data_selector="comments"
            ):
                out += [c for c in page if c["id"] not in have]
        except DplError as exc:
            if exc.error_class != ErrorClass.NOT_FOUND:  # deleted since the search: nothing to add
                raise
        return out

    # -- after the pass ----------------------------------------------------------------------

    def flush(self) -> Iterator[Page]:
        """Fetch what truncated changelog and worklog blocks left out (not for projects that answered 403).

        Both run at once; the changelog pages come first, as in a one-call-at-a-time run."""
        forbidden = self.run.forbidden
        self.changelogs = {i: v for i, v in self.changelogs.items() if v[0] not in forbidden}
        self.worklogs.drop_projects(forbidden)
        streams = (self.flush_changelogs, self.worklogs.flush)
        yield from ordered_chain(streams, min(self.workers, len(streams)), ahead=8)

    def flush_changelogs(self) -> Iterator[Page]:
        chunks = list(batches(list(self.changelogs), conf.PAGE["bulk_issues"]))
        readers = [(lambda chunk=chunk: self.chunk_changelogs(chunk)) for chunk in chunks]
        for issue_id, histories in ordered_chain(readers, self.workers):
            if issue_id is None:
                yield from merge_pages(histories)
            else:
                key, parent = self.changelogs[issue_id]
                yield Page("issue_changelogs", histories, key, parent)

    def chunk_changelogs(self, chunk: list[str]) -> Iterator[tuple[str | None, list]]:
        """One batch's histories: (None, merged pages) per bulk page, or (issue id, histories) per issue
        when the bulk endpoint is unavailable."""
        try:
            yield from self.bulk_changelogs(chunk)
        except DplError as exc:
            if exc.error_class != ErrorClass.NOT_FOUND:
                raise
            self.run.ctx.log.warning("jira: changelog/bulkfetch unavailable (%s); reading per issue", exc.message)
            for issue_id in chunk:
                for page in self.issue_changelog(issue_id):
                    yield issue_id, page

    def bulk_changelogs(self, chunk: list[str]) -> Iterator[tuple[None, list[Page]]]:
        body = {"issueIdsOrKeys": chunk, "maxResults": conf.PAGE["bulk_histories"]}
        paginator = JSONResponseCursorPaginator(cursor_path="nextPageToken", cursor_body_path="nextPageToken")
        for page in self.client.paginate(
            conf.CHANGELOG_BULK, method="POST", json=body, paginator=paginator, data_selector="issueChangeLogs"
        ):
            pages = []
            for entry in page:
                known = self.changelogs.get(str(entry.get("issueId")))
                histories = entry.get("changeHistories") or []
                if known and histories:
                    pages.append(Page("issue_changelogs", histories, known[0], known[1]))
            yield None, pages

    def issue_changelog(self, issue_id: str) -> Iterator[list[dict]]:
        try:
            for page in self.client.paginate(
                conf.ISSUE_CHANGELOG.format(issue=issue_id),
                paginator=JiraOffsetPaginator(conf.PAGE["changelog"]),
                data_selector="values",
            ):
                if page:
                    yield list(page)
        except DplError as exc:
            if exc.error_class != ErrorClass.NOT_FOUND:
                raise
