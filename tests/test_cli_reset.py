"""`reset` through the CLI against the simulators: cursors dropped after YES, bronze untouched, an audit row,
the next run re-reads; refused without a confirmation; works on a bronze root on S3 (moto)."""

from __future__ import annotations

import subprocess

from pipelines.bronze.ledger import read_cursors, read_ledger
from pipelines.bronze.verify import verify
from tests.conftest import REPO
from tests.helpers import bronze_records, run_cli

cli = run_cli


def test_reset_drops_the_named_cursors_and_the_next_run_rereads(start_sim, sim_env, tmp_path):
    sim_env("jira", start_sim("jira", scale={"issues": 40}))
    bronze = tmp_path / "bronze"
    assert cli("sync", "jira")[0] == 0
    before, files = read_cursors(bronze, "jira"), read_ledger(bronze, "jira", "manifest")
    dpl_issues = {r["__id"] for r in _issues(bronze) if r["payload"]["key"].startswith("DPL-")}

    code, out, err = cli("reset", "--source", "jira", "--streams", "issues", "--scope", "DPL")
    assert code == 2 and "add YES=1 (--yes)" in err and read_cursors(bronze, "jira") == before  # no terminal
    code, out, err = cli("reset", "--source", "jira", "--streams", "issues", "--scope", "NOPE", "--yes")
    assert code == 2 and "SCOPE=NOPE: no cursor of issues has it; expected one of: DPL, MOB, OPS, WEB" in err

    code, out, err = cli("reset", "--source", "jira", "--streams", "issues", "--scope", "DPL", "--yes")
    assert code == 0, out + err
    assert "1 cursor(s) of jira dropped" in out
    after = read_cursors(bronze, "jira")
    assert set(before) - set(after) == {("issues", "DPL")}
    assert all(after[key] == value for key, value in before.items() if key != ("issues", "DPL"))
    assert read_ledger(bronze, "jira", "manifest") == files and not verify(bronze).corrupt  # bronze untouched
    audit = read_ledger(bronze, "jira", "runs")[-1]
    assert audit["mode"] == "reset" and audit["scope"] == "DPL" and audit["records_written"] == 0
    assert audit["note"].startswith("dropped issues/DPL (was ")
    code, out, err = cli("show-runs", "--source", "jira")
    assert "reset" in out and "dropped issues/DPL" in out

    code, out, err = cli("sync", "jira", "--streams", "issues")  # DPL read whole again, the others from cursors
    assert code == 0, out + err
    (last,) = [r for r in read_ledger(bronze, "jira", "runs") if r["mode"] == "incremental"][-1:]
    again = {r["__id"] for r in _issues(bronze) if r["__run_id"] == last["run_id"]}
    assert dpl_issues <= again
    assert ("issues", "DPL") in read_cursors(bronze, "jira")

    code, out, err = cli("reset", "--source", "jira", "--streams", "versions", "--yes")  # a catalog: every scope
    assert code == 0 and not any(stream == "versions" for stream, _ in read_cursors(bronze, "jira"))


def _issues(bronze):
    return bronze_records(bronze, "jira", "issues")


def test_make_reset_asks_first_and_yes_confirms(start_sim, sim_env, tmp_path):
    sim_env("jenkins", start_sim("jenkins"))
    bronze = tmp_path / "bronze"
    assert cli("sync", "jenkins")[0] == 0
    make = ["make", "-s", "-C", str(REPO), "reset", "SOURCE=jenkins", "STREAM=builds", "SCOPE=deploy-prod"]
    done = subprocess.run(make, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and "add YES=1" in done.stderr
    assert ("builds", "deploy-prod") in read_cursors(bronze, "jenkins")
    done = subprocess.run([*make, "YES=1"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("builds", "deploy-prod") not in read_cursors(bronze, "jenkins")


def test_reset_on_a_bronze_root_on_s3(start_sim, sim_env, s3_bronze):
    sim_env("jenkins", start_sim("jenkins"))
    assert cli("sync", "jenkins")[0] == 0
    before = read_cursors(s3_bronze, "jenkins")
    code, out, err = cli("reset", "--source", "jenkins", "--streams", "builds", "--yes")
    assert code == 0, out + err
    after = read_cursors(s3_bronze, "jenkins")
    assert not any(stream == "builds" for stream, _ in after) and any(s == "builds" for s, _ in before)
    assert read_ledger(s3_bronze, "jenkins", "runs")[-1]["mode"] == "reset"
