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
def test_steps_call_make_or_bin_dpl_only(workflow):
    """Make targets, or bin/dpl where the exit code matters (Make turns every failure into 2)."""
    jobs = yaml.safe_load(workflow.read_text())["jobs"]
    for job in jobs.values():
        for step in job["steps"]:
            if "run" in step:
                assert step["run"].startswith("make ") or "bin/dpl " in step["run"], step["run"]
                assert "python" not in step["run"] and "${{" not in step["run"], step["run"]  # no template injection
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
    assert inputs["action"]["options"] == [
        "sync-due",
        "sync-all",
        "sync-jira",
        "sync-bitbucket",
        "sync-jenkins",
        "backfill",
    ]
    assert inputs["action"]["default"] == "sync-due"  # the per-unit schedules (README "GitHub Actions")
    assert "|| 'sync-due' }}" in spec["jobs"]["sync"]["env"]["ACTION"]
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


def documented_variables() -> set[str]:
    """Every variable .env.example names (set or commented out)."""
    names = re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), flags=re.MULTILINE)
    return set(names)


# Documented variables a workflow deliberately does not pass, and why (README "GitHub Actions").
NOT_PASSED = {
    "DPL_CONFIG_DIR": "the checkout's config/ is the configuration",
    "DESTINATION__POSTGRES__CREDENTIALS": "make load is not part of the scheduled workflows",
    "DESTINATION__DUCKDB__CREDENTIALS": "make load is not part of the scheduled workflows",
}
NOT_PASSED_BY = {
    "sync-data.yml": {  # self-hosted: bronze and the warehouse are folders of the runner (/srv/dpl)
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT_URL",
        "DPL_WAREHOUSE_DATA", "PGPASSWORD",
    },
    "sync-team.yml": {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL"},  # AWS role through OIDC
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(NOT_PASSED_BY))
def test_sync_workflows_pass_every_documented_variable(name):
    env = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())["jobs"]["sync"]["env"]
    missing = documented_variables() - set(env) - set(NOT_PASSED) - NOT_PASSED_BY[name]
    assert not missing, f"{name} does not pass {sorted(missing)}"
    secrets = {"JIRA_API_TOKEN", "BITBUCKET_APP_PASSWORD", "BITBUCKET_TOKEN", "JENKINS_TOKEN", "DPL_SMTP_PASSWORD"}
    for var in secrets | {"DPL_SLACK_WEBHOOK_URL"}:
        assert env[var] == f"${{{{ secrets.{var} }}}}", var  # secrets, never plain variables
    for var in ("BITBUCKET_EMAIL", "BITBUCKET_BASE_URL", "JIRA_EMAIL", "JENKINS_USERNAME"):
        assert env[var] == f"${{{{ vars.{var} }}}}", var


@pytest.mark.parametrize("name", sorted(NOT_PASSED_BY))
@pytest.mark.parametrize(
    ("action", "code", "called"),
    [
        ("sync-due", 0, "sync-due"),
        ("sync-all", 4, "sync-all"),
        ("sync-jira", 1, "sync jira"),
        ("backfill", 0, "backfill --days 7"),
    ],
)
def test_the_sync_step_keeps_the_exit_code(name, action, code, called, tmp_path):
    """The step runs as GitHub runs it (bash -e -o pipefail) with a stub bin/dpl: the code reaches the step's
    output (silver runs on 0 and 4) and its exit status."""
    steps = yaml.safe_load((REPO / ".github" / "workflows" / name).read_text())["jobs"]["sync"]["steps"]
    step = next(s for s in steps if s.get("id") == "sync")
    (tmp_path / "bin").mkdir()
    stub = tmp_path / "bin" / "dpl"
    stub.write_text('#!/bin/sh\necho "$*" > called\nexit "$STUB_CODE"\n')
    stub.chmod(0o755)
    out = tmp_path / "github_output"
    env = {"PATH": "/usr/bin:/bin", "ACTION": action, "DAYS": "7", "STUB_CODE": str(code), "GITHUB_OUTPUT": str(out)}
    bash = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
    done = subprocess.run(bash, cwd=tmp_path, env=env)
    assert done.returncode == code
    assert out.read_text() == f"code={code}\n" and (tmp_path / "called").read_text().strip() == called
    silver = next(s for s in steps if "make silver" in s.get("run", ""))
    assert "steps.sync.outputs.code == '4'" in silver["if"] and "!cancelled()" in silver["if"]


def test_bin_dpl_keeps_the_exit_code_that_make_turns_into_2():
    """No source configured: `sync-all` fails with 1; through Make, any failure is 2."""
    direct = subprocess.run([REPO / "bin" / "dpl", "sync-all"], capture_output=True, text=True, timeout=120)
    assert direct.returncode == 1 and "nothing to sync" in direct.stdout
    made = subprocess.run(["make", "-s", "-C", REPO, "sync-all"], capture_output=True, text=True, timeout=120)
    assert made.returncode == 2 and "nothing to sync" in made.stdout
