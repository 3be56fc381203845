"""Builds per job, incremental by build number, via `allBuilds[...]{M,N}` ranges.

`builds` is capped at the newest 100, so the ranges go over `allBuilds` (newest first). The listing
gives each job's first and last build numbers; a job whose last build is not past the cursor costs
no call. Otherwise the job is paged by build number, not by a count: `allBuilds` is read from offset
0 (the first range sized for the builds the listing announced, then `builds_page_size` ranges) until
a page reaches the lowest wanted number, `max(cursor, first - 1) + 1`, or the list ends
(`AllBuildsPaginator`, dlt's OffsetPaginator writing `{M,N}` into `tree=`). A build started after
the listing shifts the list towards higher offsets: the next range still reaches down to the cursor,
and entries seen twice are dropped. Only numbers missing inside the range actually covered (from
that lowest wanted number up to the newest build read) are logged as deleted (retention or by
hand); they are not gaps.

The cursor (scope = job full name) marks the highest build number below which every build was read
in its final state: a build still running (`building: true`, `result: null`) is written as it is,
and the cursor stops just under the oldest running build, so the next run reads it again — finished.
It never passes a number that was not read. Pages carry the stored cursor until the job is complete;
a last empty page carries the new one (not in a backfill, which reads a time window and so never
proves the numbers in between were read).

Recreated jobs. A job deleted and created again under the same full name (a multibranch branch
deleted and pushed again) restarts its numbering, while a cursor never moves backwards. So the
cursor also records when the numbers it covers were built: it is the integer
`T * 10**10 + number`, `T` the newest build `timestamp` (epoch ms) read for the job so far (the codec
lives in `pipelines/cursor_values.py`, shared with the displays). This
still compares as one number (ledger `cursor_after`), it grows with every run (T and number never
decrease within a job) and a recreated job's builds all start after the old job's, so its cursor
is larger whatever its numbers. A job counts as recreated when its first build (from the listing's
`firstBuild[number,timestamp]`) is numbered at or below the cursor's number but started after `T`
— impossible for the same job, whose builds up to that number started no later than `T` — or, as
before, when its last build is below the cursor's number. A recreated job is read whole (a warning
names it) and its cursor restarts from its own numbers under the new, larger `T`. A plain number
(a cursor written before this encoding, below 10**10; Jenkins numbers are 32-bit) is read as a
build number without a time; the job's next checkpoint upgrades it. Until then only the
`last < cursor` rule can detect a recreated job.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlt.sources.helpers.rest_client.paginators import OffsetPaginator

from pipelines.cursor_values import decode_build_cursor as decode_cursor
from pipelines.cursor_values import encode_build_cursor as encode_cursor
from pipelines.cursor_values import stored_number
from pipelines.dlt.resources.jenkins.jobs import SKIPPABLE, job_path
from pipelines.dlt.streams import BACKFILL, FULL, Page
from pipelines.errors import DplError

STREAM = "builds"
_CHANGES = "_class,kind,items[commitId,id,msg,comment,timestamp,date,author[fullName],authorEmail,affectedPaths]"
BUILD_FIELDS = (
    "number,id,url,displayName,fullDisplayName,description,timestamp,duration,estimatedDuration,result,building,"
    "inProgress,keepLog,queueId,builtOn,culprits[fullName],artifacts[fileName,relativePath],"
    "actions[parameters[_class,name,value],causes[*],lastBuiltRevision[SHA1,branch[SHA1,name]],remoteUrls],"
    f"changeSet[{_CHANGES}],changeSets[{_CHANGES}]"
)


class AllBuildsPaginator(OffsetPaginator):
    """An OffsetPaginator whose offset and limit go into `tree=allBuilds[...]{offset,end}`.

    Pages down the newest-first list by build number: it stops once a page holds a build numbered
    `stop_at` or lower, on an empty or short page (the job has no more builds) — in all three cases
    `reached` is set: everything from the newest entry down to `stop_at` was listed — or, without
    `reached`, when a page brings no lower number than the pages before (no progress). The first
    range holds `first_limit` entries (the builds the listing announced), the next ones `limit`.
    """

    def __init__(self, fields: str, limit: int, stop_at: int, first_limit: int | None = None) -> None:
        super().__init__(limit=limit, offset=0, total_path=None, maximum_offset=None, stop_after_empty_page=True)
        self.fields = fields
        self.stop_at = stop_at
        self.first_limit = max(1, min(first_limit or limit, limit))
        self.reached = False
        self.lowest: int | None = None

    def init_request(self, request) -> None:
        """Start at offset 0 (the tree range replaces the offset/limit parameters)."""
        self._has_next_page = True
        self.current_value = self.initial_value
        self.reached, self.lowest = False, None
        self.update_request(request)

    def _size(self) -> int:
        return self.first_limit if self.current_value == self.initial_value else self.limit

    def update_request(self, request) -> None:
        """Write the current range into `tree=`."""
        end = self.current_value + self._size()
        request.params = {**(request.params or {}), "tree": f"allBuilds[{self.fields}]{{{self.current_value},{end}}}"}

    def update_state(self, response, data=None) -> None:
        """Advance the offset; stop at `stop_at`, at the end of the list, or when paging makes no progress."""
        requested = self._size()
        self.current_value += requested
        numbers = [b["number"] for b in data or [] if isinstance(b, dict) and isinstance(b.get("number"), int)]
        low = min(numbers, default=None)
        if not data or len(data) < requested or (low is not None and low <= self.stop_at):
            self.reached, self._has_next_page = True, False
        elif low is None or (self.lowest is not None and low >= self.lowest):
            self._has_next_page = False  # no lower numbers than before: give up, `reached` stays False
        if low is not None:
            self.lowest = low if self.lowest is None else min(self.lowest, low)


def get_builds(tree, page_size: int) -> Iterator[Page]:
    """Pages of new (or still running) builds of every selected job."""
    ctx = tree.ctx
    for job in tree.jobs():
        name = job.get("fullName") or job.get("name")
        last = (job.get("lastBuild") or {}).get("number")
        if last is None:
            ctx.log.debug("jenkins/builds: %s has no builds", name)
            continue
        first = job.get("firstBuild") or {}
        try:
            yield from _job_builds(
                tree, name, int(last), int(first.get("number") or 1), first.get("timestamp"), page_size
            )
        except DplError as exc:
            if exc.error_class not in SKIPPABLE:
                raise
            ctx.record_gap(STREAM, name, exc.error_class, f"builds not read: {exc.message}")


def _recreated(last: int, first: int, first_ms, floor: int, floor_ms: int | None) -> str | None:
    """Why the job looks deleted and created again since the cursor was written, or None."""
    if last < floor:
        return f"last build #{last} is below the cursor #{floor}"
    if floor_ms and isinstance(first_ms, int) and first <= floor and first_ms > floor_ms:
        return f"first build #{first} started after every build read up to the cursor #{floor}"
    return None


def _job_builds(tree, name: str, last: int, first: int, first_ms, page_size: int) -> Iterator[Page]:
    ctx = tree.ctx
    mode = ctx.stream_mode(STREAM)
    stored_raw = ctx.cursor(STREAM, name)
    stored = stored_number(stored_raw)
    number, built_ms = decode_cursor(stored_raw)
    floor = 0 if mode in (FULL, BACKFILL) or number is None else number
    if mode not in (FULL, BACKFILL) and number is not None:
        why = _recreated(last, first, first_ms, number, built_ms)
        if why:
            ctx.log.warning("jenkins/builds: %s was recreated (%s): reading all its builds", name, why)
            floor, built_ms = 0, None
    if last <= floor:
        return
    low = max(floor, first - 1)  # every wanted build is numbered above `low`
    since_ms = ctx.since(STREAM, name).timestamp() * 1000 if mode == BACKFILL else None
    paginator = AllBuildsPaginator(BUILD_FIELDS, page_size, low + 1, last - low)
    parent, seen, running, newest_ms = {"job": name}, set(), [], built_ms or 0
    for page in tree.client.paginate(f"{job_path(name)}/api/json", paginator=paginator, data_selector="allBuilds"):
        windowed = [b for b in page if since_ms is None or (b.get("timestamp") or 0) >= since_ms]
        fresh = []
        for b in windowed:
            if isinstance(b.get("number"), int) and b["number"] > floor and b["number"] not in seen:
                fresh.append(b)
                seen.add(b["number"])  # a build started while paging shifts the list: entries come again
        running += [b["number"] for b in fresh if b.get("building")]
        newest_ms = max([newest_ms, *(b["timestamp"] for b in fresh if isinstance(b.get("timestamp"), int))])
        yield Page(STREAM, fresh, scope=name, parent=parent, checkpoint=stored or 0, skipped=len(page) - len(fresh))
        if len(windowed) < len(page):
            break  # older than the backfill window from here on
    if since_ms is not None:
        return  # a backfill window does not prove every build past the cursor was read: the cursor stays
    if not paginator.reached:
        ctx.log.warning(
            "jenkins/builds: %s: paging stopped above #%d (the list made no progress); cursor kept", name, low + 1
        )
        return
    top = max(seen, default=floor)
    _note_deleted(ctx, name, set(range(low + 1, top + 1)) - seen)
    done = min(running) - 1 if running else top
    checkpoint = encode_cursor(max(done, floor), newest_ms or None)
    yield Page(STREAM, [], scope=name, parent=parent, checkpoint=max(checkpoint, stored or 0))


def _note_deleted(ctx, name: str, missing: set[int]) -> None:
    if missing:
        shown = ", ".join(f"#{n}" for n in sorted(missing)[:10]) + (" ..." if len(missing) > 10 else "")
        ctx.log.info(
            "jenkins/builds: %s: %d build(s) no longer exist (retention or deleted): %s", name, len(missing), shown
        )
