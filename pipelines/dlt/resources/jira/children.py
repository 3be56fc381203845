"""Comments, worklogs and changelog histories of the issues a search returned.

Embedded blocks are taken as they are when complete. A truncated comment block is completed at once
from /issue/{id}/comment, starting after the embedded entries (there is no bulk comment listing).
Truncated changelog and worklog blocks wait until the end of the issue pass, then:
- changelogs: one POST /changelog/bulkfetch per 1000 issues (10000 histories a page); an incremental
  run skips the fetch when the newest-first embedded block already reaches back before the window;
- worklogs: /worklog/updated?since= (ids, 1000 a page) + POST /worklog/list (1000 a call), or per issue
  /issue/{id}/worklog (5000 a page) — whichever the totals seen in the search say is fewer calls. A full
  run checks every issue's count against its `total` and reads a short one per issue. /worklog/updated
  lists the worklogs of the whole site and gives no issue id, so when the run reads only part of the
  site (`projects`, `exclude_projects`, `jql`, `project_jql`) the totals cannot price it: per issue.
Each stream uses its own window (`windows[stream]`): the issue pass may start earlier for another stream.
Blocks of a project that answered 403 during the pass are dropped: its checkpoints stay before them.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from math import ceil

from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from pipelines.dlt.resources.jira import settings as conf
from pipelines.dlt.resources.jira.run import (
    ChangedWorklogsPaginator,
    JiraOffsetPaginator,
    JiraRun,
    batches,
    merge_pages,
)
from pipelines.dlt.streams import Page
from pipelines.errors import DplError, ErrorClass
from pipelines.timeutil import parse_iso, to_epoch_ms


def changed_pages(count: int, size: int) -> int:
    """Expected pages of /worklog/updated for `count` ids (a page's last entry opens the next one)."""
    return 1 if count <= size else 1 + ceil((count - size) / (size - 1))


def covers_window(histories: list[dict], since: dt.datetime | None) -> bool:
    """Do newest-first embedded histories reach back before the window start (older ones already read)?"""
    if since is None or not histories:
        return False
    times = [parse_iso(h["created"]) for h in histories]
    return all(a >= b for a, b in itertools.pairwise(times)) and times[-1] < since


class Children:
    """Child records of one run's issue pass; `flush()` fetches what truncated blocks left out."""

    def __init__(self, run: JiraRun, wanted: set[str]) -> None:
        self.run, self.client, self.wanted = run, run.client, wanted
        self.changelogs: dict[str, tuple[str, dict]] = {}  # issue id -> (project key, parent)
        self.worklogs: dict[str, dict] = {}  # issue id -> project, parent, total, ids read, window start
        self.embedded_worklogs: set[str] = set()
        self.worklogs_seen = 0  # sum of the worklog totals of every issue seen

    def embedded(
        self, issue: dict, key: str, parent: dict, streams: set[str], windows: dict[str, dt.datetime | None]
    ) -> tuple[list[Page], set[str]]:
        """Pages from one issue's embedded blocks for `streams` (those whose window holds the issue), and
        the streams whose children of this issue wait for `flush()`."""
        fields, pages, waiting = issue.get("fields") or {}, [], set()
        if "comments" in streams:
            pages += self.comments(issue, key, parent, fields.get("comment"))
        if "worklogs" in streams:
            more, wait = self.worklog_block(issue, key, parent, fields.get("worklog"), windows.get("worklogs"))
            pages += more
            if wait:
                waiting.add("worklogs")
        if "issue_changelogs" in streams:
            since = windows.get("issue_changelogs")
            block = issue.get("changelog")
            histories = block.get("histories") if isinstance(block, dict) else None
            if histories is not None and (block.get("total", 0) <= len(histories) or covers_window(histories, since)):
                self.run.note_authors(histories)
                pages += [Page("issue_changelogs", histories, key, parent)] if histories else []
            else:
                self.changelogs[str(issue["id"])] = (key, parent)
                waiting.add("issue_changelogs")
        return pages, waiting

    # -- comments: completed at once ---------------------------------------------------------

    def comments(self, issue: dict, key: str, parent: dict, block) -> list[Page]:
        got = list(block.get("comments") or []) if isinstance(block, dict) else []
        total = block.get("total", len(got)) if isinstance(block, dict) else None
        records = got
        if total is None or total > len(got):
            records = got + self.fetch_comments(issue, len(got), {c["id"] for c in got})
            if total is not None and len(records) < total and got:  # the embedded ones were not the first
                have = {c["id"] for c in records}
                head = self.client.get_json(
                    conf.ISSUE_COMMENTS.format(issue=issue["id"]), {"startAt": 0, "maxResults": len(got)}
                )
                records += [c for c in head.get("comments", []) if c["id"] not in have]
        self.run.note_authors(records)
        return [Page("comments", records, key, parent)] if records else []

    def fetch_comments(self, issue: dict, start: int, have: set) -> list[dict]:
        path, out = conf.ISSUE_COMMENTS.format(issue=issue["id"]), []
        try:
            for page in self.client.paginate(
                path, paginator=JiraOffsetPaginator(conf.PAGE["comments"], start), data_selector="comments"
            ):
                out += [c for c in page if c["id"] not in have]
        except DplError as exc:
            if exc.error_class != ErrorClass.NOT_FOUND:  # deleted since the search: nothing to add
                raise
        return out

    # -- worklogs ----------------------------------------------------------------------------

    def worklog_block(self, issue: dict, key: str, parent: dict, block, since) -> tuple[list[Page], bool]:
        got = list(block.get("worklogs") or []) if isinstance(block, dict) else []
        total = block.get("total", len(got)) if isinstance(block, dict) else None
        self.worklogs_seen += total or 0
        self.embedded_worklogs.update(w["id"] for w in got)
        self.run.note_authors(got)
        pages = [Page("worklogs", got, key, parent)] if got else []
        if total is not None and total <= len(got):
            return pages, False
        self.worklogs[str(issue["id"])] = {
            "project": key,
            "parent": parent,
            "total": total,
            "have": {w["id"] for w in got},
            "since": since,
        }
        return pages, True

    def flush(self) -> Iterator[Page]:
        """Fetch what truncated changelog and worklog blocks left out (not for projects that answered 403)."""
        forbidden = self.run.forbidden
        self.changelogs = {i: v for i, v in self.changelogs.items() if v[0] not in forbidden}
        self.worklogs = {i: v for i, v in self.worklogs.items() if v["project"] not in forbidden}
        yield from self.flush_changelogs()
        yield from self.flush_worklogs()

    def flush_worklogs(self) -> Iterator[Page]:
        if not self.worklogs:
            return
        missing = [None if w["total"] is None else w["total"] - len(w["have"]) for w in self.worklogs.values()]
        per_issue = sum(ceil(m / conf.PAGE["worklogs"]) if m is not None else 1 for m in missing)
        bulk = changed_pages(self.worklogs_seen, conf.PAGE["worklog_ids"]) + ceil(
            sum(m or 0 for m in missing) / conf.PAGE["worklog_list"]
        )
        if None not in missing and bulk < per_issue and not self.partial_site():
            yield from self.bulk_worklogs()
        else:
            for issue_id in self.worklogs:
                yield from self.issue_worklogs(issue_id)

    def partial_site(self) -> bool:
        """Does this run read only part of the site's issues? /worklog/updated would list them all."""
        settings, issues = self.run.ctx.settings, self.run.ctx.stream_settings("issues")
        return bool(
            settings.option("projects")
            or settings.option("exclude_projects")
            or issues.option("jql").strip()
            or any((v or "").strip() for v in issues.option("project_jql").values())
        )

    def bulk_worklogs(self) -> Iterator[Page]:
        starts = [w["since"] for w in self.worklogs.values()]
        since_ms = 0 if None in starts else to_epoch_ms(min(starts))
        ids: dict[int, None] = {}
        for page in self.client.paginate(
            conf.WORKLOGS_UPDATED,
            params={"since": since_ms},
            paginator=ChangedWorklogsPaginator(),
            data_selector="values",
        ):
            ids.update((int(i["worklogId"]), None) for i in page if str(i["worklogId"]) not in self.embedded_worklogs)
        found: dict[str, list[dict]] = {}
        for chunk in batches(list(ids), conf.PAGE["worklog_list"]):
            for worklog in self.client.post_json(conf.WORKLOG_LIST, {"ids": chunk}):
                found.setdefault(str(worklog.get("issueId")), []).append(worklog)
        pages, short = [], []
        for issue_id, info in self.worklogs.items():
            records = [w for w in found.get(issue_id, []) if w["id"] not in info["have"]]
            info["have"].update(w["id"] for w in records)
            if records:
                self.run.note_authors(records)
                pages.append(Page("worklogs", records, info["project"], info["parent"]))
            if info["since"] is None and len(info["have"]) < info["total"]:  # a full read came up short
                short.append(issue_id)
        yield from merge_pages(pages)
        for issue_id in short:
            yield from self.issue_worklogs(issue_id)

    def issue_worklogs(self, issue_id: str) -> Iterator[Page]:
        info = self.worklogs[issue_id]
        try:
            for page in self.client.paginate(
                conf.ISSUE_WORKLOGS.format(issue=issue_id),
                paginator=JiraOffsetPaginator(conf.PAGE["worklogs"]),
                data_selector="worklogs",
            ):
                records = [w for w in page if w["id"] not in info["have"]]
                info["have"].update(w["id"] for w in records)
                if records:
                    self.run.note_authors(records)
                    yield Page("worklogs", records, info["project"], info["parent"])
        except DplError as exc:
            if exc.error_class != ErrorClass.NOT_FOUND:
                raise

    # -- changelogs --------------------------------------------------------------------------

    def flush_changelogs(self) -> Iterator[Page]:
        for chunk in batches(list(self.changelogs), conf.PAGE["bulk_issues"]):
            try:
                yield from self.bulk_changelogs(chunk)
            except DplError as exc:
                if exc.error_class != ErrorClass.NOT_FOUND:
                    raise
                self.run.ctx.log.warning("jira: changelog/bulkfetch unavailable (%s); reading per issue", exc.message)
                for issue_id in chunk:
                    yield from self.issue_changelog(issue_id)

    def bulk_changelogs(self, chunk: list[str]) -> Iterator[Page]:
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
                    self.run.note_authors(histories)
                    pages.append(Page("issue_changelogs", histories, known[0], known[1]))
            yield from merge_pages(pages)

    def issue_changelog(self, issue_id: str) -> Iterator[Page]:
        key, parent = self.changelogs[issue_id]
        try:
            for page in self.client.paginate(
                conf.ISSUE_CHANGELOG.format(issue=issue_id),
                paginator=JiraOffsetPaginator(conf.PAGE["changelog"]),
                data_selector="values",
            ):
                if page:
                    self.run.note_authors(page)
                    yield Page("issue_changelogs", list(page), key, parent)
        except DplError as exc:
            if exc.error_class != ErrorClass.NOT_FOUND:
                raise
