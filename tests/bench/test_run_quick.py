"""Smoke test of the benchmarks: `bench/run.py --quick` runs every case at tiny sizes and writes both
result files. Nothing here is timed: figures are only checked for shape and sanity."""

import json
import subprocess
import sys

from bench.report import rows_for
from bench.run import CASES
from tests.conftest import REPO


def test_quick_run_writes_every_case(tmp_path):
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--out-dir", str(out)],
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads((out / "latest.json").read_text())
    assert result["mode"] == "quick" and not result["failed"] and set(result["cases"]) == set(CASES)
    cases = result["cases"]
    assert cases["jira_full"]["calls"] >= cases["jira_full"]["minimum_calls"] > 0
    assert cases["jira_full"]["calls_match_audit"] and not cases["jira_full"]["calls_vary"]
    assert cases["jira_incremental"]["calls_by_group"]["search"] >= 1
    assert cases["bronze"]["writer_records_per_s"] > 0 and cases["memory"]["large_peak_rss_mb"] > 0
    assert cases["silver"]["rows"]["stg_jira__issues"] == 2_000
    assert cases["silver_ducklake"]["rows"]["stg_jira__issues"] == 2_000
    assert cases["silver_ducklake"]["incremental_changed"]["stg_jira__issues"] == 20
    assert cases["bitbucket"]["calls"] >= cases["bitbucket"]["minimum_calls"] > 0
    assert cases["jenkins"]["calls"] >= cases["jenkins"]["minimum_calls"] > 0
    assert cases["s3"]["publish"]["history"] == 200 and cases["s3"]["sync"]["s3_s"] > 0
    assert len(result["rows"]) == len(rows_for(cases)) >= len(CASES)  # every case has its rows, none stale
    assert all(row["met"] is None for row in result["rows"]) and not any("stale" in r["result"] for r in result["rows"])
    table = (out / "latest.md").read_text()
    assert "| case | measure |" in table and table.count("\n| ") == len(result["rows"]) + 1


def test_only_runs_the_named_cases_and_keeps_the_others(tmp_path):
    out = tmp_path / "results"

    def run(case):
        command = [sys.executable, str(REPO / "bench" / "run.py"), "--quick", "--only", case, "--out-dir", str(out)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads((out / "latest.json").read_text())

    first = run("bronze")
    second = run("memory")
    assert second["cases_run"] == ["memory"] and set(second["cases"]) == {"bronze", "memory"}
    assert second["cases"]["bronze"] == first["cases"]["bronze"]


def test_unknown_case_is_refused(tmp_path):
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--only", "nope", "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "unknown case" in done.stderr
