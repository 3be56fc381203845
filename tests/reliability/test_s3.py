"""Bronze on S3 under crashes and store faults (moto's real S3 server; the lab's canary is the AWS secret).

- SIGKILL at each of the 10 crash points (test_crash.POINTS: extract, write, bytes, the part's upload
  before/after, a manifest segment's PUT before/after, the cursors' conditional PUT before/after, the
  audit PUT), alternating a first (full) sync and an incremental one: after the kill `verify` finds
  nothing missing or mismatched and no orphan listed, no cursor is ahead of published data; after a
  re-run the silver built from the bucket's bronze equals a clean run's, with no duplicate key.
  (The killed run's lock object stays until its lease expires; the test removes it instead of waiting.)
- Faults injected by a proxy in front of the store (500 InternalError, 503 SlowDown, a connection reset
  before or after the request reached the store): retried, same result as a fault-free run. A store
  refusing every part upload: one classified line, no part visible, no cursor moved.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from pipelines.bronze.migrate import migrate
from pipelines.bronze.storage import BronzeRoot
from pipelines.bronze.verify import verify
from tests.reliability import support
from tests.reliability.s3_faults import FaultProxy
from tests.reliability.support import CANARY, FIGURES, SOAK
from tests.reliability.test_crash import POINTS, SEED, scenarios

SOURCE = "jenkins"


@pytest.fixture
def s3(s3_server, monkeypatch):
    """The moto server, with this process's AWS variables set (the canary as the secret key)."""
    for key, value in s3_server.env(secret=CANARY).items():
        monkeypatch.setenv(key, value)
    return s3_server


def s3_run_env(lab, s3_server, folder, url: str, endpoint: str | None = None) -> dict:
    env = lab.run_env(SOURCE, folder)
    env.update(s3_server.env(endpoint, secret=CANARY), DPL_BRONZE_DIR=url)
    return env


def local_copy(url: str, folder) -> BronzeRoot:
    """The bucket's bronze copied to a folder (manifest-listed files only, each checked by sha256)."""
    migrate(url, folder)
    return BronzeRoot(folder)


def run_s3_scenario(lab, s3_server, folder, phase: str, point: str, n: int) -> list[str]:
    name = f"s3/{SOURCE}/{phase}/{point}:{n}"
    url = f"s3://{s3_server.bucket()}/bronze"
    reference = lab.reference(SOURCE, "incr1" if phase == "incr" else "full1")
    if phase == "incr":
        migrate(lab.reference(SOURCE, "full0").bronze, url)
    env = s3_run_env(lab, s3_server, folder, url)
    args = ["sync", SOURCE] if phase == "incr" else ["sync", SOURCE, "--full"]
    killed = support.run_driver(args, env, kill=f"{point}:{n}")
    if killed.returncode != -9:
        return [f"{name}: not killed (exit {killed.returncode}): {killed.stderr[-500:]}"]
    root = BronzeRoot(url)
    root.delete(f"{SOURCE}/.lock")  # the crashed holder's lease would expire; do not wait for it
    problems = []
    report = verify(root)
    listed = {row["path"] for row in support.manifest_rows(root, SOURCE)}
    if report.corrupt or listed & set(report.orphans):
        problems.append(f"{name}: after the kill: {report}")
    FIGURES["orphans_after_kills"] += len(report.orphans)
    after_kill = local_copy(url, folder / "after-kill").local_path()
    violations, _ = support.cursor_violations(after_kill, reference.bronze, SOURCE)
    problems += [f"{name}: after the kill: {v}" for v in violations]
    again = support.run_driver(["sync", SOURCE], env)
    if again.returncode != 0:
        return [*problems, f"{name}: re-run failed (exit {again.returncode}): {again.stderr[-800:]}"]
    if verify(root).corrupt:
        problems.append(f"{name}: after the re-run: {verify(root)}")
    copy = local_copy(url, folder / "after-rerun").local_path()
    return problems + support.rerun_problems(name, copy, folder / "silver.duckdb", reference, SOURCE)


def s3_scenarios(lab, seeds=(SEED,), phases=None) -> list[dict]:
    """test_crash's seeded (phase, point, N) choices for the S3 source (its quarantine flag unused here)."""
    return [
        {key: value for key, value in scenario.items() if key != "quarantine"}
        for scenario in scenarios(SOURCE, lab, seeds, phases)
    ]


def survive(lab, s3_server, tmp_path, chosen) -> None:
    lab.server(SOURCE, support.ADVANCE_STEPS)
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(run_s3_scenario, lab, s3_server, tmp_path / f"s{i}", **scenario)
            for i, scenario in enumerate(chosen)
        ]
        results = [future.result() for future in futures]
    FIGURES["s3_kill_points_survived"] += sum(1 for result in results if not result)
    problems = [p for result in results for p in result]
    assert not problems, "\n".join(problems)


def test_sigkill_at_ten_points_on_s3_then_rerun_equals_a_clean_run(lab, s3, tmp_path):
    chosen = s3_scenarios(lab)
    assert {s["point"] for s in chosen} == set(POINTS) and len(chosen) >= 10
    survive(lab, s3, tmp_path, chosen)


@pytest.mark.soak
@pytest.mark.timeout(3600)
@pytest.mark.skipif(not SOAK, reason="set DPL_SOAK=1 (make test-soak)")
def test_soak_every_point_both_phases_on_s3(lab, s3, tmp_path):
    survive(lab, s3, tmp_path, s3_scenarios(lab, seeds=range(1, 4), phases=("incr", "first")))


def test_store_faults_are_retried_and_the_result_equals_a_fault_free_run(lab, s3, tmp_path):
    proxy = FaultProxy(s3.port, every=4)
    try:
        url = f"s3://{s3.bucket()}/bronze"
        env = s3_run_env(lab, s3, tmp_path, url, proxy.endpoint)
        lab.server(SOURCE, 0)
        first = support.run_driver(["sync", SOURCE, "--full"], env)
        assert first.returncode == 0, first.stderr[-2000:]
        lab.server(SOURCE, support.ADVANCE_STEPS)
        second = support.run_driver(["sync", SOURCE], env)
        assert second.returncode == 0, second.stderr[-2000:]
    finally:
        proxy.stop()
    kinds = {kind for kind, _, _ in proxy.injected}
    assert kinds == {"500", "503", "reset", "reset-after"}, (proxy.requests, proxy.injected)
    FIGURES["s3_faults_survived"] += len(proxy.injected)
    report = verify(url)
    assert not report.corrupt and not report.orphans, report
    copy = local_copy(url, tmp_path / "copy").local_path()
    fingerprint = support.fingerprint(copy, tmp_path / "silver.duckdb")
    assert not support.fingerprint_diff(fingerprint, lab.reference(SOURCE, "incr1").fingerprint)
    assert [r["status"] for r in support.runs_rows(url, SOURCE)] == ["success", "success"]


def test_a_store_refusing_every_part_upload_fails_cleanly(lab, s3, tmp_path):
    parts = lambda method, path: method == "PUT" and ".jsonl.zst" in path  # noqa: E731
    proxy = FaultProxy(s3.port, kinds=("503",), choose=parts)
    try:
        url = f"s3://{s3.bucket()}/bronze"
        lab.server(SOURCE, 0)
        env = {**s3_run_env(lab, s3, tmp_path, url, proxy.endpoint), "AWS_MAX_ATTEMPTS": "2"}
        done = support.run_driver(["sync", SOURCE, "--full"], env)
    finally:
        proxy.stop()
    assert done.returncode == 1, done.stdout + done.stderr
    support.assert_one_classified_line(done.stdout + done.stderr, "STORAGE")
    root = BronzeRoot(url)
    assert [name for name, _ in root.list_files(SOURCE) if name.endswith(".jsonl.zst")] == []  # nothing half-visible
    assert support.manifest_rows(root, SOURCE) == [] and support.cursor_rows(root, SOURCE) == []
    audit = support.runs_rows(root, SOURCE)[-1]
    assert audit["status"] == "failed" and audit["error_class"] == "STORAGE"
    assert not root.exists(f"{SOURCE}/.lock")
