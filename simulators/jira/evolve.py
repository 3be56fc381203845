"""`advance(world, n)`: what happens on a Jira site between two syncs, deterministically.

Each step moves the world clock `step_minutes` forward. Inside a step, existing issues are updated
(every update is one changelog entry, sometimes with a new comment or worklog, an edited comment or
worklog, a deleted worklog or a new link), new issues are created and a few leaf issues are deleted.
Events stay at least three minutes before the clock, outside the minute `/worklog/updated` hides.
"""

from __future__ import annotations

from simulators.jira.changes import add_history
from simulators.jira.model import MINUTE, Comment, History, Issue, Worklog
from simulators.jira.world import JiraWorld


def advance(world: JiraWorld, n: int = 1) -> dict:
    """Advance `n` steps; return the keys of issues updated, created and deleted."""
    rng, scale = world.rng, world.scale
    step = int(scale["step_minutes"]) * MINUTE
    updated: list[str] = []
    created: list[str] = []
    deleted: list[str] = []
    for _ in range(n):
        world.step += 1
        at, world.now = world.now, world.now + step
        rate = float(scale["deletes_per_step"])
        deletes = int(rate) + (rng.random() < rate % 1)
        events = int(scale["updates_per_step"]) + int(scale["new_issues_per_step"]) + deletes
        gap = max((step - 3 * MINUTE) // (events + 1), 2)
        for _ in range(int(scale["updates_per_step"])):
            at += rng.randrange(1, gap)
            issue = _pick(world, lambda i: True)
            if issue:
                updated.extend(update_issue(world, issue, at))
        for _ in range(int(scale["new_issues_per_step"])):
            at += rng.randrange(1, gap)
            issue = world.new_issue(rng.randrange(len(world.projects)), at)
            if rng.random() < 0.5:
                issue.comments.append(Comment(world.next_id("comment"), issue.reporter, at, at, rng.getrandbits(16)))
            created.append(issue.key)
        for _ in range(deletes):
            at += rng.randrange(1, gap)
            issue = _pick(world, lambda i: i.children == 0)
            if issue:
                delete_issue(world, issue, at)
                deleted.append(issue.key)
    world.version += 1
    return {
        "step": world.step,
        "now": world.now,
        "updated": sorted(set(updated) - set(deleted)),
        "created": [k for k in created if k not in deleted],
        "deleted": deleted,
    }


def update_issue(world: JiraWorld, issue: Issue, at: int) -> list[str]:
    """One update of an issue at time `at`: a field change plus, sometimes, comments/worklogs/links."""
    rng = world.rng
    author = rng.choice(world.participants)
    add_history(world, issue, rng, at, author)
    if rng.random() < 0.5:
        issue.comments.append(Comment(world.next_id("comment"), author, at, at, rng.getrandbits(16)))
    if rng.random() < 0.3:
        seconds = rng.choice((900, 1800, 3600, 7200))
        issue.worklogs.append(
            Worklog(world.next_id("worklog"), author, at - seconds * 1000, at, at, seconds, rng.getrandbits(16))
        )
    if issue.comments and rng.random() < 0.1:
        index = rng.randrange(len(issue.comments))
        issue.comments[index] = issue.comments[index]._replace(updated=at, seed=rng.getrandbits(16))
    if issue.worklogs and rng.random() < 0.05:
        index = rng.randrange(len(issue.worklogs))
        issue.worklogs[index] = issue.worklogs[index]._replace(updated=at, seconds=issue.worklogs[index].seconds + 900)
    if issue.worklogs and rng.random() < 0.05:
        gone = issue.worklogs.pop(rng.randrange(len(issue.worklogs)))
        world.deleted_worklogs.append((gone.id, at))
    touched = [issue.key]
    if rng.random() < 0.05:
        other = _pick(world, lambda i: i.id != issue.id)
        if other:
            world.link(issue.id, other.id, rng.randrange(4))
            link_id = issue.links[-1].id
            for one, two in ((issue, other), (other, issue)):
                one.histories.append(
                    History(world.next_id("history"), author, at, (("link", None, (link_id, two.id)),))
                )
                one.updated = at
            touched.append(other.key)
    issue.updated = at
    return touched


def delete_issue(world: JiraWorld, issue: Issue, at: int) -> None:
    """Delete an issue: gone from search and census, 404 on GET; its worklogs show in /worklog/deleted."""
    issue.deleted = True
    world.deleted_worklogs.extend((w.id, at) for w in issue.worklogs)
    for link in issue.links:
        other = world.issues[link.other]
        other.links = [k for k in other.links if k.id != link.id]
    if issue.parent:
        parent = world.issues[issue.parent]
        parent.children -= 1
        parent.subtasks = [s for s in parent.subtasks if s != issue.id]
    world.version += 1


def _pick(world: JiraWorld, accept) -> Issue | None:
    ids = list(world.issues)
    for _ in range(50):
        issue = world.issues[ids[world.rng.randrange(len(ids))]]
        if not issue.deleted and not world.projects[issue.project].forbidden and accept(issue):
            return issue
    return None
