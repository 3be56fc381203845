"""Field changes of simulated issues: each one mutates the issue and returns its changelog items.

Used by world generation (an issue's past) and by `advance` (updates between runs), so the current
field values always equal the last `to` of their changelog entries.
"""

from __future__ import annotations

import random

from simulators.jira import catalog
from simulators.jira.model import History, Issue

KINDS = (
    "status",
    "assignee",
    "priority",
    "labels",
    "sprint",
    "story_points",
    "summary",
    "fix_version",
    "rank",
    "description",
)
KIND_WEIGHTS = (35, 15, 8, 8, 8, 8, 4, 5, 5, 4)
KIND_TABLE = tuple(kind for kind, weight in zip(KINDS, KIND_WEIGHTS, strict=True) for _ in range(weight))
DONE = 2  # status category index of "done"


def change_field(world, issue: Issue, rng: random.Random, at: int) -> tuple:
    """Apply one random field change to `issue` at time `at`; return the changelog items."""
    kind = KIND_TABLE[int(rng.random() * len(KIND_TABLE))]
    if kind == "sprint" and not world.project_sprints[issue.project]:
        kind = "status"
    if kind == "fix_version" and not world.project_versions[issue.project]:
        kind = "priority"
    if kind == "status":
        return _status(issue, rng, at)
    if kind == "assignee":
        new = _pick(rng, world.participants)
        old, issue.assignee = issue.assignee, new if new != issue.assignee else None
        return (("assignee", old, issue.assignee),)
    if kind == "priority":
        old, issue.priority = issue.priority, (issue.priority + _pick(rng, (1, 2, 3, 4))) % len(catalog.PRIORITIES)
        return (("priority", old, issue.priority),)
    if kind == "labels":
        old = tuple(issue.labels)
        label = _pick(rng, catalog.LABELS)
        issue.labels = sorted(set(issue.labels) ^ {label})
        return (("labels", old, tuple(issue.labels)),)
    if kind == "sprint":
        old = tuple(issue.sprints)
        sprint = _pick(rng, world.project_sprints[issue.project])
        issue.sprints = sorted(set(issue.sprints) | {sprint})
        return (("sprint", old, tuple(issue.sprints)),)
    if kind == "story_points":
        old, issue.story_points = issue.story_points, float(_pick(rng, (1, 2, 3, 5, 8, 13)))
        return (("story_points", old, issue.story_points),)
    if kind == "summary":
        old, issue.summary_seed = issue.summary_seed, rng.getrandbits(20)
        return (("summary", old, issue.summary_seed),)
    if kind == "description":
        old, issue.desc_seed = issue.desc_seed, rng.getrandbits(20)
        return (("description", old, issue.desc_seed),)
    if kind == "fix_version":
        old = tuple(issue.fix_versions)
        issue.fix_versions = [_pick(rng, world.project_versions[issue.project]).id]
        return (("fix_version", old, tuple(issue.fix_versions)),)
    return (("rank", 0, 1),)


def _status(issue: Issue, rng: random.Random, at: int) -> tuple:
    old = issue.status
    issue.status = _pick(rng, catalog.WORKFLOW[old])
    issue.status_changed = at
    items = [("status", old, issue.status)]
    was_done = catalog.STATUSES[old][3] == DONE
    is_done = catalog.STATUSES[issue.status][3] == DONE
    if is_done and not was_done:
        issue.resolved = at
        items.append(("resolution", None, 1))
    elif was_done and not is_done:
        issue.resolved = None
        items.append(("resolution", 1, None))
    return tuple(items)


def _pick(rng: random.Random, seq):
    return seq[int(rng.random() * len(seq))]


def add_history(world, issue: Issue, rng: random.Random, at: int, author: int) -> History:
    """Make one field change and record it as a changelog entry."""
    history = History(world.next_id("history"), author, at, change_field(world, issue, rng, at))
    issue.histories.append(history)
    return history
