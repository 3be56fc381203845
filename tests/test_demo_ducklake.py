"""scripts/demo_ducklake.py (the DuckLake part of `make demo-lake`): runs end to end on a small bronze, its reader
answers during the rebuild without an error, and its PostgreSQL is stopped afterwards."""

from __future__ import annotations

import importlib.util
import os

import pytest

from tests.conftest import REPO
from tests.gold.delivery_records import write_jira
from tests.postgres import need_binaries
from tests.silver.bronze_files import Bronze


def load_demo():
    spec = importlib.util.spec_from_file_location("demo_ducklake", REPO / "scripts" / "demo_ducklake.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.soak  # ~30 s of subprocesses: `make test-soak`
def test_the_ducklake_demo_runs_and_leaves_nothing_running(tmp_path, monkeypatch, capfd):
    need_binaries()
    write_jira(Bronze(tmp_path / "bronze"))
    demo = load_demo()
    started, start = [], demo.start_server
    monkeypatch.setattr(demo, "start_server", lambda: started.append(start()) or started[-1])
    code = demo.run_ducklake_demo(str(tmp_path / "bronze"), dict(os.environ), str(tmp_path / "lake"))
    out = capfd.readouterr().out
    assert code == 0, out[-3000:]
    assert "silver full (requested) build" in out and "issues_at_the_first_build" in out
    assert "reads while `silver --full` rebuilt every table" in out and "error:" not in out
    assert not started[0].data.exists()  # stopped and removed
