"""Local corrections: each strategy with a Jira change before and after the correction, the conflicts
view and anomaly, the log, release membership and epics, idempotency, and incremental = full."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from pipelines.config import build
from pipelines.dlt.pipelines import run_source
from pipelines.dlt.streams import FULL, INCREMENTAL
from pipelines.errors import ConfigError
from pipelines.settings import load_settings
from pipelines.silver import build_silver
from pipelines.silver.corrections import CorrectionsSettings
from pipelines.silver.warehouse import connect, table_checksum
from pipelines.workbench.run import run_saved
from simulators.jira import catalog, create, env_for
from simulators.jira.model import DAY, MINUTE, History
from tests.silver.support import checksums, query, settings_for
from tests.workbench.world import SCALE, SEED

STRATEGIES = ("JIRA_WINS", "LOCAL_WINS", "NEWEST_WINS", "MANUAL")


def iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat()


@dataclasses.dataclass
class Scenario:
    """One labels correction: its strategy, whether Jira changes the field after it, when it was made."""

    strategy: str
    jira_changes_after: bool
    made_late: bool = False  # made_at after the later Jira change (NEWEST_WINS: the correction is newer)
    key: str = ""


SCENARIOS = [Scenario(s, after) for s in STRATEGIES for after in (False, True)] + [Scenario("NEWEST_WINS", True, True)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running simulator, corrections made against its clock, and helpers to change Jira and rebuild."""
    root = tmp_path_factory.mktemp("corrections")
    server = create(SEED, SCALE).start()
    world = server.world
    t0 = world.now
    issues = [i for i in world.live_issues() if i.type in (catalog.STORY, catalog.TASK, catalog.BUG)]
    for scenario, issue in zip(SCENARIOS, issues, strict=False):
        scenario.key = issue.key
    epic = next(i for i in world.live_issues() if i.type == catalog.EPIC and i.project == issues[0].project)
    story = next(i for i in issues[len(SCENARIOS) :] if i.project == epic.project and i.parent != epic.id)
    release = next(v for v in world.project_versions[story.project] if v.id not in story.fix_versions)
    corrections = [
        {
            "issue": s.key,
            "field": "labels",
            "value": ["corrected", s.strategy.lower()],
            "author": "ana@example.com",
            "reason": f"{s.strategy} test",
            "jira_updated": iso(t0),
            "made_at": iso(t0 + 2 * DAY if s.made_late else t0),
            "strategy": s.strategy,
        }
        for s in SCENARIOS
    ]
    corrections += [
        {"issue": story.key, "field": "fix_versions", "value": [release.name], "author": "bo", "reason": "shipped",
         "jira_updated": iso(t0)},
        {"issue": story.key, "field": "parent", "value": epic.key, "author": "bo", "reason": "wrong epic",
         "jira_updated": iso(t0)},
        {"issue": story.key, "field": "team", "value": "Platform", "author": "bo", "reason": "team moved",
         "jira_updated": iso(t0)},
        {"issue": "DPL-99999", "field": "labels", "value": [], "author": "bo", "reason": "typo",
         "jira_updated": iso(t0)},
    ]  # fmt: skip
    settings = settings_for(root).replace(corrections=build(CorrectionsSettings, {"corrections": corrections}))

    def sync(mode=INCREMENTAL):
        run_source(settings, "jira", mode=mode, env=env_for(server))
        build_silver(settings)

    def change_labels_after(keys):
        """Jira changes the labels of these issues an hour after the corrections were made against it."""
        with world.lock:
            world.now = t0 + 2 * 60 * MINUTE
            at = t0 + 60 * MINUTE
            for key in keys:
                issue = world.by_key[key]
                old = tuple(issue.labels)
                issue.labels = sorted({*issue.labels, "changed-in-jira"})
                issue.histories.append(
                    History(world.next_id("history"), 0, at, (("labels", old, tuple(issue.labels)),))
                )
                issue.updated = at
            world.version += 1

    sync(FULL)
    yield settings, world, story, epic, release, sync, change_labels_after
    server.stop()


CORRECTED = (
    "stg_jira__issues",
    "int_jira__correction_outcomes",
    "int_jira__corrected_issues",
    "jira_issues",
    "jira_issue_releases",
    "corrections_conflicts",
    "corrections_log",
    "anomaly_correction_conflict",
)


def corrected_checksums(settings) -> dict:
    """Checksums of the relations corrections touch (every relation is compared once, for incremental = full)."""
    with connect(settings.warehouse, read_only=True) as con:
        return {name: table_checksum(con, name) for name in CORRECTED}


def labels(settings, key) -> list[str]:
    return query(settings, "select list_sort(labels) from jira_issues where issue_key = ?", [key])[0][0]


def outcomes(settings) -> dict[str, str]:
    rows = query(settings, "select correction_id, outcome from int_jira__correction_outcomes")
    return dict(rows)


def test_corrections_through_a_jira_change(lab):
    settings, world, _, _, _, sync, change_labels_after = lab
    # 1. Jira's last change of every corrected field is before the corrections: all apply
    for s in SCENARIOS:
        assert labels(settings, s.key) == sorted(["corrected", s.strategy.lower()]), s
    assert set(outcomes(settings).values()) == {"applied", "issue_not_found"}
    assert outcomes(settings)["DPL-99999:labels"] == "issue_not_found"
    assert query(settings, "select count(*) from corrections_conflicts") == [(0,)]
    assert query(settings, "select count(*) from corrections_log") == [(len(settings.corrections.corrections),)]
    before = corrected_checksums(settings)
    build_silver(settings)  # idempotent: the log included (a build that changes nothing logs nothing)
    assert corrected_checksums(settings) == before

    # 2. Jira changes the field after the corrections were made
    changed = [s.key for s in SCENARIOS if s.jira_changes_after]
    change_labels_after(changed)
    sync()
    for s in SCENARIOS:
        jira = sorted({*world.by_key[s.key].labels})
        local = sorted(["corrected", s.strategy.lower()])
        if not s.jira_changes_after or s.strategy == "LOCAL_WINS" or s.made_late:
            expected, outcome = local, "applied"
        else:
            expected = jira
            outcome = {"JIRA_WINS": "jira_changed", "NEWEST_WINS": "jira_newer", "MANUAL": "conflict"}[s.strategy]
        assert labels(settings, s.key) == expected, s
        assert outcomes(settings)[f"{s.key}:labels"] == outcome, s
    manual = next(s.key for s in SCENARIOS if s.strategy == "MANUAL" and s.jira_changes_after)
    assert query(settings, "select issue_key, field from corrections_conflicts") == [(manual, "labels")]
    anomalies = query(settings, "select entity_key, detail from anomalies where anomaly_type = 'correction_conflict'")
    assert [key for key, _ in anomalies] == [manual] and "conflicts with a Jira change" in anomalies[0][1]
    # the log: one new row per correction whose Jira value or outcome changed, nothing for the others
    log = query(settings, "select correction_id, count(*) from corrections_log group by 1")
    assert {cid for cid, count in log if count == 2} == {f"{key}:labels" for key in changed}
    assert query(settings, "select count(*) from corrections_log where outcome = 'conflict'") == [(1,)]

    # 3. the same bronze built in full into a new warehouse: the same silver (the log aside, whose rows keep time)
    full = settings.replace(warehouse=settings.warehouse.with_name("full.duckdb"))
    build_silver(full, full=True)
    mine, theirs = checksums(settings), checksums(full)
    mine.pop("corrections_log"), theirs.pop("corrections_log")
    assert mine == theirs
    latest = (
        "select correction_id, jira_value, local_value, strategy, outcome from corrections_log "
        "qualify row_number() over (partition by correction_id order by logged_at desc) = 1 order by 1"
    )
    assert query(settings, latest) == query(full, latest)
    again = corrected_checksums(settings)
    build_silver(settings)
    assert corrected_checksums(settings) == again

    # 4. the steward re-dates the MANUAL correction (keeps it after seeing Jira's change): applied again
    redated = [
        dataclasses.replace(c, jira_updated=iso(world.now)) if c.correction_id == f"{manual}:labels" else c
        for c in settings.corrections.corrections
    ]
    resolved = settings.replace(corrections=dataclasses.replace(settings.corrections, corrections=tuple(redated)))
    build_silver(resolved)
    assert outcomes(resolved)[f"{manual}:labels"] == "applied"
    assert query(resolved, "select count(*) from corrections_conflicts") == [(0,)]


def test_release_membership_parent_epic_and_team_corrections(lab):
    settings, _, story, epic, release, _, _ = lab
    rows = query(
        settings,
        "select release_name, membership_source from jira_issue_releases where issue_key = ?",
        [story.key],
    )
    assert rows == [(release.name, "fix_version")]
    assert query(settings, "select parent_issue_key, epic_issue_key, team_name from jira_issues where issue_key = ?",
                 [story.key]) == [(epic.key, epic.key, "Platform")]  # fmt: skip
    # the Jira side is untouched: the changelog-based periods and the stg table keep Jira's values
    assert query(settings, "select parent_issue_key from stg_jira__issues where issue_key = ?", [story.key]) != [
        (epic.key,)
    ]


def test_a_saved_query_lists_the_corrections(lab):
    settings = lab[0]
    with connect(settings.warehouse, read_only=True) as con:
        result = run_saved(con, "corrections_status", {"outcome": "issue_not_found"}, 100)
    assert [row[0] for row in result.rows] == ["DPL-99999:labels"]


def one(field="team", value="x", updated="'2026-10-01T00:00:00Z'") -> str:
    """A corrections.yaml list item."""
    stamp = f", jira_updated: {updated}" if updated else ""
    return f"  - {{issue: DPL-1, field: {field}, value: {value}, author: a, reason: r{stamp}}}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("default_strategy: THEIRS\n", "default_strategy: expected one of JIRA_WINS, LOCAL_WINS, NEWEST_WINS, MANUAL"),
        ("corrections:\n" + one("labels"), "DPL-1 labels: value must be a list"),
        ("corrections:\n" + one("status"), "corrections.0.field: expected one of"),
        ("corrections:\n" + one(updated="'last tuesday'"), "jira_updated 'last tuesday' is not an ISO-8601 timestamp"),
        ("corrections:\n" + one(updated=None), "'jira_updated' is required"),
        ("corrections:\n" + one() + one(value="y"), "DPL-1 has two corrections of team"),
    ],
)
def test_a_wrong_corrections_file_is_a_one_line_config_error(tmp_path, monkeypatch, text, message):
    config = tmp_path / "config"
    config.mkdir()
    (config / "corrections.yaml").write_text(text)
    monkeypatch.setenv("DPL_CONFIG_DIR", str(config))
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value) and "\n" not in str(caught.value)
