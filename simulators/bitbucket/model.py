"""The Bitbucket world's data: repositories (commit DAG, branch heads), pull requests and their activity."""

from __future__ import annotations

import dataclasses

WORKSPACE = "demo-ws"
FINAL_STATES = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")
PAGELEN_CAP = {"pullrequests": 50, "activity": 50}  # every other list caps at 100


@dataclasses.dataclass
class Commit:
    """A git commit: `date` is the author date (epoch seconds), `parents` first-parent first."""

    hash: str
    date: float
    author: int
    message: str
    parents: list[str]


@dataclasses.dataclass
class Activity:
    """One entry of a PR's activity log."""

    kind: str  # update | comment | approval | changes_requested
    date: float
    user: int
    state: str | None = None  # for updates
    comment_id: int | None = None
    text: str = ""


@dataclasses.dataclass
class PullRequest:
    """A pull request; its `updated_on` is its latest activity."""

    id: int
    title: str
    description: str
    source: str
    dest: str
    dest_hash: str
    author: int
    created: float
    commits: list[str]  # newest first
    state: str = "OPEN"
    close_source_branch: bool = False
    merge_commit: str | None = None
    closed_by: int | None = None
    reason: str = ""
    activities: list[Activity] = dataclasses.field(default_factory=list)

    @property
    def updated(self) -> float:
        """Epoch seconds of the latest activity (or creation)."""
        return max([self.created] + [a.date for a in self.activities])

    @property
    def source_hash(self) -> str:
        """The head of the source branch."""
        return self.commits[0]


@dataclasses.dataclass
class Repo:
    """A repository: commit DAG, branch heads and pull requests."""

    slug: str
    uuid: str
    created: float
    language: str
    commits: dict[str, Commit] = dataclasses.field(default_factory=dict)
    branches: dict[str, str] = dataclasses.field(default_factory=dict)
    prs: list[PullRequest] = dataclasses.field(default_factory=list)

    @property
    def full_name(self) -> str:
        """`workspace/slug`."""
        return f"{WORKSPACE}/{self.slug}"

    @property
    def updated(self) -> float:
        """Epoch seconds of the newest commit."""
        return max(c.date for c in self.commits.values())

    def reachable(self, heads: list[str]) -> set[str]:
        """Hashes reachable from `heads` through parents."""
        seen: set[str] = set()
        todo = [h for h in heads if h in self.commits]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.commits[current].parents)
        return seen

    def log(self, include: list[str], exclude: list[str]) -> list[Commit]:
        """`git log include --not exclude`, newest first (all branches when include is empty)."""
        hashes = self.reachable(include or list(self.branches.values())) - self.reachable(exclude)
        return sorted((self.commits[h] for h in hashes), key=lambda c: (-c.date, c.hash))
