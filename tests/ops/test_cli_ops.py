"""`units`, `sync-due` and `report` as commands: output, dry runs, a due-only sync end to end, alerts."""

import argparse
import datetime as dt
import json

import orjson
import pytest

from pipelines import cli_ops
from pipelines.settings import load_settings
from pipelines.timeutil import utc_now
from tests.ops.ledgers import T0, add_run, result, runs
from tests.ops.servers import Webhook


def call(argv: list[str], settings=None) -> int:
    parser = argparse.ArgumentParser()
    cli_ops.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return cli_ops.COMMANDS[args.command](settings or load_settings(), args)


def test_commands_plug_into_a_subparser_set():
    assert set(cli_ops.COMMANDS) == {"units", "sync-due", "report", "dora"}


def test_units_lists_every_unit_and_says_which_sources_are_not_configured(capsys, monkeypatch):
    monkeypatch.setenv("JENKINS_BASE_URL", "http://127.0.0.1:9")
    settings = load_settings()
    add_run(settings.bronze_dir, result("jenkins", T0, "failed", error=("NETWORK", "refused")))
    add_run(settings.bronze_dir, result("jenkins", T0 + dt.timedelta(hours=1), "failed", error=("NETWORK", "x"), n=1))
    assert call(["units"], settings) == 0
    out = capsys.readouterr().out
    assert "jira: not configured (JIRA_BASE_URL is not set)" in out
    assert "jenkins: not configured" not in out
    builds = next(line for line in out.splitlines() if line.startswith("jenkins") and " builds " in line)
    assert "backoff" in builds and "2× NETWORK" in builds and "×2" in builds

    assert call(["units", "--json", "--source", "jenkins"], settings) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["stream"] for r in rows] == ["jobs", "builds", "queue"]
    assert rows[1]["state"] == "backoff" and rows[1]["error_class"] == "NETWORK" and rows[1]["configured"]
    assert rows[2]["state"] == "disabled" and rows[2]["next_due"] == "-"


def test_sync_due_dry_run_prints_the_plan_and_runs_nothing(capsys, monkeypatch):
    monkeypatch.setenv("JENKINS_BASE_URL", "http://127.0.0.1:9")
    settings = load_settings()
    add_run(settings.bronze_dir, result("jenkins", T0, counts={"jobs": 3, "builds": 9}))
    assert call(["sync-due", "--dry-run", "--now", "2026-11-20T08:30:00Z"], settings) == 0
    assert "nothing due at 2026-11-20 08:30 UTC; next: jenkins/builds at 2026-11-20 09:00" in capsys.readouterr().out
    assert call(["sync-due", "--dry-run", "--now", "2026-11-20T10:00:00Z"], settings) == 0
    assert "sync-due: jenkins: builds" in capsys.readouterr().out
    assert len(runs(settings.bronze_dir, "jenkins")) == 1


def test_sync_due_runs_only_the_due_streams(start_sim, sim_env, capsys):
    sim_env("jenkins", start_sim("jenkins"))
    settings = load_settings()
    add_run(settings.bronze_dir, result("jenkins", utc_now() - dt.timedelta(minutes=10), counts={"jobs": 3}))
    assert call(["sync-due"], settings) == 0
    out = capsys.readouterr().out
    assert "sync-due: jenkins: builds" in out and "sync-due: jenkins ok" in out
    last = runs(settings.bronze_dir, "jenkins")[-1]
    assert last["status"] == "success" and set(orjson.loads(last["streams"])) == {"builds"}
    assert call(["sync-due"], settings) == 0  # now nothing is due
    assert "nothing due" in capsys.readouterr().out


@pytest.fixture
def webhook(monkeypatch):
    server = Webhook()
    monkeypatch.setenv("DPL_SLACK_WEBHOOK_URL", f"http://127.0.0.1:{server.port}/hooks/secret-path-123")
    yield server
    server.close()


def test_sync_due_alerts_when_a_sync_stops_before_recording_a_run(webhook, monkeypatch, capsys):
    monkeypatch.setenv("JENKINS_BASE_URL", "http://127.0.0.1:9")  # but no JENKINS_USERNAME / JENKINS_TOKEN
    settings = load_settings()
    assert call(["sync-due", "--source", "jenkins"], settings) == 1
    assert "jenkins FAILED (exit 2)" in capsys.readouterr().out
    ((_, body),) = webhook.received
    assert "jenkins: sync FAILED [CONFIG]" in body["text"] and "JENKINS_" in body["text"]
