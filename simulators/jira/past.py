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


class Life:
    """Random times and people within one issue's active life (plain floats: fast at 50k issues)."""

    def __init__(self, world, issue: Issue, created: int, rng: random.Random) -> None:
        self.rng, self.draw = rng, rng.random
        self.created = created
        self.end = min(world.now - 10 * MINUTE, created + rng.randrange(1, 120) * DAY)
        self.length = max(self.end - created, MINUTE)
        self.people = [p for p in (issue.reporter, issue.assignee) if p is not None] + world.participants[:5]

    def times(self, count: int) -> list[int]:
        """`count` sorted moments of the issue's life."""
        return sorted([self.created + 1000 + int(self.draw() * self.length) for _ in range(count)])

    def pick(self, seq):
        """A random element of `seq`."""
        return seq[int(self.draw() * len(seq))]


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
    life = Life(world, issue, created, rng)
    for at in life.times(histories if histories is not None else min(1 + int(rng.expovariate(0.12)), 60)):
        add_history(world, issue, rng, at, world.automation if life.draw() < 0.05 else life.pick(life.people))
    add_comments(world, issue, life, comments if comments is not None else min(int(rng.expovariate(0.35)), 30))
    add_worklogs(world, issue, life, worklogs if worklogs is not None else min(int(rng.expovariate(0.6)), 30))
    if rng.random() < 0.15:
        for at in life.times(rng.randrange(1, 4)):
            size, file = rng.randrange(200, 5_000_000), rng.randrange(len(catalog.FILENAMES))
            issue.attachments.append(Attachment(world.next_id("attachment"), life.pick(life.people), at, size, file))
    issue.updated = max(
        [issue.created]
        + [h.created for h in issue.histories[-1:]]
        + [c.updated for c in issue.comments]
        + [w.updated for w in issue.worklogs]
        + [a.created for a in issue.attachments[-1:]]
    )


def add_comments(world, issue: Issue, life: Life, count: int) -> None:
    """`count` comments over the issue's life, a tenth of them edited later."""
    for at in life.times(count):
        edited = at + 1 + int(life.draw() * 3 * DAY) if life.draw() < 0.1 else at
        author, seed = life.pick(life.people), life.rng.getrandbits(16)
        issue.comments.append(Comment(world.next_id("comment"), author, at, min(edited, life.end), seed))


def add_worklogs(world, issue: Issue, life: Life, count: int) -> None:
    """`count` worklogs over the issue's life."""
    for at in life.times(count):
        seconds, author = life.pick((900, 1800, 3600, 7200, 14400, 28800)), life.pick(life.people)
        worklog = Worklog(
            world.next_id("worklog"), author, at - seconds * 1000, at, at, seconds, life.rng.getrandbits(16)
        )
        issue.worklogs.append(worklog)
