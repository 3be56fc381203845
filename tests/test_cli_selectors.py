"""Selectors through the real entry points (CLI subprocesses, Make) against the simulators: a wrong SOURCE,
STREAM, PROJECT, REPO or JOB is one line and exit 2; scoped syncs move only their units' cursors; `check`
verifies the configured projects, repositories and jobs; a PARTIAL run exits 4."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pipelines.bronze.ledger import read_cursors, read_ledger
from pipelines.dlt.resources import jira
from pipelines.errors import PARTIAL_EXIT
from tests.conftest import REPO
from tests.helpers import run_cli

SOURCES = "jira, bitbucket, jenkins"


cli = run_cli


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def config_with(tmp_path, monkeypatch, old: str, new: str):
    config = tmp_path / "config"
    if not config.exists():
        shutil.copytree(REPO / "config", config)
    text = (config / "sources.yaml").read_text()
    assert old in text
    (config / "sources.yaml").write_text(text.replace(old, new, 1))
    monkeypatch.setenv("DPL_CONFIG_DIR", str(config))


@pytest.mark.parametrize(
    "args",
    [
        ("stats", "--source", "zzmissing"),
        ("show-runs", "--source", "zzmissing"),
        ("show-cursors", "--source", "zzmissing"),
        ("units", "--source", "zzmissing"),
        ("verify", "--source", "zzmissing"),
        ("compact", "--source", "zzmissing"),
        ("sync", "zzmissing"),
        ("backfill", "--days", "3", "--source", "zzmissing"),
        ("sync-due", "--source", "zzmissing", "--dry-run"),
        ("reset", "--source", "zzmissing", "--streams", "issues", "--yes"),
    ],
    ids=lambda a: a[0],
)
def test_an_unknown_source_is_one_line_listing_the_sources(args):
    code, out, err = cli(*args)
    assert code == 2, out + err
    line = one_error_line(err)
    assert "SOURCE=zzmissing" in line and SOURCES in line and "[CONFIG]" in line


@pytest.mark.parametrize(
    "args",
    [
        ("stats", "--source", "jira", "--stream", "zzmissing"),
        ("stats", "--stream", "zzmissing"),
        ("sync", "jira", "--streams", "issues,zzmissing"),
        ("backfill", "--days", "3", "--streams", "zzmissing"),
        ("reset", "--source", "jenkins", "--streams", "zzmissing", "--yes"),
    ],
    ids=lambda a: "-".join(a[:2]),
)
def test_an_unknown_stream_is_one_line_listing_the_streams(args):
    code, out, err = cli(*args)
    assert code == 2, out + err
    line = one_error_line(err)
    assert "STREAM=zzmissing" in line and "expected one of:" in line


def test_make_reports_the_line_and_exits_2():
    """Through Make (which exits 2 for any failing recipe) the one line is still there."""
    done = subprocess.run(
        ["make", "-s", "-C", str(REPO), "stats", "SOURCE=zzmissing"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert "SOURCE=zzmissing: unknown source; expected one of: jira, bitbucket, jenkins" in done.stderr


def test_a_scope_flag_of_another_source_is_refused():
    code, _out, err = cli("sync", "bitbucket", "--project", "DPL")
    assert code == 2 and "PROJECT= scopes jira, not bitbucket: for bitbucket use REPO=" in one_error_line(err)
    code, _out, err = cli("sync", "jira", "--project", "DPL", "--job", "x")
    assert code == 2 and "scope different sources" in one_error_line(err)


def changed(before: dict, after: dict) -> set:
    return {key for key, value in after.items() if before.get(key) != value}


def test_jira_project_scope_moves_only_that_projects_cursors(start_sim, sim_env, tmp_path):
    server = start_sim("jira", scale={"issues": 60})
    sim_env("jira", server)
    bronze = tmp_path / "bronze"
    assert cli("sync", "jira")[0] == 0
    before = read_cursors(bronze, "jira")
    server.world.advance(4)
    code, out, err = cli("sync", "jira", "--project", "DPL")
    assert code == 0, out + err
    moved = changed(before, read_cursors(bronze, "jira"))
    assert moved and {scope for _, scope in moved} == {"DPL"}
    assert "issues" in {stream for stream, _ in moved} and {stream for stream, _ in moved} <= set(jira.SCOPED_STREAMS)
    scoped = read_ledger(bronze, "jira", "runs")[-1]
    assert scoped["scope"] == "DPL" and scoped["status"] == "success"
    assert '"projects"' not in scoped["streams"]  # site-wide catalogs are left to unscoped runs

    code, out, err = cli("units", "--source", "jira", "--json")  # a scoped run is no unit's last run
    assert code == 0 and scoped["run_id"] not in out

    code, out, err = cli("sync", "jira", "--project", "NOPE")
    line = one_error_line(err)
    assert code == 2 and "PROJECT=NOPE: not listed by /project/search" in line and "DPL" in line
    code, out, err = cli("sync", "jira", "--project", "DPL", "--streams", "projects")
    assert code == 2 and "STREAM=projects covers all of jira" in one_error_line(err)
    code, out, err = cli("backfill", "--days", "2", "--project", "dpl")  # PROJECT= alone means SOURCE=jira
    assert code == 2 and "PROJECT=dpl: not a Jira project key" in one_error_line(err)


def test_a_project_outside_the_configured_ones_is_refused_before_any_call(start_sim, sim_env, tmp_path, monkeypatch):
    server = start_sim("jira", scale={"issues": 10})
    sim_env("jira", server)
    config_with(tmp_path, monkeypatch, "projects: []  ", "projects: [DPL, WEB]  ")
    server.reset_log()
    code, _out, err = cli("sync", "jira", "--project", "OPS")
    assert code == 2 and "PROJECT=OPS: not in jira.projects of sources.yaml; expected one of: DPL, WEB" in err
    assert server.requests() == []


def test_bitbucket_repo_and_jenkins_job_scopes(start_sim, sim_env, tmp_path):
    bitbucket, jenkins = start_sim("bitbucket"), start_sim("jenkins")
    sim_env("bitbucket", bitbucket)
    sim_env("jenkins", jenkins)
    bronze = tmp_path / "bronze"
    assert cli("sync", "bitbucket")[0] == 0 and cli("sync", "jenkins")[0] == 0
    before_bb, before_jk = read_cursors(bronze, "bitbucket"), read_cursors(bronze, "jenkins")
    bitbucket.world.advance(5)
    jenkins.world.advance(5)

    code, out, err = cli("sync", "bitbucket", "--repo", "payments")
    assert code == 0, out + err
    assert {scope for _, scope in changed(before_bb, read_cursors(bronze, "bitbucket"))} == {"demo-ws/payments"}
    code, out, err = cli("sync", "bitbucket", "--repo", "zzmissing")
    assert code == 2 and "REPO=zzmissing: no repository demo-ws/zzmissing readable" in one_error_line(err)
    code, out, err = cli("sync", "bitbucket", "--repo", "other-ws/payments")
    assert code == 2 and "not in workspace demo-ws" in one_error_line(err)

    code, out, err = cli("sync", "jenkins", "--job", "platform/services")  # a folder: every job in it
    assert code == 0, out + err
    moved = {scope for _, scope in changed(before_jk, read_cursors(bronze, "jenkins"))}
    assert moved and all(scope.startswith("platform/services/") for scope in moved)
    assert read_ledger(bronze, "jenkins", "runs")[-1]["scope"] == "platform/services"
    code, out, err = cli("sync", "jenkins", "--job", "no/such-job")
    line = one_error_line(err)
    assert code == 2 and "JOB=no/such-job: no such job" in line and "deploy-prod" in line


def test_check_verifies_configured_projects(start_sim, sim_env, tmp_path, monkeypatch):
    sim_env("jira", start_sim("jira", scale={"issues": 10}))
    config_with(tmp_path, monkeypatch, "projects: []  ", "projects: [DPL, NOPE]  ")
    code, out, err = cli("check")
    assert code == 1 and "jira: FAILED [NOT_FOUND] jira.projects in sources.yaml names NOPE" in out
    config_with(tmp_path, monkeypatch, "projects: [DPL, NOPE]  ", "projects: [DPL]  ")
    code, out, err = cli("check")
    assert code == 0 and "projects DPL readable" in out, out + err


def test_check_verifies_configured_repositories_and_jobs(start_sim, sim_env, tmp_path, monkeypatch):
    sim_env("bitbucket", start_sim("bitbucket"))
    sim_env("jenkins", start_sim("jenkins"))
    config_with(tmp_path, monkeypatch, "repositories: []  ", "repositories: [payments, gone]  ")
    text = (tmp_path / "config" / "sources.yaml").read_text()
    jenkins_include = 'include: ["*"]           # globs on the job full name'
    assert jenkins_include in text
    (tmp_path / "config" / "sources.yaml").write_text(
        text.replace(jenkins_include, 'include: ["platform/*", "zzmissing/*"]  # globs on the job full name')
    )
    code, out, err = cli("check")
    assert code == 1, out + err
    assert "bitbucket: FAILED [NOT_FOUND] bitbucket.repositories in sources.yaml names gone (NOT_FOUND)" in out
    assert "jenkins: FAILED [NOT_FOUND] jenkins.include in sources.yaml: zzmissing/* match no job" in out


def test_a_partial_run_exits_4_alone_and_through_sync_all(start_sim, sim_env, tmp_path, monkeypatch):
    sim_env("jira", start_sim("jira", scale={"issues": 10}))
    config_with(tmp_path, monkeypatch, "projects: []  ", "projects: [DPL, NOPE]  ")
    code, out, err = cli("sync", "jira", "--streams", "issues")
    assert code == PARTIAL_EXIT, out + err
    assert "jira: PARTIAL run" in out and "gap: issues/NOPE: [NOT_FOUND]" in out
    assert read_ledger(tmp_path / "bronze", "jira", "runs")[-1]["status"] == "partial"
    code, out, err = cli("sync-all")
    assert code == PARTIAL_EXIT and "jira PARTIAL (exit 4)" in out, out + err
