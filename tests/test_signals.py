"""SIGTERM (and Ctrl-C's SIGINT) stop a sync cleanly, through the real entry point, with real signals:
an audit row (failed, INTERRUPTED), no temp file left, the lock released, exit 128 + the signal; a later
run removes what a dead (SIGKILLed) run left. On a local and an s3:// bronze root."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pipelines import signals
from pipelines.bronze.storage import BronzeRoot
from pipelines.bronze.verify import verify
from pipelines.dlt.pipelines import classify
from pipelines.errors import DplError, ErrorClass, Interrupted
from pipelines.schedules import failure_streak
from tests.helpers import runs

SLOW = {"latency_ms": 40}  # a run lasts seconds: a signal lands in its middle


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wait_for(predicate, what: str, proc: subprocess.Popen, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if proc.poll() is not None:
            pytest.fail(f"the process ended (exit {proc.returncode}) before {what}: {proc.stdout.read()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def sync_quickly() -> subprocess.CompletedProcess:
    """A short run of the same source (one small stream): it takes the lock and runs to the end."""
    argv = [sys.executable, "-m", "pipelines", "sync", "jira", "--streams", "projects"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def staged(root: BronzeRoot, source: str) -> list:
    """Parts being written (or left by a dead run) in the source's staging folder."""
    folder = root.staging_dir(source)
    return [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []


def temp_files(root: BronzeRoot, source: str) -> list:
    """Every temp file of the source: staged parts, and locally the temp files of ledger writes."""
    local = list(root.local.rglob("*.tmp")) if root.local is not None and root.local.exists() else []
    return staged(root, source) + local


@pytest.fixture(params=["local", "s3"])
def bronze_root(request, tmp_path) -> BronzeRoot:
    if request.param == "s3":
        return BronzeRoot(request.getfixturevalue("s3_bronze"))
    return BronzeRoot(tmp_path / "bronze")


@pytest.mark.parametrize(
    ("signum", "code"),
    [(signal.SIGTERM, 143), pytest.param(signal.SIGINT, 130, marks=pytest.mark.soak)],  # the same path
    ids=["TERM", "INT"],
)
def test_a_signal_stops_a_sync_with_an_audit_row_no_temp_files_and_the_lock_released(
    start_sim, sim_env, tmp_path, signum, code
):
    sim_env("jira", start_sim("jira", scale={"issues": 400}, **SLOW))
    root = BronzeRoot(tmp_path / "bronze")
    proc = start("sync", "jira", "--full")
    wait_for(lambda: staged(root, "jira"), "a part being written", proc)
    proc.send_signal(signum)
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode == code, out
    name = signal.Signals(signum).name
    assert f"[INTERRUPTED] {'terminated by SIGTERM' if code == 143 else 'interrupted by SIGINT'}" in out
    assert "Traceback" not in out
    (run,) = runs(root.local, "jira")
    assert (run["status"], run["error_class"]) == ("failed", "INTERRUPTED")
    assert name in run["error_message"]
    assert temp_files(root, "jira") == []
    report = verify(root)
    assert not report.corrupt and report.orphans == []  # what it wrote is published whole and listed
    last = out.strip().splitlines()[-1]
    assert last == f"log: logs/jira/{run['run_id']}.log"
    assert "[INTERRUPTED]" in (tmp_path / last.removeprefix("log: ")).read_text()
    again = sync_quickly()
    assert again.returncode == 0, again.stdout + again.stderr  # the lock was released


def test_sigterm_on_an_s3_root(start_sim, sim_env, s3_bronze):
    sim_env("jira", start_sim("jira", scale={"issues": 400}, **SLOW))
    root = BronzeRoot(s3_bronze)
    proc = start("sync", "jira", "--full")
    wait_for(lambda: staged(root, "jira"), "a part being written", proc)
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 143, out
    (run,) = runs(root, "jira")
    assert (run["status"], run["error_class"]) == ("failed", "INTERRUPTED")
    assert staged(root, "jira") == []
    report = verify(root)
    assert not report.corrupt and report.orphans == []
    assert not root.exists("jira/.lock")


def test_the_next_run_removes_what_a_killed_run_left(start_sim, sim_env, bronze_root):
    sim_env("jira", start_sim("jira", scale={"issues": 400}, **SLOW))
    proc = start("sync", "jira", "--full")
    wait_for(lambda: staged(bronze_root, "jira"), "a part being written", proc)
    proc.kill()  # SIGKILL: nothing of ours runs, the temp files stay
    proc.communicate(timeout=30)
    left = staged(bronze_root, "jira")
    assert left
    if bronze_root.is_local:  # a ledger write cut short leaves its temp file too
        (bronze_root.local / "jira" / "cursors.parquet.tmp").write_bytes(b"half a ledger")
    else:  # the dead run's lock object: as if its lease had expired (tests/bronze/test_lock.py tests leases)
        bronze_root.delete("jira/.lock")
    again = sync_quickly()
    assert again.returncode == 0, again.stdout + again.stderr
    assert "temp file(s) left by dead runs" in again.stderr
    assert left[0].name in again.stderr
    assert temp_files(bronze_root, "jira") == []


def test_sigterm_to_sync_all_stops_every_child_the_same_way(start_sim, sim_env, tmp_path):
    sim_env("jira", start_sim("jira", scale={"issues": 400}, **SLOW))
    sim_env("bitbucket", start_sim("bitbucket", **SLOW))
    root = BronzeRoot(tmp_path / "bronze")
    proc = start("sync-all", "--full")
    wait_for(lambda: staged(root, "jira") and staged(root, "bitbucket"), "both children writing", proc)
    proc.send_signal(signal.SIGTERM)  # the parent only, as `timeout` or a CI runner may do
    out = proc.communicate(timeout=90)[0]
    assert proc.returncode == 143, out
    assert "stopped: jira FAILED (exit 143), bitbucket FAILED (exit 143)" in out
    for source in ("jira", "bitbucket"):
        (run,) = runs(root.local, source)
        assert (run["status"], run["error_class"]) == ("failed", "INTERRUPTED"), source
        assert f"[{source}] log: logs/{source}/{run['run_id']}.log" in out
    assert temp_files(root, "jira") == temp_files(root, "bitbucket") == []


def test_a_stop_inside_a_deferred_step_is_raised_at_its_end():
    steps = []
    with pytest.raises(Interrupted) as stop, signals.stop_on_signals():
        with signals.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # the handler runs here: the step goes on
            steps.append("published")
            os.kill(os.getpid(), signal.SIGTERM)  # a second one within the grace period is ignored
            time.sleep(0.05)
            steps.append("listed")
        steps.append("never")
    assert steps == ["published", "listed"]
    assert stop.value.exit_code == 143
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # restored


@pytest.mark.soak
def test_sigterm_to_a_backfill_of_every_source_stops_its_child(start_sim, sim_env, tmp_path):
    sim_env("jira", start_sim("jira", scale={"issues": 400}, **SLOW))
    root = BronzeRoot(tmp_path / "bronze")
    proc = start("backfill", "--days", "3650")
    wait_for(lambda: staged(root, "jira"), "the child writing", proc)
    proc.send_signal(signal.SIGTERM)
    out = proc.communicate(timeout=90)[0]
    assert proc.returncode == 143, out
    (run,) = runs(root.local, "jira")
    assert (run["mode"], run["status"], run["error_class"]) == ("backfill", "failed", "INTERRUPTED")
    assert temp_files(root, "jira") == []


def test_a_stop_is_found_behind_a_library_wrapper_and_wins_over_the_error_being_handled():
    stop = Interrupted(signal.SIGTERM, "SIGTERM")
    try:
        try:
            raise stop
        except Interrupted as exc:
            raise RuntimeError("extraction failed") from exc  # what dlt does with what a resource raises
    except RuntimeError as wrapped:
        assert signals.interruption(wrapped) is stop
        assert classify(wrapped).error_class == "INTERRUPTED"
    try:
        try:
            raise DplError(ErrorClass.SERVER_ERROR, "503")
        except DplError:
            raise stop from None  # the signal landed during a retry's wait
    except Interrupted as exc:
        assert classify(exc).message == "terminated by SIGTERM"
    assert signals.interruption(ValueError("x")) is None


def test_a_stopped_run_is_not_a_failure_of_the_source_for_the_backoff():
    def row(status, klass=None):
        return {"status": status, "error_class": klass}

    rows = [row("failed", "SERVER_ERROR"), row("failed", "INTERRUPTED"), row("failed", "SERVER_ERROR")]
    assert failure_streak(rows) == (2, "SERVER_ERROR")
    assert failure_streak([row("success"), row("failed", "INTERRUPTED")]) == (0, None)


def test_unfinished_multipart_uploads_of_the_source_are_aborted(s3_server, s3_bronze):
    root = BronzeRoot(s3_bronze)
    bucket, prefix = s3_bronze.removeprefix("s3://").split("/", 1)
    client = s3_server.client()
    dead = client.create_multipart_upload(Bucket=bucket, Key=f"{prefix}/jira/issues/2026/12/03/R1-00001.jsonl.zst")
    other = client.create_multipart_upload(Bucket=bucket, Key=f"{prefix}/bitbucket/commits/R2-00001.jsonl.zst")
    client.upload_part(Bucket=bucket, Key=dead["Key"], UploadId=dead["UploadId"], PartNumber=1, Body=b"x" * 1024)
    removed = root.clear_staging("jira")
    assert removed == ["R1-00001.jsonl.zst (unfinished upload)"]
    left = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [u["UploadId"] for u in left] == [other["UploadId"]]  # another source's: its own runs clear it
