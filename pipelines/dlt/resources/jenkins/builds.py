"""Builds per job, incremental by build number, via `allBuilds[...]{M,N}` ranges.

`builds` is capped at the newest 100, so the ranges go over `allBuilds`. The listing gives each
job's first and last build numbers; a job whose last build is not past the cursor costs no call, and
otherwise only the newest `last - max(cursor, first - 1)` entries are requested, newest first, in
`builds_page_size` ranges (`AllBuildsPaginator`, dlt's OffsetPaginator writing `{M,N}` into `tree=`).

The cursor (scope = job full name) is the highest build number below which every build was read in
its final state: a build still running (`building: true`, `result: null`) is written as it is, and
the cursor stops just under the oldest running build, so the next run reads it again — finished.
Pages carry the stored cursor until the job is complete; a last empty page carries the new one (not
in a backfill, which reads a time window and so never proves the numbers in between were read).
Builds missing from the numbering (deleted by retention or by hand) are logged, not gaps.
"""

from __future__ import annotations

from collections.abc import Iterator

from dlt.sources.helpers.rest_client.paginators import OffsetPaginator

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

    Stops at `maximum` entries, on an empty page, or on a short page (the job has no more builds).
    """

    def __init__(self, fields: str, limit: int, maximum: int) -> None:
        super().__init__(limit=limit, offset=0, total_path=None, maximum_offset=maximum)
        self.fields = fields

    def init_request(self, request) -> None:
        """Start at offset 0 (the tree range replaces the offset/limit parameters)."""
        self._has_next_page = True
        self.current_value = self.initial_value
        self.update_request(request)

    def update_request(self, request) -> None:
        """Write the current range into `tree=`."""
        end = min(self.current_value + self.limit, self.maximum_value)
        request.params = {**(request.params or {}), "tree": f"allBuilds[{self.fields}]{{{self.current_value},{end}}}"}

    def update_state(self, response, data=None) -> None:
        """Advance the offset; a page shorter than requested is the last."""
        requested = min(self.limit, self.maximum_value - self.current_value)
        super().update_state(response, data)
        if data is not None and len(data) < requested:
            self._has_next_page = False


def stored_number(value) -> int | None:
    """A build-number cursor as stored in cursors.parquet (a string), or None."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def get_builds(tree, page_size: int) -> Iterator[Page]:
    """Pages of new (or still running) builds of every selected job."""
    ctx = tree.ctx
    for job in tree.jobs():
        name = job.get("fullName") or job.get("name")
        last = (job.get("lastBuild") or {}).get("number")
        if last is None:
            ctx.log.debug("jenkins/builds: %s has no builds", name)
            continue
        try:
            yield from _job_builds(
                tree, name, int(last), int((job.get("firstBuild") or {}).get("number") or 1), page_size
            )
        except DplError as exc:
            if exc.error_class not in SKIPPABLE:
                raise
            ctx.record_gap(STREAM, name, exc.error_class, f"builds not read: {exc.message}")


def _job_builds(tree, name: str, last: int, first: int, page_size: int) -> Iterator[Page]:
    ctx = tree.ctx
    mode = ctx.stream_mode(STREAM)
    stored = stored_number(ctx.cursor(STREAM, name))
    floor = 0 if mode in (FULL, BACKFILL) or stored is None else stored
    if last < floor:
        ctx.log.warning(
            "jenkins/builds: %s: last build #%d is below the cursor #%d (job recreated?): reading all",
            name,
            last,
            floor,
        )
        floor = 0
    if last <= floor:
        return
    since_ms = ctx.since(STREAM, name).timestamp() * 1000 if mode == BACKFILL else None
    paginator = AllBuildsPaginator(BUILD_FIELDS, page_size, last - max(floor, first - 1))
    parent, seen, running = {"job": name}, set(), []
    for page in tree.client.paginate(f"{job_path(name)}/api/json", paginator=paginator, data_selector="allBuilds"):
        fresh = [
            b
            for b in page
            if isinstance(b.get("number"), int)
            and b["number"] > floor
            and (since_ms is None or (b.get("timestamp") or 0) >= since_ms)
        ]
        seen.update(b["number"] for b in fresh)
        running += [b["number"] for b in fresh if b.get("building")]
        yield Page(STREAM, fresh, scope=name, parent=parent, checkpoint=stored or 0, skipped=len(page) - len(fresh))
        if since_ms is not None and len(fresh) < len(page):
            break  # older than the backfill window from here on
    if since_ms is not None:
        return  # a backfill window does not prove every build past the cursor was read: the cursor stays
    _note_deleted(ctx, name, set(range(max(floor, first - 1) + 1, last + 1)) - seen)
    newest = max(seen, default=floor)
    done = min(running) - 1 if running else newest
    yield Page(STREAM, [], scope=name, parent=parent, checkpoint=max(done, stored or 0))


def _note_deleted(ctx, name: str, missing: set[int]) -> None:
    if missing:
        shown = ", ".join(f"#{n}" for n in sorted(missing)[:10]) + (" ..." if len(missing) > 10 else "")
        ctx.log.info(
            "jenkins/builds: %s: %d build(s) no longer exist (retention or deleted): %s", name, len(missing), shown
        )
