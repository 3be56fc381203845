"""The Jira simulator's world: deterministic generation from a seed, and `advance()` between runs.

Scale knobs (all optional, see DEFAULT_SCALE): sizes (projects, issues, users, boards, sprints,
versions), the share of issues with long comment/worklog/changelog lists and their lengths, a number of
projects that answer 403 (`forbidden_projects`), the world clock (`now`) and what one `advance` step does.
"""

from __future__ import annotations

import bisect
import itertools
import random
from zoneinfo import ZoneInfo

from simulators.common import World
from simulators.jira import catalog
from simulators.jira.model import DAY, MINUTE, Board, History, Issue, Link, Project, Sprint, User, Version
from simulators.jira.past import fill_history, plan

DEFAULT_SCALE = {
    "projects": 4,
    "issues": 300,
    "users": 24,
    "forbidden_projects": 0,  # the last N projects answer 403
    "versions_per_project": 6,
    "sprints_per_board": 12,
    "kanban_boards": 1,
    "simple_boards": 1,  # team-managed boards without sprints: "The board does not support sprints"
    "custom_fields": 110,
    "long_share": 0.02,  # share of issues with a long comment / worklog / changelog list (each drawn apart)
    "long_comments": 150,
    "long_worklogs": 300,
    "long_changelog": 250,
    "span_days": 540,
    "now": 1793491200000,  # world clock, epoch ms (2026-11-01T00:00:00Z); advance() moves it forward
    "user_timezone": "America/Los_Angeles",  # the API user's zone: payload offsets and zone-less JQL dates
    "step_minutes": 15,
    "updates_per_step": 4,
    "new_issues_per_step": 1,
    "deletes_per_step": 0.25,
    "incidents": 6,  # of `issues`: resolved Incidents in the last 60 days (OPS), at most one per 50 issues
}


class JiraWorld(World):
    """Projects, versions, boards, sprints, users and issues with their comments, worklogs and changelogs."""

    def __init__(self, seed: int, scale: dict | None = None) -> None:
        super().__init__(seed)
        unknown = set(scale or {}) - set(DEFAULT_SCALE)
        if unknown:
            raise ValueError(f"unknown jira scale knob(s): {', '.join(sorted(unknown))}")
        self.scale = {**DEFAULT_SCALE, **(scale or {})}
        self.now = int(self.scale["now"])
        self.tz = ZoneInfo(self.scale["user_timezone"])
        self.version = 0  # bumped on every change; search snapshots and caches key on it
        self.counters: dict[str, itertools.count] = {}
        self.issues: dict[int, Issue] = {}
        self.by_key: dict[str, Issue] = {}
        self.deleted_worklogs: list[tuple[int, int]] = []  # (worklog id, deleted at)
        self.custom_fields = catalog.custom_field_specs(int(self.scale["custom_fields"]))
        self._make_users()
        self._make_projects()
        self._make_boards()
        self._make_issues()
        self._make_links()
        self._make_incidents()

    def next_id(self, kind: str) -> int:
        """The next id of a kind of entity (issues, comments, worklogs, histories, links...)."""
        counter = self.counters.setdefault(kind, itertools.count(10001 if kind == "issue" else 10000))
        return next(counter)

    def live_issues(self, project: int | None = None) -> list[Issue]:
        """Issues not deleted, in creation order, optionally of one project."""
        ids = self.project_issues[project] if project is not None else list(self.issues)
        return [issue for i in ids if not (issue := self.issues[i]).deleted]

    # -- generation -------------------------------------------------------------------------

    def _make_users(self) -> None:
        rng, self.users = self.rng, []
        for i in range(int(self.scale["users"])):
            name, zone = catalog.PEOPLE[i % len(catalog.PEOPLE)]
            name = name if i < len(catalog.PEOPLE) else f"{name} {i // len(catalog.PEOPLE) + 1}"
            account = f"{rng.getrandbits(96):024x}" if i % 3 else f"712020:{rng.getrandbits(128):032x}"
            email = f"user{i}@example.com"
            self.users.append(User(account, name, zone, email, i % 11 != 10, "atlassian"))
        self.users.append(
            User("557058:f58131cb-b67d-43c7-b30d-6b58d40bd077", "Automation for Jira", "UTC", "", True, "app")
        )
        self.automation = len(self.users) - 1
        # a fifth of the accounts never touch an issue: the users stream must not fetch them
        self.participants = list(range(max(1, int(len(self.users) * 0.8))))

    def _make_projects(self) -> None:
        count, forbidden = int(self.scale["projects"]), int(self.scale["forbidden_projects"])
        self.projects, self.project_versions, self.project_issues, self.seq = [], [], [], []
        start = self.now - int(self.scale["span_days"]) * DAY
        for i in range(count):
            key, name = catalog.PROJECTS[i] if i < len(catalog.PROJECTS) else (f"P{i}", f"Project {i}")
            self.projects.append(Project(i, 10000 + i, key, name, i % len(self.participants), i >= count - forbidden))
            self.project_issues.append([])
            self.seq.append(itertools.count(1))
            per = int(self.scale["versions_per_project"])
            versions = []
            for j in range(per):
                release = start + (j + 1) * (self.now - start + 60 * DAY) // per
                versions.append(
                    Version(
                        self.next_id("version"),
                        i,
                        f"{1 + j // 10}.{j % 10}",
                        release - 30 * DAY,
                        release,
                        release < self.now,
                        j < per // 4,
                    )
                )
            self.project_versions.append(versions)

    def _make_boards(self) -> None:
        self.boards, self.sprints, self.project_sprints = [], {}, [[] for _ in self.projects]
        per, length = int(self.scale["sprints_per_board"]), 14 * DAY
        kinds = [("scrum", p.index) for p in self.projects]
        kinds += [("kanban", i % len(self.projects)) for i in range(int(self.scale["kanban_boards"]))]
        kinds += [("simple", i % len(self.projects)) for i in range(int(self.scale["simple_boards"]))]
        for number, (kind, project) in enumerate(kinds, start=1):
            key = self.projects[project].key
            board = Board(number, f"{key} {'看板' if kind == 'kanban' else 'board'}", kind, project, kind == "scrum")
            self.boards.append(board)
            if not board.supports_sprints:
                continue
            for j in range(per):
                start = self.now - (per - j - 1) * length + length // 2 - length
                state = "future" if j == per - 1 else "active" if j == per - 2 else "closed"
                sprint = Sprint(
                    self.next_id("sprint") - 9999,
                    board.id,
                    f"{key} Sprint {j + 1}",
                    state,
                    start,
                    start + length,
                    start + length - DAY if state == "closed" else None,
                    "" if j % 3 else f"Ship {key} 迭代 {j + 1} 🚀",
                )
                self.sprints[sprint.id] = sprint
                self.project_sprints[project].append(sprint.id)

    def _make_issues(self) -> None:
        rng, scale = self.rng, self.scale
        total = int(scale["issues"]) - self.incident_count()
        start = self.now - int(scale["span_days"]) * DAY
        span = self.now - 2 * DAY - start
        weights = list(itertools.accumulate(1.0 / (p + 1) for p in range(len(self.projects))))
        self.epics = [[] for _ in self.projects]
        self.parents = [[] for _ in self.projects]
        forced = {total // 3: "c", total // 2: "w", (2 * total) // 3: "h"} if total >= 6 else {}
        for i in range(total):
            created = start + (i * span) // max(total, 1) + rng.randrange(span // max(total, 1) + 1)
            project = bisect.bisect(weights, rng.random() * weights[-1])
            issue = self.new_issue(project, created)
            share = float(scale["long_share"])
            mark = forced.get(i, "")
            fill_history(
                self,
                issue,
                created,
                rng,
                comments=int(scale["long_comments"]) if "c" in mark or rng.random() < share else None,
                worklogs=int(scale["long_worklogs"]) if "w" in mark or rng.random() < share else None,
                histories=int(scale["long_changelog"]) if "h" in mark or rng.random() < share else None,
            )

    def new_issue(self, project: int, created: int) -> Issue:
        """Create an issue in `project` at time `created` (no comments, worklogs or changelog yet)."""
        rng = self.rng
        kind = rng.choices(range(len(catalog.ISSUE_TYPES)), catalog.TYPE_WEIGHTS)[0]
        parent = None
        if kind == catalog.SUBTASK:
            parent = rng.choice(self.parents[project]) if self.parents[project] else None
            kind = kind if parent else catalog.TASK
        elif kind == catalog.STORY and self.epics[project] and rng.random() < 0.7:
            parent = rng.choice(self.epics[project])
        reporter = rng.choice(self.participants)
        issue = Issue(
            self.next_id("issue"),
            f"{self.projects[project].key}-{next(self.seq[project])}",
            project,
            kind,
            created,
            created,
            reporter,
            reporter,
            rng.choice(self.participants) if rng.random() < 0.8 else None,
            0,
            2 + rng.randrange(-1, 2),
            rng.getrandbits(30),
            rng.getrandbits(20),
            rng.getrandbits(20),
            created,
            parent,
        )
        if kind in (catalog.STORY, catalog.BUG):
            issue.story_points = float(rng.choice((1, 2, 3, 5, 8))) if rng.random() < 0.7 else None
        if rng.random() < 0.3:
            issue.reviewer = rng.choice(self.participants)
        if rng.random() < 0.1:
            issue.approvers = tuple(sorted(set(rng.sample(self.participants, min(2, len(self.participants))))))
        plan(self, issue, rng)
        self.issues[issue.id] = issue
        self.by_key[issue.key] = issue
        self.project_issues[project].append(issue.id)
        if parent:
            self.issues[parent].children += 1
            if kind == catalog.SUBTASK:
                self.issues[parent].subtasks.append(issue.id)
        if kind == catalog.EPIC:
            self.epics[project].append(issue.id)
        elif kind in (catalog.STORY, catalog.TASK, catalog.BUG):
            self.parents[project].append(issue.id)
        self.version += 1
        return issue

    def _make_links(self) -> None:
        rng, ids = self.rng, list(self.issues)
        for index in range(1, len(ids)):
            if rng.random() < 0.1:
                self.link(ids[index], ids[rng.randrange(index)], rng.randrange(len(catalog.LINK_TYPES)))

    def incident_count(self) -> int:
        """How many of the `issues` are incidents (at most one per 50 issues)."""
        return min(int(self.scale["incidents"]), int(self.scale["issues"]) // 50)

    def _make_incidents(self) -> None:
        """Incidents opened in the last 60 days and resolved (To Do → In Progress → In Review → Done) within hours."""
        rng = random.Random(f"{self.seed}:incidents")
        project = next((p.index for p in self.projects if p.key == "OPS"), 0)
        for _ in range(self.incident_count()):
            created = self.now - rng.randrange(DAY, 60 * DAY)
            reporter = rng.choice(self.participants)
            issue = Issue(
                self.next_id("issue"),
                f"{self.projects[project].key}-{next(self.seq[project])}",
                project,
                catalog.INCIDENT,
                created,
                created,
                reporter,
                reporter,
                reporter,
                0,
                rng.choice((0, 1)),
                rng.getrandbits(30),
                rng.getrandbits(20),
                rng.getrandbits(20),
                created,
            )
            at = created
            for old, new in ((0, 1), (1, 2), (2, 3)):
                at += rng.randrange(10 * MINUTE, 3 * 60 * MINUTE)
                items = (("status", old, new),) + ((("resolution", None, 1),) if new == 3 else ())
                issue.histories.append(History(self.next_id("history"), reporter, at, items))
            issue.status, issue.status_changed, issue.resolved, issue.updated = 3, at, at, at
            self.issues[issue.id] = issue
            self.by_key[issue.key] = issue
            self.project_issues[project].append(issue.id)
        self.version += 1

    def link(self, a: int, b: int, kind: int) -> None:
        """Link issue a (outward) to issue b (inward); both payloads show the same link id."""
        link_id = self.next_id("link")
        self.issues[a].links.append(Link(link_id, kind, b, True))
        self.issues[b].links.append(Link(link_id, kind, a, False))

    def advance(self, n: int = 1) -> dict:
        """Move the world clock `n` steps, updating, adding and deleting issues (see evolve.py)."""
        from simulators.jira.evolve import advance

        return advance(self, n)
