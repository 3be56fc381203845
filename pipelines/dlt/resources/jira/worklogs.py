"""Worklogs of the issues a search returned: embedded blocks, and what truncated ones left out.

After the issue pass, truncated blocks are completed from /worklog/updated?since= (ids, 1000 a page)
+ POST /worklog/list (1000 a call), or per issue from /issue/{id}/worklog (5000 a page) — whichever
the totals seen in the search say is fewer calls. A full run checks every issue's count against its
`total` and reads a short one per issue. /worklog/updated lists the worklogs of the whole site and
gives no issue id, so when the run reads only part of the site (`projects`, `exclude_projects`,
`jql`, `project_jql`) the totals cannot price it: per issue.

Memory stays flat: each /worklog/list answer is written as soon as it arrives (in request order),
and the ids of the embedded worklogs are kept as one sorted array of integers, not a set of strings.
The list calls (and the per-issue reads) run up to `http.max_concurrency` at once; the /worklog/updated
pages, each pointing to the next, are read one after another by a worker of their own (their ids only,
an array per page), ahead of the list calls.

That chain of pages is the one part of a full run no concurrency can shorten, so a run that reads the
whole site from the beginning starts it during the issue pass, as soon as the pass shows the bulk
path will be taken: with at least a quarter of the issues Jira announced (the searches' approximate
counts) seen, the costs of both paths extrapolated to all of them price the bulk path at most 80% of
per issue. The flush then takes the bulk path; otherwise it decides at the end, as above.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator
from math import ceil

from pipelines.dlt.http import ordered_chain, ordered_map, read_ahead
from pipelines.dlt.resources.jira import settings as conf
from pipelines.dlt.resources.jira.run import (
    ChangedWorklogsPaginator,
    JiraOffsetPaginator,
    JiraRun,
    merge_pages,
)
from pipelines.dlt.streams import Page
from pipelines.errors import DplError, ErrorClass
from pipelines.timeutil import to_epoch_ms

EARLY_FRACTION = 0.25  # share of the announced issues seen before the pass may start /worklog/updated
EARLY_MARGIN = 0.8  # ... when the extrapolated bulk cost is at most this share of the per-issue cost


def changed_pages(count: int, size: int) -> int:
    """Expected pages of /worklog/updated for `count` ids (a page's last entry opens the next one)."""
    return 1 if count <= size else 1 + ceil((count - size) / (size - 1))


class IdSet:
    """Worklog ids seen in embedded blocks: integers in one array (8 bytes each), sorted once before use;
    an id that is not an integer goes to a plain set."""

    def __init__(self) -> None:
        self.numbers = array("q")
        self.others: set[str] = set()
        self.sorted = True

    def add(self, value) -> None:
        try:
            self.numbers.append(int(value))
            self.sorted = False
        except (TypeError, ValueError, OverflowError):
            self.others.add(str(value))

    def __contains__(self, value) -> bool:
        if not self.sorted:
            self.numbers = array("q", sorted(self.numbers))
            self.sorted = True
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):
            return str(value) in self.others
        index = bisect.bisect_left(self.numbers, number)
        return index < len(self.numbers) and self.numbers[index] == number


class Worklogs:
    """The worklogs stream of one issue pass: `block()` per issue, `flush()` after the pass."""

    def __init__(self, run: JiraRun) -> None:
        self.run, self.client = run, run.client
        self.workers = run.ctx.max_concurrency
        self.truncated: dict[str, dict] = {}  # issue id -> project, parent, total, ids read, window start
        self.embedded = IdSet()
        self.seen = 0  # sum of the worklog totals of every issue seen
        self.changed: Iterator[array] | None = None  # the ids of /worklog/updated pages, once being read
        # what completing the truncated blocks costs, kept up to date as blocks come (the pass asks every page)
        self.missing = 0  # worklogs the truncated blocks left out
        self.per_issue_pages = 0  # /issue/{id}/worklog pages to read them per issue
        self.untotalled = 0  # truncated blocks without a total

    def block(self, issue: dict, key: str, parent: dict, block, since) -> tuple[list[Page], bool]:
        """The embedded worklogs of one issue, and whether its block waits for `flush()`."""
        got = list(block.get("worklogs") or []) if isinstance(block, dict) else []
        total = block.get("total", len(got)) if isinstance(block, dict) else None
        self.seen += total or 0
        for worklog in got:
            self.embedded.add(worklog["id"])
        pages = [Page("worklogs", got, key, parent)] if got else []
        if total is not None and total <= len(got):
            return pages, False
        info = {"project": key, "parent": parent, "total": total, "have": {w["id"] for w in got}, "since": since}
        self._tally(self.truncated.get(str(issue["id"])), -1)  # the same issue twice: its last block counts
        self.truncated[str(issue["id"])] = info
        self._tally(info, 1)
        return pages, True

    def _tally(self, info: dict | None, sign: int) -> None:
        """Add (1) or remove (-1) a truncated block's share of the costs."""
        if info is None:
            return
        if info["total"] is None:
            self.untotalled += sign
            return
        missing = info["total"] - len(info["have"])
        self.missing += sign * missing
        self.per_issue_pages += sign * ceil(missing / conf.PAGE["worklogs"])

    def drop_projects(self, keys) -> None:
        """Forget the truncated blocks of these projects (they answered 403 during the pass)."""
        for info in self.truncated.values():
            if info["project"] in keys:
                self._tally(info, -1)
        self.truncated = {i: v for i, v in self.truncated.items() if v["project"] not in keys}

    def costs(self, scale: float = 1.0) -> tuple[float, float] | None:
        """Calls (per issue, bulk) to complete the truncated blocks seen, as if `scale` times as many issues
        were seen alike; None when a block gave no total (per issue, then). Valid until the flush reads."""
        if self.untotalled:
            return None
        per_issue = self.per_issue_pages * scale
        bulk = changed_pages(round(self.seen * scale), conf.PAGE["worklog_ids"]) + ceil(
            self.missing * scale / conf.PAGE["worklog_list"]
        )
        return per_issue, bulk

    def read_early(self, announced: int | None, seen_issues: int) -> None:
        """During the pass of a run reading the whole site from the beginning: start reading /worklog/updated
        once the issues seen so far, extrapolated to the `announced` total, make the bulk path sure."""
        if self.changed is not None or not announced or seen_issues < announced * EARLY_FRACTION:
            return
        costs = self.costs(announced / seen_issues)
        if costs is not None and costs[1] <= costs[0] * EARLY_MARGIN and not self.partial_site():
            self.run.ctx.log.debug("jira: /worklog/updated read during the issue pass (%s)", costs)
            self.changed = self.read_changed(0)

    def flush(self) -> Iterator[Page]:
        """What truncated blocks left out: in bulk or per issue, whichever costs fewer calls."""
        if not self.truncated:
            return
        if self.changed is None:
            costs = self.costs()
            if costs is None or costs[1] >= costs[0] or self.partial_site():
                yield from self.per_issue(list(self.truncated))
                return
            starts = [w["since"] for w in self.truncated.values()]
            self.changed = self.read_changed(0 if None in starts else to_epoch_ms(min(starts)))
        yield from self.bulk()

    def partial_site(self) -> bool:
        """Does this run read only part of the site's issues? /worklog/updated would list them all."""
        settings, issues = self.run.ctx.settings, self.run.ctx.stream_settings("issues")
        return bool(
            self.run.ctx.scopes
            or settings.option("projects")
            or settings.option("exclude_projects")
            or issues.option("jql").strip()
            or any((v or "").strip() for v in issues.option("project_jql").values())
        )

    def bulk(self) -> Iterator[Page]:
        """Every /worklog/list answer written as it arrives; then per issue for blocks a full read left short."""
        for answer in ordered_map(self.list_worklogs, self.missing_ids(), self.workers):
            pages = []
            for worklog in answer:
                info = self.truncated.get(str(worklog.get("issueId")))
                if info is not None and worklog["id"] not in info["have"]:
                    info["have"].add(worklog["id"])
                    pages.append(Page("worklogs", [worklog], info["project"], info["parent"]))
            yield from merge_pages(pages)
        short = [i for i, info in self.truncated.items() if info["since"] is None and len(info["have"]) < info["total"]]
        yield from self.per_issue(short)

    def read_changed(self, since_ms: int) -> Iterator[array]:
        """The ids of the worklogs changed since `since_ms`, a page at a time, read by a worker from now on."""

        def pages() -> Iterator[array]:
            for page in self.client.paginate(
                conf.WORKLOGS_UPDATED,
                params={"since": since_ms},
                paginator=ChangedWorklogsPaginator(),
                data_selector="values",
            ):
                yield array("q", (int(i["worklogId"]) for i in page))

        return read_ahead(pages, ahead=100_000)  # 8 KB a page of ids: never holds the reader back

    def missing_ids(self) -> Iterator[list[int]]:
        """Batches of ids of changed worklogs the search did not embed."""
        batch: list[int] = []
        previous: set[int] = set()  # the page before: its last entry opens this one
        for ids in self.changed:
            batch += [i for i in dict.fromkeys(ids) if i not in previous and i not in self.embedded]
            previous = set(ids)
            while len(batch) >= conf.PAGE["worklog_list"]:
                yield batch[: conf.PAGE["worklog_list"]]
                batch = batch[conf.PAGE["worklog_list"] :]
        if batch:
            yield batch

    def list_worklogs(self, ids: list[int]) -> list[dict]:
        return self.client.post_json(conf.WORKLOG_LIST, {"ids": ids})

    def per_issue(self, issue_ids: list[str]) -> Iterator[Page]:
        """Each issue's worklogs from /issue/{id}/worklog, issues read concurrently, pages in issue order."""
        readers = [(lambda issue_id=issue_id: self.issue_pages(issue_id)) for issue_id in issue_ids]
        for issue_id, page in ordered_chain(readers, self.workers):
            info = self.truncated[issue_id]
            records = [w for w in page if w["id"] not in info["have"]]
            info["have"].update(w["id"] for w in records)
            if records:
                yield Page("worklogs", records, info["project"], info["parent"])

    def issue_pages(self, issue_id: str) -> Iterator[tuple[str, list[dict]]]:
        try:
            for page in self.client.paginate(
                conf.ISSUE_WORKLOGS.format(issue=issue_id),
                paginator=JiraOffsetPaginator(conf.PAGE["worklogs"]),
                data_selector="worklogs",
            ):
                yield issue_id, list(page)
        except DplError as exc:
            if exc.error_class != ErrorClass.NOT_FOUND:
                raise
