"""Fault storms: with 10% of calls faulted (429 + Retry-After, 500/502/503, resets, read timeouts,
truncated and HTML bodies), full and incremental syncs end with the same silver as fault-free runs;
retries are bounded and a source that keeps failing ends with a classified error, never a hang.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pipelines.cli import main
from simulators.common import FAULT_KINDS
from tests.reliability import support
from tests.reliability.support import FIGURES, SOAK

STORM = {"fault_rate": 0.1, "fault_kinds": FAULT_KINDS, "retry_after_s": 1, "timeout_s": 2.0}
STORM_SEEDS = dict(zip(support.SOURCES, ((11,), (12,), (13,)), strict=True))  # together: all 8 kinds


def count_faults(server) -> dict:
    """Wrap the server's fault picker to count the faults it injects, by kind."""
    counted: dict[str, int] = {}
    pick, lock = server.pick_fault, threading.Lock()

    def counting():
        fault = pick()
        if fault:
            with lock:
                counted[fault] = counted.get(fault, 0) + 1
        return fault

    server.pick_fault = counting
    return counted


def storm_run(lab, source: str, folder, step: int, seed: int, args: list[str], config) -> tuple[dict, dict]:
    """One sync under a storm on a fresh simulator at `step`: (faults injected by kind, audit row)."""
    server = lab.server(source, step, fresh=True)
    server.set_knobs(**STORM, fault_seed=seed)
    injected = count_faults(server)
    done = support.run_driver(args, lab.run_env(source, folder, config))
    assert done.returncode == 0, done.stdout + done.stderr
    audit = support.runs_rows(folder / "bronze", source)[-1]
    assert audit["status"] == "success", audit
    # every fault was noticed and retried: none slipped through as data
    assert audit["retries"] == sum(injected.values()), (audit["retries"], injected)
    return injected, audit


def storm_source(lab, tmp_path, source: str, config, seeds) -> dict:
    kinds: dict[str, int] = {}
    for seed in seeds:
        folder = tmp_path / f"{source}-{seed}"
        for step, args, reference in (
            (0, ["sync", source, "--full"], "full0"),
            (support.ADVANCE_STEPS, ["sync", source], "incr1"),
        ):
            injected, _ = storm_run(lab, source, folder, step, seed, args, config)
            for kind, n in injected.items():
                kinds[kind] = kinds.get(kind, 0) + n
            got = support.fingerprint(folder / "bronze", folder / f"silver-{reference}.duckdb")
            diff = support.fingerprint_diff(got, lab.reference(source, reference).fingerprint)
            assert not diff, f"{source} seed {seed} {reference}: silver differs from the fault-free run: {diff}"
            assert not support.duplicate_keys(folder / f"silver-{reference}.duckdb")
    return kinds


def storms(lab, tmp_path, seeds: dict) -> dict:
    """Every source under its storms, in parallel; the faults injected, by kind."""
    for source in support.SOURCES:  # the references first: they need a fault-free simulator
        lab.reference(source, "incr1")
    config = support.config_copy(tmp_path, http=support.FAST_HTTP)
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda s: storm_source(lab, tmp_path, s, config, seeds[s]), support.SOURCES))
    kinds: dict[str, int] = {}
    for result in results:
        for kind, n in result.items():
            kinds[kind] = kinds.get(kind, 0) + n
    FIGURES["faults_injected_and_survived"] += sum(kinds.values())
    return kinds


def test_full_and_incremental_syncs_under_a_fault_storm_equal_fault_free_runs(lab, tmp_path):
    started = time.monotonic()
    kinds = storms(lab, tmp_path, STORM_SEEDS)
    assert set(kinds) == set(FAULT_KINDS), kinds  # every kind was injected at least once
    assert time.monotonic() - started < 120


@pytest.mark.soak
@pytest.mark.timeout(3600)
@pytest.mark.skipif(not SOAK, reason="set DPL_SOAK=1 (make test-soak)")
def test_soak_storms_eight_seeds_per_source_at_scale(lab, tmp_path):
    kinds = storms(lab, tmp_path, dict.fromkeys(support.SOURCES, range(1, 9)))
    assert set(kinds) == set(FAULT_KINDS) and sum(kinds.values()) >= 100, kinds


# -- a source that keeps failing ----------------------------------------------------------------

PERSISTENT = [
    ("429", "RATE_LIMITED"),
    ("500", "SERVER_ERROR"),
    ("502", "SERVER_ERROR"),
    ("503", "SERVER_ERROR"),
    ("reset", "NETWORK"),
    ("timeout", "NETWORK"),
    ("truncated", "NETWORK"),
    ("malformed", "BAD_PAYLOAD"),
]


@pytest.mark.parametrize(("kind", "error_class"), PERSISTENT)
def test_a_source_that_keeps_failing_ends_with_a_classified_error(
    lab, canary_env, tmp_path, monkeypatch, capsys, kind, error_class
):
    server = lab.server("jenkins", fresh=True)
    server.set_knobs(fault_rate=1.0, fault_kinds=(kind,), retry_after_s=1, timeout_s=2.0)
    canary_env("jenkins")
    http = {**support.FAST_HTTP, "max_attempts": 3, "max_retry_after_s": 0.05}
    monkeypatch.setenv("DPL_CONFIG_DIR", str(support.config_copy(tmp_path, http=http)))
    started = time.monotonic()
    code = main(["sync", "jenkins"])
    elapsed = time.monotonic() - started
    out = support.captured(capsys)
    assert code == 1
    line = support.assert_one_classified_line(out, error_class)
    assert "jenkins:" in line
    assert len(server.requests()) == 3  # max_attempts, then stop
    assert elapsed < 10
    (audit,) = support.runs_rows(tmp_path / "bronze", "jenkins")
    assert audit["status"] == "failed" and audit["error_class"] == error_class and audit["retries"] == 2
    assert support.cursor_rows(tmp_path / "bronze", "jenkins") == []
    FIGURES["persistent_fault_runs_classified"] += 1


def test_max_elapsed_bounds_a_call_that_keeps_timing_out(lab, canary_env, tmp_path, monkeypatch, capsys):
    server = lab.server("jenkins", fresh=True)
    server.set_knobs(fault_rate=1.0, fault_kinds=("timeout",), timeout_s=2.0)
    canary_env("jenkins")
    http = {**support.FAST_HTTP, "max_attempts": 1000, "max_elapsed_s": 1.5, "read_timeout_s": 0.3}
    monkeypatch.setenv("DPL_CONFIG_DIR", str(support.config_copy(tmp_path, http=http)))
    started = time.monotonic()
    assert main(["sync", "jenkins"]) == 1
    assert time.monotonic() - started < 6
    support.assert_one_classified_line(support.captured(capsys), "NETWORK")
    assert 2 <= len(server.requests()) < 10
