"""Commits per repository, incremental without re-reading history.

Why not a date filter: `/commits` cannot filter by date, and a commit's `date` is its *author* date
— a branch pushed (or rebased, or merged) today can bring commits authored last week, which any
"newer than the cursor" rule skips for good. What is new since the last run is exactly
`git log <heads now> --not <heads then>`, and Bitbucket answers that directly:
`GET /commits?include=<moved heads>&exclude=<known heads>`, newest first, `next`-linked.

The cursor (scope = repository full name) is therefore the set of branch heads seen by the last run:
`{"at": "<run start, UTC ISO>", "heads": {"<branch>": "<hash>", ...}}` — the `at` prefix keeps the
value growing, since cursors.parquet never moves a cursor backwards. Per run and repository:

- no cursor, a full run or a backfill: one walk of every branch (no include/exclude); a backfill
  stops after the first page older than its window and keeps the stored heads;
- otherwise only heads not already known are included, and every previous head is excluded (those of
  moved branches first, then of deleted branches — usually merged — then the unchanged ones, main
  first), at most `max_refs_per_call` hashes per call; nothing moved = no call. Commits reachable
  from several new heads are yielded once. If an excluded head no longer exists (force push, deleted
  unmerged branch), the walk is redone excluding only current heads: more is re-read, nothing missed.

The commit → PR mapping comes from `pr_commits` (its `__parent` names the PR).
"""

from __future__ import annotations

from collections.abc import Iterator

from pipelines.cursor_values import decode_heads, encode_heads
from pipelines.dlt.streams import BACKFILL, FULL, Page
from pipelines.errors import DplError, ErrorClass
from pipelines.sources import SourceSettings
from pipelines.timeutil import parse_iso

STREAM = "commits"


def get_commits(workspace) -> Iterator[Page]:
    """Pages of new commits for every selected repository, then its new heads as the checkpoint."""
    for repo in workspace.repos():
        name = repo["full_name"]
        heads = workspace.heads(name)
        if heads is None:
            continue
        try:
            yield from _walk_repository(workspace, repo, heads)
        except DplError as exc:
            workspace.skip(STREAM, name, exc)


def _walk_repository(workspace, repo: dict, heads: dict[str, str]) -> Iterator[Page]:
    ctx = workspace.ctx
    name = repo["full_name"]
    stored = ctx.cursor(STREAM, name)
    old = decode_heads(stored)
    new_cursor = encode_heads(ctx.started_at, heads)
    mode = ctx.stream_mode(STREAM)
    if mode in (FULL, BACKFILL) or old is None:
        since = ctx.since(STREAM, name) if mode == BACKFILL else None
        yield from _walk(workspace, name, [([], [])], stored, since)
        if since is not None and old is not None:
            return  # a window-bounded walk does not prove that older pushes were read: keep the heads
    else:
        known = set(old.values())
        moved = sorted({h for h in heads.values() if h not in known})
        if not moved:
            if heads != old:  # branches created at known commits or deleted: no call, new heads
                yield Page(STREAM, [], scope=name, parent={"repository": name}, checkpoint=new_cursor)
            return
        yield from _walk(workspace, name, _plan(repo, heads, old, moved, workspace.settings), stored)
    yield Page(STREAM, [], scope=name, parent={"repository": name}, checkpoint=new_cursor)


def _plan(repo: dict, heads: dict, old: dict, moved: list[str], settings: SourceSettings) -> list[tuple[list, list]]:
    """(include, exclude) per call: moved heads in chunks, each with as many known heads as fit."""
    limit = int(settings.option("max_refs_per_call"))
    main = (repo.get("mainbranch") or {}).get("name")
    stale = [old[b] for b in sorted(heads) if b in old and old[b] != heads[b]]
    gone = [old[b] for b in sorted(old) if b not in heads]  # mostly merged and deleted: reachable from main
    kept = sorted((old[b] for b in heads if old.get(b) == heads[b]), key=lambda h: h != old.get(main))
    exclude = list(dict.fromkeys(stale + gone + kept))
    size = max(1, min(len(moved), limit // 2))
    plan = []
    for start in range(0, len(moved), size):
        include = moved[start : start + size]
        plan.append((include, exclude[: max(limit - len(include), 0)]))
    return plan


def _walk(workspace, name: str, plan: list[tuple[list, list]], stored: str | None, since=None) -> Iterator[Page]:
    seen: set[str] = set()
    parent = {"repository": name}
    for include, exclude in plan:
        try:
            yield from _pages(workspace, name, include, exclude, seen, parent, stored, since)
        except DplError as exc:
            if exc.error_class != ErrorClass.NOT_FOUND or not exclude:
                raise
            current = set(workspace.heads(name).values())
            safe = [h for h in exclude if h in current]
            workspace.ctx.log.warning(
                "bitbucket/commits: %s: a known head is gone (%s); walking again excluding only current heads",
                name,
                exc.message,
            )
            yield from _pages(workspace, name, include, safe, seen, parent, stored, since)


def _pages(workspace, name, include, exclude, seen, parent, stored, since) -> Iterator[Page]:
    params = {"pagelen": 100}
    if include:
        params["include"] = include
    if exclude:
        params["exclude"] = exclude
    for records in workspace.pages(f"/repositories/{name}/commits", params):
        fresh = [c for c in records if c.get("hash") not in seen]
        seen.update(c.get("hash") for c in fresh)
        # Until the walk is complete the stored heads stay the checkpoint (None: nothing known yet).
        yield Page(STREAM, fresh, scope=name, parent=parent, checkpoint=stored, skipped=len(records) - len(fresh))
        if since is not None and records and all(_older(c, since) for c in records):
            return


def _older(commit: dict, since) -> bool:
    try:
        return parse_iso(commit["date"]) < since
    except (KeyError, TypeError, ValueError):
        return False
