"""GitHub workflows: linted offline by real linters; steps call Make only; the Berlin gate."""

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipelines.ops import collect_ledgers, schedule_due
from tests.conftest import REPO

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def test_workflows_pass_the_github_workflow_schema():
    result = subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", *WORKFLOWS],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflows_pass_zizmor():
    result = subprocess.run(
        [BIN / "zizmor", "--offline", "--no-progress", REPO / ".github" / "workflows"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_steps_call_make_only(workflow):
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    for job in jobs.values():
        for step in job["steps"]:
            if "run" in step:
                assert step["run"].startswith("make "), step["run"]
            else:
                assert step["uses"].split("@")[0] in {
                    "actions/checkout",
                    "actions/setup-python",
                    "actions/upload-artifact",
                    "aws-actions/configure-aws-credentials",
                }
                assert re.fullmatch(r"[0-9a-f]{40}", step["uses"].split("@")[1]), step["uses"]  # pinned by SHA


def test_sync_workflow_triggers_and_inputs():
    spec = yaml.safe_load((REPO / ".github" / "workflows" / "sync-data.yml").read_text())
    triggers = spec[True]  # YAML 1.1 reads the key `on` as a boolean
    assert triggers["push"]["branches"] == ["main"]
    assert set(triggers["push"]["paths"]) == {"pipelines/**", "config/**", "Makefile", "requirements.txt"}
    assert [c["cron"] for c in triggers["schedule"]] == ["0 0 * * *", "0 1 * * *"]
    inputs = triggers["workflow_dispatch"]["inputs"]
    assert inputs["action"]["options"] == ["sync-all", "sync-jira", "sync-bitbucket", "sync-jenkins", "backfill"]
    assert "backfill_days" in inputs
    upload = [s for s in spec["jobs"]["sync"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert upload[0]["with"]["retention-days"] == 30


def test_team_workflow_needs_no_self_hosted_runner():
    """Bronze on S3 through OIDC, DuckLake on the team's PostgreSQL (password from a secret), same gate."""
    team = yaml.safe_load((REPO / ".github" / "workflows" / "sync-team.yml").read_text())
    data = yaml.safe_load((REPO / ".github" / "workflows" / "sync-data.yml").read_text())
    assert team[True]["schedule"] == data[True]["schedule"]
    assert team[True]["workflow_dispatch"] == data[True]["workflow_dispatch"]
    assert team["concurrency"] == {"group": "sync-team", "cancel-in-progress": False}
    assert team["permissions"] == {}
    job = team["jobs"]["sync"]
    assert job["runs-on"] == "ubuntu-latest" and job["permissions"] == {"contents": "read", "id-token": "write"}
    env = job["env"]
    assert env["DPL_BRONZE_DIR"].startswith("s3://") and env["DPL_WAREHOUSE_DATA"].startswith("s3://")
    assert env["DPL_WAREHOUSE"] == "ducklake:postgres:${{ secrets.DPL_CATALOG_CONNINFO }}"
    assert env["PGPASSWORD"] == "${{ secrets.DPL_CATALOG_PASSWORD }}"
    steps = job["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert runs[0] == 'make schedule-gate CRON="$CRON"' and "make silver anomalies" in runs
    role = next(s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert role["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}" and "aws-access-key-id" not in role["with"]
    gated = [s for s in steps if s is not steps[0] and "gate" not in s.get("id", "") and "setup-python" not in str(s)]
    assert all("steps.gate.outputs.run == 'true'" in s["if"] for s in gated)


@pytest.mark.parametrize(
    ("cron", "moment", "due"),
    [
        ("0 1 * * *", dt.datetime(2026, 1, 15, 1, 0, tzinfo=dt.UTC), True),  # winter: CET, 01:00 UTC = 02:00
        ("0 0 * * *", dt.datetime(2026, 1, 15, 0, 0, tzinfo=dt.UTC), False),
        ("0 0 * * *", dt.datetime(2026, 7, 15, 0, 0, tzinfo=dt.UTC), True),  # summer: CEST, 00:00 UTC = 02:00
        ("0 1 * * *", dt.datetime(2026, 7, 15, 1, 0, tzinfo=dt.UTC), False),
        ("0 0 * * *", dt.datetime(2026, 3, 29, 0, 40, tzinfo=dt.UTC), True),  # the night DST starts: once
        ("0 1 * * *", dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC), False),
        ("0 1 * * *", dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC), True),  # the night DST ends: once
        ("0 0 * * *", dt.datetime(2026, 10, 25, 0, 0, tzinfo=dt.UTC), False),
        ("", dt.datetime(2026, 7, 15, 12, 0, tzinfo=dt.UTC), True),  # push / manual runs always go
    ],
)
def test_berlin_gate_lets_exactly_one_cron_through(cron, moment, due):
    assert schedule_due(cron, moment) is due


def test_gate_writes_github_output(tmp_path, monkeypatch):
    from pipelines.ops import write_gate

    out = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    write_gate("0 0 * * *", dt.datetime(2026, 1, 15, 0, 0, tzinfo=dt.UTC))
    assert out.read_text() == "run=false\n"


def test_ledgers_are_collected(tmp_path):
    from pipelines.bronze.ledger import upsert_cursors

    upsert_cursors(tmp_path / "bronze", "jira", "R1", {("issues", "A"): ("updated", "2026-01-01T00:00:00.000000Z")})
    copied = collect_ledgers(tmp_path / "bronze", tmp_path / "out")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in copied] == ["jira/cursors.parquet"]


def test_runner_setup_script_is_valid_bash():
    assert subprocess.run(["bash", "-n", REPO / "scripts" / "setup-runner.sh"]).returncode == 0
