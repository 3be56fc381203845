"""Derived work survives a crash: kills at every resource boundary, faults before each derived stream.

A derived stream takes its input from what the run read rather than from a window of its own (Jira
`users`: the accounts the issues reference; a Jira catalog refreshed because the issues show it
changed; see README.md, property 9). Each scenario runs a sync — the first, full one (`first`), or an
incremental one on top of a clean full sync (`incr`) — and stops it:

- `resource:N`: SIGKILL just before the N-th resource of the run starts, i.e. once N-1 resources
  are published and their cursors (and pending work) committed — every resource boundary;
- `runs:1`: SIGKILL after the last resource, before the audit row;
- `call<regex>`: the first API call of a derived stream fails for good (SERVER_ERROR): the run ends
  there with one classified line, exit 1.

Both runs re-read nothing before the cursors (no safety window), so the re-run sees only what changed
since the cursors the stopped run committed. Then `sync <source>` (incremental) runs to completion,
and the latest payload of every (source, stream, __id) in bronze must equal a clean run's at the
same world state.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import REPO
from tests.reliability import support
from tests.reliability.support import FIGURES, SOAK

# The first call of each derived stream (and of the deferred child completions), per source.
DERIVED_CALLS = {
    "jira": {
        "users": r"/user/bulk",
        "projects": r"/project/search",
        "versions": r"/project/\d+/versions",
        "sprints": r"/board/\d+/sprint",
        "changelog batches": r"/changelog/bulkfetch",
        "worklog completions": r"/worklog/list|/issue/\d+/worklog",
        "comment completions": r"/issue/\d+/comment",
    },
    "bitbucket": {
        "commits (heads read this run)": r"/repositories/[^/]+/[^/]+/commits",
        "pr_activities": r"/pullrequests/\d+/activity",
        "pr_commits": r"/pullrequests/\d+/commits",
    },
    "jenkins": {"builds (jobs listed this run)": r"allBuilds"},
}
# make test: per source, the boundary and the fault that hit its derived stream hardest.
REPRESENTATIVE = {
    "jira": [("first", "resource", "users"), ("first", "call", "users")],
    "bitbucket": [("first", "resource", "pull_requests"), ("incr", "call", "pr_activities")],
    "jenkins": [("first", "resource", "builds"), ("first", "call", "builds (jobs listed this run)")],
}
RESOURCE_ORDER = {
    "bitbucket": ("repositories", "branches", "commits", "pull_requests"),
    "jenkins": ("jobs", "builds", "queue"),
}


def reference_of(lab, source: str, phase: str):
    return lab.reference(source, "incr1" if phase == "incr" else "full1")


def run_scenario(lab, source: str, folder, phase: str, action: str, target: str) -> list[str]:
    """Stop a sync as `action` says, re-run it, compare the latest payloads; returns the problems found."""
    name = f"{source}/{phase}/{action}:{target}"
    bronze = folder / "bronze"
    if phase == "incr":
        shutil.copytree(lab.reference(source, "full0").bronze, bronze)
    env = lab.run_env(source, folder, no_safety_window(folder))
    args = ["sync", source] if phase == "incr" else ["sync", source, "--full"]
    if action == "call":
        stopped = support.run_driver(args, env, fail=f"call{target}:1:server")
        if stopped.returncode == 0:
            return [f"{name}: not reached (no such call in this run)"]
        if stopped.returncode != 1 or "Traceback" in stopped.stderr or "[SERVER_ERROR]" not in stopped.stderr:
            return [f"{name}: did not fail cleanly (exit {stopped.returncode}): {stopped.stderr[-600:]}"]
    else:
        stopped = support.run_driver(args, env, kill=target)
        if stopped.returncode != -9:
            return [f"{name}: not killed (exit {stopped.returncode}): {stopped.stderr[-500:]}"]
    again = support.run_driver(["sync", source], env)
    if again.returncode != 0:
        return [f"{name}: re-run failed (exit {again.returncode}): {again.stderr[-800:]}"]
    want = support.payload_variants(reference_of(lab, source, phase).bronze, source)
    got = support.latest_payloads(bronze, source)
    return [f"{name}: {problem}" for problem in support.payload_diff(got, want)]


def no_safety_window(folder):
    """A config whose incremental runs re-read nothing before the cursors (`safety_window_minutes: 0`): the
    re-run sees only what changed since the killed run's committed cursors, as a later run would."""
    config = folder / "config"
    shutil.copytree(REPO / "config", config)
    time_yaml = config / "time.yaml"
    time_yaml.write_text(time_yaml.read_text().replace("safety_window_minutes: 60", "safety_window_minutes: 0"))
    assert "safety_window_minutes: 0" in time_yaml.read_text()
    return config


def resource_index(lab, source: str, phase: str, resource: str) -> int:
    """1-based position of a resource in a clean run of that phase (the kill point `resource:N`)."""
    if source == "jira":  # every Jira catalog is a resource; users is the last one
        assert resource == "users"
        return reference_of(lab, source, phase).counts["resource"]
    return RESOURCE_ORDER[source].index(resource) + 1


def every_scenario(lab, source: str, phases=("first", "incr")) -> list[tuple[str, str, str]]:
    """Every resource boundary and `runs:1` of each phase, and a fault before every derived call."""
    chosen = []
    for phase in phases:
        resources = reference_of(lab, source, phase).counts["resource"]
        chosen += [(phase, "kill", f"resource:{n}") for n in range(1, resources + 1)]
        chosen += [(phase, "kill", "runs:1")]
        chosen += [(phase, "call", pattern) for pattern in DERIVED_CALLS[source].values()]
    return chosen


def survive(lab, tmp_path, source: str, chosen: list[tuple[str, str, str]]) -> None:
    for phase in {phase for phase, _, _ in chosen}:  # clean runs first: Lab.reference is not thread-safe
        reference_of(lab, source, phase)
    lab.reference(source, "full0")
    lab.server(source, support.ADVANCE_STEPS)
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(run_scenario, lab, source, tmp_path / f"d{i}", phase, action, target)
            for i, (phase, action, target) in enumerate(chosen)
        ]
        results = [future.result() for future in futures]
    unreached = [p for result in results for p in result if p.endswith("not reached (no such call in this run)")]
    problems = [p for result in results for p in result if p not in unreached]
    FIGURES["derived_scenarios_survived"] += sum(1 for result in results if not result)
    assert not problems, "\n".join(problems)
    # a derived call the sweep aims at must be made in at least one phase
    for pattern in {target for _, action, target in chosen if action == "call"}:
        hits = [p for p in unreached if f"call:{pattern}:" in p]
        phases = {phase for phase, action, target in chosen if action == "call" and target == pattern}
        assert len(hits) < len(phases), f"{source}: no run made a call matching {pattern!r}"


@pytest.mark.parametrize("source", support.SOURCES)
def test_kill_before_the_derived_stream_and_fault_at_its_first_call_then_rerun_equals_a_clean_run(
    lab, tmp_path, source
):
    chosen = []
    for phase, action, target in REPRESENTATIVE[source]:
        if action == "resource":
            chosen.append((phase, "kill", f"resource:{resource_index(lab, source, phase, target)}"))
        else:
            chosen.append((phase, "call", DERIVED_CALLS[source][target]))
    survive(lab, tmp_path, source, chosen)


@pytest.mark.soak
@pytest.mark.timeout(3600)
@pytest.mark.skipif(not SOAK, reason="set DPL_SOAK=1 (make test-soak)")
@pytest.mark.parametrize("source", support.SOURCES)
def test_soak_every_resource_boundary_and_every_derived_call(lab, tmp_path, source):
    survive(lab, tmp_path, source, every_scenario(lab, source))
