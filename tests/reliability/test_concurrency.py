"""Concurrency: one sync per source (a second is refused, exit 3); sync-all runs sources in parallel
safely; readers see only published data during a sync; the warehouse has one writer at a time and
every refusal is one clear line, never a stack trace.

Runs are held at a chosen point by driver.py (`--hold POINT:N:DIR`), so every interleaving below is
deterministic rather than a race against a timer.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import threading
import time

import pytest

from pipelines.bronze.ledger import write_ledger
from pipelines.bronze.verify import verify
from pipelines.cli import main
from pipelines.shell import run_shell
from tests.reliability import support
from tests.reliability.support import FIGURES


class Held:
    """A driver run in a thread, held at `point:n` until `release()`."""

    def __init__(self, cli: list[str], env: dict, point: str, folder) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.done = None
        self.thread = threading.Thread(
            target=lambda: setattr(self, "done", support.run_driver(cli, env, hold=f"{point}:{folder}")), daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 60
        while not (folder / "held").exists():
            assert time.monotonic() < deadline and self.thread.is_alive(), self.done and self.done.stderr
            time.sleep(0.02)
        self.pid = int((folder / "held").read_text().split()[0])

    def release(self):
        (self.folder / "release").touch()
        self.thread.join(120)
        return self.done


@pytest.fixture
def hold():
    """`hold(cli, env, point, folder)` starts a held run; every one is released when the test ends."""
    started: list[Held] = []

    def start(*args) -> Held:
        started.append(Held(*args))
        return started[-1]

    yield start
    for held in started:
        held.release()


def test_a_second_sync_of_the_same_source_is_refused_with_exit_3(lab, canary_env, tmp_path, capsys, hold):
    lab.server("jenkins", support.ADVANCE_STEPS)
    env = canary_env("jenkins")
    held = hold(["sync", "jenkins", "--full"], lab.run_env("jenkins", tmp_path), "extract:3", tmp_path / "hold")

    assert main(["sync", "jenkins"]) == 3
    line = support.assert_one_classified_line(support.captured(capsys), "LOCKED")
    assert f"jenkins: another sync is already running (pid {held.pid}, since " in line
    second = support.run_cli(["sync", "jenkins"], {**lab.run_env("jenkins", tmp_path), **env})
    assert second.returncode == 3 and "[LOCKED]" in second.stderr

    first = held.release()
    assert first.returncode == 0, first.stderr
    assert support.runs_rows(tmp_path / "bronze", "jenkins")[-1]["status"] == "success"
    assert main(["sync", "jenkins"]) == 0  # the lock went with the process
    support.captured(capsys)
    assert not verify(tmp_path / "bronze").corrupt
    FIGURES["concurrency_cases"] += 1


def test_sync_all_runs_the_sources_in_parallel_and_equals_separate_runs(lab, tmp_path):
    for source in support.SOURCES:
        lab.reference(source, "full0")
    combined = tmp_path / "separate" / "bronze"
    for source in support.SOURCES:
        shutil.copytree(lab.reference(source, "full0").bronze / source, combined / source)
    expected = support.fingerprint(combined, tmp_path / "separate" / "silver.duckdb")
    for source in support.SOURCES:
        lab.server(source, fresh=True).set_knobs(latency_ms=25)

    done = support.run_cli(["sync-all", "--full"], lab.run_env(support.SOURCES, tmp_path / "all"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "jira ok, bitbucket ok, jenkins ok" in done.stdout
    bronze = tmp_path / "all" / "bronze"
    spans = {s: support.runs_rows(bronze, s)[-1] for s in support.SOURCES}
    assert all(row["status"] == "success" for row in spans.values())
    jira, bitbucket = spans["jira"], spans["bitbucket"]
    assert jira["started_at"] < bitbucket["ended_at"] and bitbucket["started_at"] < jira["ended_at"]  # overlapped
    report = verify(bronze)
    assert not report.corrupt and report.orphans == []
    diff = support.fingerprint_diff(support.fingerprint(bronze, tmp_path / "all" / "silver.duckdb"), expected)
    assert not diff
    FIGURES["concurrency_cases"] += 1


def test_sync_all_while_one_source_is_busy_runs_the_others(lab, tmp_path, hold):
    for source in ("bitbucket", "jenkins"):
        lab.server(source)
    env = {k: v for k, v in lab.run_env(("bitbucket", "jenkins"), tmp_path).items() if not k.startswith("JIRA_")}
    held = hold(["sync", "jenkins"], env, "extract:2", tmp_path / "hold")
    done = support.run_cli(["sync-all"], env)
    assert held.release().returncode == 0
    assert done.returncode == 1
    assert "jira: skipped (JIRA_BASE_URL is not set)" in done.stdout
    assert "bitbucket ok, jenkins FAILED (exit 3)" in done.stdout
    assert "[jenkins] error: [LOCKED] jenkins: another sync is already running" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    FIGURES["concurrency_cases"] += 1


def test_readers_during_a_sync_see_only_published_files(lab, tmp_path, hold):
    shutil.copytree(lab.reference("jenkins", "full0").bronze, tmp_path / "bronze")
    lab.server("jenkins", support.ADVANCE_STEPS)
    env = lab.run_env("jenkins", tmp_path)
    settings = support.settings_for(tmp_path / "bronze", tmp_path / "warehouse.duckdb")

    def read() -> dict:
        out = io.StringIO()
        run_shell(settings, stdin=io.StringIO("select count(*) as n from bronze_jenkins_builds\n"), stdout=out)
        manifest = support.manifest_rows(tmp_path / "bronze", "jenkins")
        listed = sum(r["rows"] for r in manifest if r["stream"] == "builds")
        return {"shell": int(out.getvalue().split()[-1]), "listed": listed, "files": len(manifest)}

    before = read()
    held = hold(["sync", "jenkins"], env, "renamed:1", tmp_path / "hold")  # a new part is final, not listed
    during = read()
    report = verify(tmp_path / "bronze")
    assert during == before  # the renamed part is invisible until it is in the manifest
    assert report.busy == ["jenkins"] and not report.corrupt and not report.orphans  # verify waits its turn
    assert held.release().returncode == 0
    after = read()
    assert after["shell"] == after["listed"] > before["listed"]
    report = verify(tmp_path / "bronze")
    assert not report.corrupt and not report.orphans and not report.busy
    FIGURES["concurrency_cases"] += 1


def test_the_warehouse_has_one_writer_and_refusals_are_one_line(lab, canary_env, tmp_path, capsys, hold):
    shutil.copytree(lab.reference("jenkins", "full0").bronze, tmp_path / "bronze")
    canary_env("jenkins")
    env = lab.run_env("jenkins", tmp_path)
    env["DPL_WAREHOUSE"] = str(tmp_path / "warehouse" / "lakehouse.duckdb")
    assert main(["silver"]) == 0
    first = support.captured(capsys)
    assert "jenkins_builds" in first

    # 1. `make silver` mid-build holds the write lock: warehouse readers and a second build are refused
    #    (`make stats` reads only the bronze ledgers: it keeps working)
    write_ledger(tmp_path / "bronze", "jenkins", "manifest", [])  # force a rebuild with other content
    building = hold(["silver", "--full"], env, "silver-record:1", tmp_path / "hold-silver")
    refused = {
        "shell": lambda: run_shell_main(),
        "silver": lambda: main(["silver"]),
        "anomalies": lambda: main(["anomalies"]),
    }
    for name, call in refused.items():
        assert call() == 3, name
        line = support.assert_one_classified_line(support.captured(capsys), "LOCKED")
        assert "warehouse" in line, line
    assert main(["stats"]) == 0 and not support.error_lines(support.captured(capsys))
    agent = subprocess.run(
        [sys.executable, "-m", "agent.query", "sql", "select count(*) from jenkins_builds"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    support.OUTPUTS.append(agent.stdout + agent.stderr)
    assert agent.returncode != 0 and "Traceback" not in agent.stderr and "error" in json.loads(agent.stdout)
    assert building.release().returncode == 0

    # 2. readers afterwards see the whole new build (here: no builds left), never half of it
    assert run_shell_main("select count(*) from jenkins_builds\n") == 0
    assert support.captured(capsys).split()[-1] == "0"

    # 3. an open `make shell` (a read-only session) makes `make silver` wait with a clear message
    shell = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "shell"],
        env={**env, "PYTHONUNBUFFERED": "1"}, cwd=tmp_path, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    shell.stdin.write("select 42 as answer;\n")
    shell.stdin.flush()
    assert "42" in shell.stdout.readline() + shell.stdout.readline() + shell.stdout.readline()
    assert main(["silver"]) == 3
    line = support.assert_one_classified_line(support.captured(capsys), "LOCKED")
    assert f"in use by process {shell.pid}" in line and "make shell" in line
    out, err = shell.communicate("", timeout=30)
    support.OUTPUTS.append(out + err)
    assert main(["silver"]) == 0
    support.captured(capsys)
    FIGURES["concurrency_cases"] += 1


def run_shell_main(sql: str = "select 1\n") -> int:
    stdin = sys.stdin
    sys.stdin = io.StringIO(sql)
    try:
        return main(["shell"])
    finally:
        sys.stdin = stdin
