"""A fixed simulated Jira world synced into bronze and built into silver, and its facts read from the world objects.

The expectations of the workbench tests are computed here from the simulator's own objects (what Jira
holds), never by running the translator.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from pipelines.dlt.pipelines import run_source
from pipelines.dlt.streams import FULL
from pipelines.silver import build_silver
from pipelines.workbench.settings import WorkbenchSettings
from simulators.jira import catalog, create, env_for
from simulators.jira.model import DAY
from tests.silver.support import settings_for

SEED, SCALE = 11, {"issues": 150, "projects": 3}
ZONE = ZoneInfo("America/Los_Angeles")
STORY_POINTS_IDS = ("customfield_10016", "customfield_10026")


def ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def local_midnight(day: str) -> int:
    """Epoch ms of midnight of `day` (YYYY-MM-DD) in the JQL zone."""
    return ms(dt.datetime.fromisoformat(day).replace(tzinfo=ZONE))


def build_world(root: Path, corrections=None, advance: int = 0):
    """Sync the fixed world (full), optionally advance it and sync again, build silver; (settings, server world)."""
    server = create(SEED, SCALE).start()
    try:
        world = server.world
        workbench = WorkbenchSettings(
            timezone="America/Los_Angeles",
            current_user=world.users[1].account_id,
            groups={"platform": (world.users[2].account_id, world.users[3].name, world.users[4].email)},
        )
        settings = settings_for(root, {"custom_fields": {"severity": ["Severity"]}}).replace(workbench=workbench)
        if corrections is not None:
            settings = settings.replace(corrections=corrections)
        run_source(settings, "jira", mode=FULL, env=env_for(server))
        build_silver(settings)
    finally:
        server.stop()
    return settings, world


@dataclasses.dataclass
class Facts:
    """What Jira holds about each live issue, from the simulator's objects."""

    world: object

    def __post_init__(self) -> None:
        self.issues = self.world.live_issues()
        self.now = self.world.now
        self.versions = {v.id: v for vs in self.world.project_versions for v in vs}

    def keys(self, test) -> set[str]:
        return {i.key for i in self.issues if test(i)}

    # -- fields ---------------------------------------------------------------------------------

    def project(self, i) -> str:
        return self.world.projects[i.project].key

    def type_name(self, i) -> str:
        return catalog.ISSUE_TYPES[i.type][1]

    def status(self, i) -> str:
        return catalog.STATUSES[i.status][1]

    def category(self, i) -> str:
        return catalog.STATUS_CATEGORIES[catalog.STATUSES[i.status][3]][1]

    def priority(self, i) -> str:
        return catalog.PRIORITIES[i.priority][1]

    def account(self, index) -> str | None:
        return None if index is None else self.world.users[index].account_id

    def version_names(self, i) -> set[str]:
        return {self.versions[v].name for v in i.fix_versions}

    def sprint_states(self, i) -> set[str]:
        return {self.world.sprints[s].state for s in i.sprints}

    def parent_key(self, i) -> str | None:
        return self.world.issues[i.parent].key if i.parent else None

    def epic_link(self, i) -> str | None:
        parent = self.world.issues.get(i.parent) if i.parent else None
        return parent.key if parent and parent.type == catalog.EPIC else None

    def description(self, i) -> str | None:
        if not i.desc_seed % 5:
            return None
        return catalog.sentence(i.desc_seed) + " " + catalog.sentence(i.desc_seed, 2)

    def comments(self, i) -> list[str]:
        out = []
        for c in i.comments:
            text = catalog.sentence(c.seed)
            if c.seed % 5 == 0:
                text += " cc @" + self.world.users[c.author].name
            out.append(text)
        return out

    def team(self, i) -> str | None:
        return catalog.TEAMS[i.seed % 2][1] if i.seed % 4 == 1 else None

    def severity(self, i) -> str | None:
        return catalog.SEVERITIES[i.seed % len(catalog.SEVERITIES)][1] if i.type == catalog.BUG else None

    def due(self, i) -> int | None:
        if i.seed % 3:
            return None
        day = dt.datetime.fromtimestamp((i.created + 30 * DAY) / 1000, dt.UTC).date()
        return local_midnight(day.isoformat())

    # -- history --------------------------------------------------------------------------------

    def periods(self, i, code: str) -> list[tuple[object, int, int | None, int | None]]:
        """(value, from ms, to ms or None, set by user index) of a single-valued field, from the changelog."""
        changes = [(h.created, h.author, old, new) for h in i.histories for c, old, new in h.items if c == code]
        current = {"status": i.status, "assignee": i.assignee, "priority": i.priority}.get(code)
        if code == "resolution":
            current = 1 if i.resolved else None
        if not changes:
            return [(current, i.created, None, None)]
        out = [(changes[0][2], i.created, changes[0][0], None)]
        for n, (at, author, _, new) in enumerate(changes):
            end = changes[n + 1][0] if n + 1 < len(changes) else None
            out.append((new, at, end, author))
        return out

    def was(self, i, code: str, values: set, start: int | None = None, end: int | None = None) -> bool:
        """The field held one of `values` at some moment in [start, end)."""
        for value, since, until, _ in self.periods(i, code):
            if value in values and (end is None or since < end) and (start is None or until is None or until > start):
                return True
        return False

    def changes(self, i, code: str) -> list[tuple[int, int, object, object]]:
        return [(h.created, h.author, old, new) for h in i.histories for c, old, new in h.items if c == code]


def words(text: str | None, *terms: str) -> bool:
    """Every term is a whole word of `text` (case-insensitive); `term*` a prefix."""
    if not text:
        return False
    for term in terms:
        core = re.escape(term.rstrip("*")) + (r"\w*" if term.endswith("*") else "")
        if not re.search(rf"(?<!\w){core}(?!\w)", text, re.IGNORECASE):
            return False
    return True
