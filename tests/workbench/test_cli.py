"""`python -m pipelines jql|queries|query` and `make jql|query`: output formats, exit codes, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from pipelines.cli import main
from tests.conftest import REPO


@pytest.fixture
def warehouse_env(jira_world, monkeypatch):
    settings = jira_world[0]
    monkeypatch.setenv("DPL_WAREHOUSE", str(settings.warehouse))
    monkeypatch.setenv("DPL_BRONZE_DIR", str(settings.bronze_dir))
    return settings


def test_jql_prints_a_table_csv_or_json(warehouse_env, capsys):
    assert main(["jql", "project = OPS AND issuetype = Incident ORDER BY key", "--fields", "key,issuetype"]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["key", "issuetype"] and "OPS-" in table
    assert main(["jql", "key = DPL-1", "--format", "json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["total"] == 1 and answer["rows"][0]["key"] == "DPL-1"
    assert main(["jql", "project = DPL ORDER BY key", "--format", "csv", "--limit", "2", "--fields", "key"]) == 0
    assert capsys.readouterr().out.splitlines() == ["key", "DPL-1", "DPL-2"]


def test_a_bad_query_is_one_line_and_exit_2(warehouse_env, capsys):
    assert main(["jql", "project = DPL AND votes > 3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'votes' is not kept" in err and "Traceback" not in err
    assert main(["query", "release_readiness", "--param", "releas=1.4"]) == 2
    assert "unknown parameter(s) releas" in capsys.readouterr().err


def test_queries_lists_every_saved_query(warehouse_env, capsys):
    assert main(["queries"]) == 0
    out = capsys.readouterr().out
    assert "release_readiness" in out and "RELEASE=" in out and out.count("\n") > 20


def test_make_query_passes_make_variables_as_parameters(warehouse_env):
    env = {**os.environ, "PYTHON": sys.executable}
    out = subprocess.run(
        ["make", "-s", "query", "NAME=release_readiness", "RELEASE=1.2", "FORMAT=csv"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    lines = out.splitlines()
    assert lines[0].startswith("project_key,release_name") and all(",1.2," in line for line in lines[1:]) and lines[1:]
    out = subprocess.run(
        ["make", "-s", "jql", 'Q=project = WEB AND key in (WEB-1, "WEB-2") ORDER BY key', "FIELDS=key"],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert out.splitlines()[2:4] == ["WEB-1", "WEB-2"]
