"""The Jira simulator's compact state: small records from which every payload is rendered on request.

Times are epoch milliseconds (UTC). Payloads are never stored, so 50k issues fit in memory and the
embedded, per-issue and bulk views of the same comment/worklog/history are JSON-equal by construction.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

MINUTE = 60_000
DAY = 1440 * MINUTE


class User(NamedTuple):
    account_id: str
    name: str
    time_zone: str
    email: str
    active: bool
    account_type: str  # "atlassian" or "app"


class Project(NamedTuple):
    index: int
    id: int
    key: str
    name: str
    lead: int  # user index
    forbidden: bool  # answers 403 to everything project-scoped


class Version(NamedTuple):
    id: int
    project: int  # project index
    name: str
    start_ms: int
    release_ms: int
    released: bool
    archived: bool


class Board(NamedTuple):
    id: int
    name: str
    type: str  # scrum | kanban | simple
    project: int
    supports_sprints: bool


class Sprint(NamedTuple):
    id: int
    board: int  # board id
    name: str
    state: str  # closed | active | future
    start_ms: int
    end_ms: int
    complete_ms: int | None
    goal: str


class Comment(NamedTuple):
    id: int
    author: int
    created: int
    updated: int
    seed: int


class Worklog(NamedTuple):
    id: int
    author: int
    started: int
    created: int
    updated: int
    seconds: int
    seed: int


class History(NamedTuple):
    id: int
    author: int
    created: int
    items: tuple  # ((code, from, to), ...)


class Link(NamedTuple):
    id: int
    type: int  # index into LINK_TYPES
    other: int  # the other issue's id
    outward: bool  # True: this issue <outward> other


class Attachment(NamedTuple):
    id: int
    author: int
    created: int
    size: int
    file: int  # index into FILENAMES


@dataclasses.dataclass(slots=True)
class Issue:
    """One issue's current state plus its child records (comments, worklogs, histories, ...)."""

    id: int
    key: str
    project: int
    type: int
    created: int
    updated: int
    reporter: int
    creator: int
    assignee: int | None
    status: int
    priority: int
    seed: int
    summary_seed: int
    desc_seed: int
    status_changed: int
    parent: int | None = None
    labels: list = dataclasses.field(default_factory=list)
    fix_versions: list = dataclasses.field(default_factory=list)
    sprints: list = dataclasses.field(default_factory=list)
    story_points: float | None = None
    reviewer: int | None = None
    approvers: tuple = ()
    resolved: int | None = None
    comments: list = dataclasses.field(default_factory=list)
    worklogs: list = dataclasses.field(default_factory=list)
    histories: list = dataclasses.field(default_factory=list)
    links: list = dataclasses.field(default_factory=list)
    attachments: list = dataclasses.field(default_factory=list)
    subtasks: list = dataclasses.field(default_factory=list)
    children: int = 0  # issues whose parent is this one (sub-tasks and epic children)
    deleted: bool = False
