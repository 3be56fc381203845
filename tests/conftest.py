"""Shared test isolation: every test gets its own bronze dir, warehouse, dlt dir and no real secrets."""

from __future__ import annotations

import collections
import json
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("DLT_USE_JSON", "simplejson")  # as pipelines.dlt sets it, before any test imports dlt

import pytest

# postgres_server, postgres_db: a real local PostgreSQL; s3_server, s3_env, s3_bronze: moto's S3 server;
# lake, sqlite_lake, postgres_lake: DuckLake warehouses
pytest_plugins = ("tests.postgres", "tests.s3", "tests.lake")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CREDENTIAL_VARS = (
    "JIRA_BASE_URL",
    "JIRA_EMAIL",
    "JIRA_API_TOKEN",
    "BITBUCKET_BASE_URL",
    "BITBUCKET_WORKSPACE",
    "BITBUCKET_USERNAME",
    "BITBUCKET_APP_PASSWORD",
    "BITBUCKET_TOKEN",
    "BITBUCKET_EMAIL",
    "JENKINS_BASE_URL",
    "JENKINS_USERNAME",
    "JENKINS_TOKEN",
)


FIGURES_DIR_VAR = "DPL_TEST_FIGURES_DIR"  # where test processes (xdist workers too) leave suite figures


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the main process: workers inherit the variable
        os.environ[FIGURES_DIR_VAR] = tempfile.mkdtemp(prefix="dpl-figures-")


def pytest_terminal_summary(terminalreporter, config):
    """Print the reliability suite's figures, summed over every process that ran part of it."""
    folder = os.environ.get(FIGURES_DIR_VAR)
    if hasattr(config, "workerinput") or not folder:
        return
    totals: collections.Counter = collections.Counter()
    for path in sorted(Path(folder).glob("*.json")):
        totals.update(json.loads(path.read_text()))
    shutil.rmtree(folder, ignore_errors=True)
    if totals:
        shown = ", ".join(f"{key}={value}" for key, value in sorted(totals.items()))
        terminalreporter.write_line(f"reliability figures: {shown}")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Point every path at tmp, drop credentials from the outer environment, silence telemetry."""
    for var in CREDENTIAL_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DPL_CONFIG_DIR", str(REPO / "config"))
    monkeypatch.setenv("DPL_BRONZE_DIR", str(tmp_path / "bronze"))
    monkeypatch.setenv("DPL_WAREHOUSE", str(tmp_path / "warehouse" / "lakehouse.duckdb"))
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt"))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # subprocesses (CLI runs) import this checkout
    monkeypatch.chdir(tmp_path)  # no stray .env from the repo is read
    yield


@pytest.fixture
def start_sim():
    """Start simulators on loopback; `start_sim("jira", seed=7, scale={...}, **knobs)`; stopped after the test."""
    from simulators import create
    from simulators.common import Knobs

    servers = []

    def start(name: str, seed: int = 7, scale: dict | None = None, **knobs):
        server = create(name, seed=seed, scale=scale, knobs=Knobs(**knobs)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sim_env(monkeypatch):
    """Export a running simulator's connection variables: `sim_env("jira", server)`."""
    from simulators import env_for

    def export(name: str, server) -> dict:
        values = env_for(name, server)
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        return values

    return export


def shared_path(*parts: str) -> Path:
    """A path under ../shared; tests using it skip when it is absent (users don't have it)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not available")
    return path
