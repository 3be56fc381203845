"""Pull requests in every state, and the activity and commits of the PRs updated in the window.

The list endpoint answers OPEN only unless every `state=` is passed, so all four are. The window is
`q=updated_on >= <cursor − safety window>` per repository (no cursor, full run: no `q`), sorted
`-updated_on`: with page-numbered `next` links, a PR updated while we page moves to the front, so
it can only be seen twice, never skipped (ascending order would shift an unseen PR onto a page
already read).

`pr_activities` and `pr_commits` have their own cursors (scope = repository): the largest PR
`updated_on` whose children were read. Their pages are yielded before the PR page that carries
their parents, all in one resource, and the runner commits a resource's cursors only once all of
it is published — so a failed run re-reads, never skips. A PR's children are fetched only when the
PR is in that child stream's own window; the list is queried from the earliest window of the wanted
streams, so enabling `pr_commits` later backfills it without touching the others.

A backfill reads a time window that may start after the stored cursors: it keeps them where they
are (pages carry them as checkpoints), and the next incremental run closes the gap.
"""

from __future__ import annotations

from collections.abc import Iterator

from pipelines.dlt.streams import BACKFILL, Page
from pipelines.errors import DplError
from pipelines.timeutil import parse_iso, to_utc_iso

PR_STATES = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")
PR_PAGELEN = 50  # the API's cap for pull requests and their activity
CHILDREN = {"pr_activities": ("activity", 50), "pr_commits": ("commits", 100)}


def get_pull_requests(workspace) -> Iterator[Page]:
    """Pages of PRs (and their children) for every selected repository."""
    ctx = workspace.ctx
    wanted = [s for s in ("pull_requests", *CHILDREN) if ctx.wants(s)]
    if not wanted:
        return
    for repo in workspace.repos():
        name = repo["full_name"]
        try:
            yield from _repository(workspace, name, wanted)
        except DplError as exc:
            workspace.skip("pull_requests", name, exc)


def _repository(workspace, name: str, wanted: list[str]) -> Iterator[Page]:
    ctx = workspace.ctx
    windows = {stream: ctx.since(stream, name) for stream in wanted}
    params = {"state": list(PR_STATES), "sort": "-updated_on", "pagelen": PR_PAGELEN}
    if None not in windows.values():
        params["q"] = f"updated_on >= {min(windows.values()):%Y-%m-%dT%H:%M:%S}+00:00"
    marks = {stream: ctx.cursor(stream, name) for stream in CHILDREN if stream in wanted}
    held = {s: ctx.cursor(s, name) if ctx.stream_mode(s) == BACKFILL else None for s in wanted}
    for records in workspace.pages(f"/repositories/{name}/pullrequests", params, counted=("pull_requests", name)):
        for pr in records:
            updated = parse_iso(pr["updated_on"])
            for stream in marks:
                if windows[stream] is None or updated >= windows[stream]:
                    marks[stream] = max(filter(None, (marks[stream], to_utc_iso(updated))))
                    checkpoint = held[stream] or marks[stream]
                    yield from _children(workspace, stream, name, pr["id"], checkpoint)
        if "pull_requests" in wanted:
            yield Page(
                "pull_requests", records, scope=name, parent={"repository": name}, checkpoint=held["pull_requests"]
            )


def _children(workspace, stream: str, name: str, pr_id: int, checkpoint: str) -> Iterator[Page]:
    endpoint, pagelen = CHILDREN[stream]
    parent = {"repository": name, "pull_request_id": pr_id}
    try:
        for records in workspace.pages(f"/repositories/{name}/pullrequests/{pr_id}/{endpoint}", {"pagelen": pagelen}):
            yield Page(stream, records, scope=name, parent=parent, checkpoint=checkpoint)
    except DplError as exc:
        workspace.skip(stream, f"{name}#{pr_id}", exc)
