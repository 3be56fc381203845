"""Run logs: each sync writes logs/<source>/<run_id>.log (redacted), names it on its last line, and old
logs of the source are deleted by age."""

from __future__ import annotations

import logging
import os
import time

from pipelines.cli import main
from pipelines.logs import LogSettings, prune, run_log
from pipelines.secrets import redact
from tests.helpers import runs


def test_a_sync_writes_its_log_and_names_it_on_its_last_line(start_sim, sim_env, capsys, tmp_path):
    sim_env("jira", start_sim("jira", scale={"issues": 30}))
    code = main(["sync", "jira", "--streams", "projects,issues"])
    out = capsys.readouterr().out
    assert code == 0, out
    (run,) = runs(tmp_path / "bronze", "jira")
    assert out.strip().splitlines()[-1] == f"log: logs/jira/{run['run_id']}.log"
    text = (tmp_path / "logs" / "jira" / f"{run['run_id']}.log").read_text()
    assert f"jira: run {run['run_id']} started (incremental)" in text
    assert f"jira: SUCCESS run {run['run_id']}" in text  # the summary the terminal printed
    assert "stream" in text and "issues" in text  # ... with its per-stream table
    assert text.splitlines()[0].startswith(run["started_at"].strftime("%Y-%m-%dT%H:"))  # UTC times


def test_the_log_directory_is_configurable(start_sim, sim_env, capsys, tmp_path, monkeypatch):
    sim_env("jira", start_sim("jira", scale={"issues": 5}))
    monkeypatch.setenv("DPL_LOG_DIR", str(tmp_path / "elsewhere"))
    assert main(["sync", "jira", "--streams", "projects"]) == 0
    (log_file,) = (tmp_path / "elsewhere" / "jira").glob("*.log")
    assert capsys.readouterr().out.strip().endswith(f"log: {log_file}")
    assert not (tmp_path / "logs").exists()


def test_a_run_refused_before_it_starts_leaves_no_log(start_sim, sim_env, capsys, tmp_path):
    sim_env("jira", start_sim("jira"))
    assert main(["sync", "jira", "--streams", "nope"]) == 2
    assert "log:" not in capsys.readouterr().out
    assert list((tmp_path / "logs").rglob("*.log")) == []


def test_the_log_file_is_redacted_like_the_terminal(tmp_path, capsys):
    secret = "CANARY-run-log-5b1c"
    redact.add(secret, user="someone")
    with run_log(LogSettings(dir=str(tmp_path / "logs")), "jira", "R1") as path:
        logging.getLogger("pipelines.run").warning("server said: token %s rejected", secret)
    text = path.read_text()
    assert "server said: token *** rejected" in text and secret not in text


def test_old_logs_of_the_source_are_deleted_when_it_runs(tmp_path):
    folder = tmp_path / "logs" / "jira"
    folder.mkdir(parents=True)
    old, recent = folder / "old.log", folder / "recent.log"
    for path in (old, recent):
        path.write_text("x")
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    (tmp_path / "logs" / "bitbucket").mkdir()
    other = tmp_path / "logs" / "bitbucket" / "old.log"
    other.write_text("x")
    os.utime(other, (month_ago, month_ago))
    with run_log(LogSettings(dir=str(tmp_path / "logs"), keep_days=30), "jira", "R2"):
        pass
    assert not old.exists() and recent.exists()
    assert other.exists()  # another source's logs go when that source runs
    assert prune(folder, keep_days=0, now=time.time() + 10**9) == []  # 0 keeps every log
