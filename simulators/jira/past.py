"""The past of a generated Jira issue: starting versions, labels and sprints, then its changelog,
comments, worklogs and attachments spread over its life (always before the world clock)."""

from __future__ import annotations

import random

from simulators.jira import catalog
from simulators.jira.changes import add_history
from simulators.jira.model import DAY, MINUTE, Attachment, Comment, Issue, Worklog


def plan(world, issue: Issue, rng: random.Random) -> None:
    """Versions, labels and sprints an issue starts with."""
    versions = [v for v in world.project_versions[issue.project] if v.release_ms >= issue.created]
    if versions and rng.random() < 0.6:
        issue.fix_versions = [versions[0].id]
        if rng.random() < 0.3:
            issue.labels.append(f"release-{versions[0].name}")
    elif versions and rng.random() < 0.1:
        issue.labels.append(f"release-{versions[-1].name}")  # label-only release membership
    if rng.random() < 0.4:
        issue.labels.append(rng.choice(catalog.LABELS))
    sprints = [s for s in world.project_sprints[issue.project] if world.sprints[s].end_ms >= issue.created]
    if sprints and issue.type != catalog.EPIC and rng.random() < 0.6:
        issue.sprints = sprints[: rng.choice((1, 1, 2))]


def fill_history(
    world,
    issue: Issue,
    created: int,
    rng: random.Random,
    comments: int | None,
    worklogs: int | None,
    histories: int | None,
) -> None:
    """Give a new issue its past: changelog entries, comments, worklogs, attachments; set `updated`."""
    end = min(world.now - 10 * MINUTE, created + rng.randrange(1, 120) * DAY)
    life = max(end - created, MINUTE)

    def times(count: int) -> list[int]:
        return sorted(created + 1000 + rng.randrange(life) for _ in range(count))

    people = [p for p in (issue.reporter, issue.assignee) if p is not None] + world.participants[:5]
    for at in times(histories if histories is not None else min(1 + int(rng.expovariate(0.12)), 60)):
        add_history(world, issue, rng, at, world.automation if rng.random() < 0.05 else rng.choice(people))
    for at in times(comments if comments is not None else min(int(rng.expovariate(0.35)), 30)):
        edited = at + rng.randrange(1, 3 * DAY) if rng.random() < 0.1 else at
        issue.comments.append(
            Comment(world.next_id("comment"), rng.choice(people), at, min(edited, end), rng.getrandbits(16))
        )
    for at in times(worklogs if worklogs is not None else min(int(rng.expovariate(0.6)), 30)):
        seconds = rng.choice((900, 1800, 3600, 7200, 14400, 28800))
        issue.worklogs.append(
            Worklog(
                world.next_id("worklog"),
                rng.choice(people),
                at - seconds * 1000,
                at,
                at,
                seconds,
                rng.getrandbits(16),
            )
        )
    if rng.random() < 0.15:
        for at in times(rng.randrange(1, 4)):
            issue.attachments.append(
                Attachment(
                    world.next_id("attachment"),
                    rng.choice(people),
                    at,
                    rng.randrange(200, 5_000_000),
                    rng.randrange(len(catalog.FILENAMES)),
                )
            )
    issue.updated = max(
        [issue.created]
        + [h.created for h in issue.histories[-1:]]
        + [c.updated for c in issue.comments]
        + [w.updated for w in issue.worklogs]
        + [a.created for a in issue.attachments[-1:]]
    )
