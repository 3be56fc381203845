"""Sync benchmarks on the simulators: API calls against each world's computed minimum, wall time
against the latency floor, and an incremental Jira sync after a known number of changes.

Each simulator runs in its own process (bench/procs.py); each pipeline run is
`python -m pipelines sync <source> [--full]` in a fresh process with a private bronze dir, so wall
times include interpreter start-up, as a user or a scheduler sees them. The minimum call counts come
from a copy of the world generated here from the same seed and scale (generation is deterministic;
the copy is advanced in step with the simulator and checked against what the simulator reports).
"""

from __future__ import annotations

import collections
import re
import shutil
import statistics
from math import ceil
from pathlib import Path

import orjson

from bench.procs import Simulator, require_success, run_cli

SEED = 7
ENDPOINT_ID = re.compile(r"/\d+(?=/|$)")


def _median(values) -> float:
    return statistics.median(values)


def _endpoint(entry: dict) -> str:
    """`GET /rest/api/3/issue/{n}/comment` style name of a logged call."""
    return f"{entry['method']} {ENDPOINT_ID.sub('/{n}', entry['path'])}"


def timed_syncs(sim: Simulator, source: str, args: list[str], workdir: Path, repeat: int) -> list[dict]:
    """`repeat` runs of `sync <source> <args>`, each into a fresh bronze dir: time, calls, audit row."""
    runs = []
    for attempt in range(repeat):
        bronze = workdir / f"{source}-{attempt}"
        sim.reset()
        name = f"{source}-sync-{attempt}"
        result = run_cli(["sync", source, *args], {**sim.env, "DPL_BRONZE_DIR": str(bronze)}, workdir, name)
        row = require_success(result, bronze, source)
        calls = sim.requests()
        runs.append({**result, "calls": len(calls), "audit_calls": row["api_calls"], "records": row["records_written"]})
        shutil.rmtree(bronze, ignore_errors=True)
    return runs


def config_with(workdir: Path, **http) -> str:
    """A copy of the repo's config/ with some `http:` keys changed; its path (for DPL_CONFIG_DIR)."""
    import yaml

    from bench.procs import REPO

    folder = Path(workdir) / ("config-" + "-".join(f"{k}{v}" for k, v in sorted(http.items())))
    shutil.copytree(REPO / "config", folder, dirs_exist_ok=True)
    sources = yaml.safe_load((folder / "sources.yaml").read_text())
    sources["http"].update(http)
    (folder / "sources.yaml").write_text(yaml.safe_dump(sources, sort_keys=False, allow_unicode=True))
    return str(folder)


def summarise(runs: list[dict]) -> dict:
    """Medians over repeated runs (call counts should not vary: `calls_vary` says if they did)."""
    calls = {r["calls"] for r in runs}
    return {
        "runs": len(runs),
        "calls": _median([r["calls"] for r in runs]),
        "calls_vary": len(calls) > 1,
        "calls_match_audit": all(r["calls"] == r["audit_calls"] for r in runs),
        "records": _median([r["records"] for r in runs]),
        "wall_s": round(_median([r["wall_s"] for r in runs]), 2),
        "wall_s_all": [round(r["wall_s"], 2) for r in runs],
        "cpu_s": round(_median([r["cpu_s"] for r in runs]), 2),
        "peak_rss_mb": round(_median([r["peak_rss_mb"] for r in runs])),
    }


# -- Jira full sync ------------------------------------------------------------------------------


def jira_full(workdir: Path, issues: int, latency_ms: float, repeat: int) -> dict:
    """Full syncs of `issues` issues with `latency_ms` per request: calls vs the minimum, time vs the floor."""
    from simulators.jira.cost import minimum_calls, per_issue_calls
    from simulators.jira.world import JiraWorld

    scale = {"issues": issues}
    world = JiraWorld(SEED, scale)
    minimum, per_issue = minimum_calls(world), per_issue_calls(world)
    with Simulator("jira", workdir, scale, latency_ms, SEED) as sim:
        runs = timed_syncs(sim, "jira", ["--full"], workdir, repeat)
        by_endpoint = collections.Counter(_endpoint(e) for e in sim.requests())
    out = summarise(runs)
    floor_s = minimum["total"] * latency_ms / 1000
    return {
        **out,
        "issues": issues,
        "latency_ms": latency_ms,
        "minimum_calls": minimum["total"],
        "minimum_by_stream": minimum,
        "per_issue_design_calls": per_issue["total"],
        "calls_over_minimum": round(out["calls"] / minimum["total"], 3),
        "per_issue_over_calls": round(per_issue["total"] / out["calls"], 1),
        "latency_floor_s": round(floor_s, 2),
        "wall_over_floor": round(out["wall_s"] / floor_s, 3) if floor_s else None,
        "calls_by_endpoint": dict(by_endpoint.most_common()),
    }


# -- Jira under a rate limit -----------------------------------------------------------------------


def jira_rate_limited(workdir: Path, issues: int, latency_ms: float, limit_per_min: int) -> dict:
    """Full syncs with the simulator's rate limit on (429 + Retry-After beyond `limit_per_min` calls in any
    60 s): one call at a time (`max_concurrency: 1`) and with the default concurrency; 429s and wall time
    against the floor the limit implies (a sliding 60 s window: (ceil(calls / limit) - 1) x 60 s)."""
    from pipelines.dlt.http import HttpPolicy

    scale = {"issues": issues}
    out = {"issues": issues, "latency_ms": latency_ms, "limit_per_min": limit_per_min, "runs": {}}
    variants = {"serial": 1, "concurrent": HttpPolicy().max_concurrency}
    for name, concurrency in variants.items():
        # a fresh simulator per variant: the limit's window starts empty for both
        with Simulator("jira", workdir, scale, latency_ms, SEED) as sim:
            sim.knobs(rate_limit_per_min=limit_per_min)
            bronze = workdir / f"jira-limited-{name}"
            env = {
                **sim.env,
                "DPL_BRONZE_DIR": str(bronze),
                "DPL_CONFIG_DIR": config_with(workdir, max_concurrency=concurrency),
            }
            result = run_cli(["sync", "jira", "--full"], env, workdir, f"jira-limited-{name}")
            log = sim.requests()
        failed = result["exit_code"] != 0
        row = None if failed else require_success(result, bronze, "jira")
        out["runs"][name] = {
            "max_concurrency": concurrency,
            "wall_s": round(result["wall_s"], 2),
            "calls": len(log),
            "answered_429": sum(1 for e in log if e["status"] == 429),
            "rate_limit_waits_s": row["rate_limit_waits_s"] if row else None,
            "failed": failed,
        }
        shutil.rmtree(bronze, ignore_errors=True)
    calls = out["runs"]["concurrent"]["calls"] - out["runs"]["concurrent"]["answered_429"]
    out["floor_s"] = (ceil(calls / limit_per_min) - 1) * 60.0
    out["wall_over_floor"] = round(out["runs"]["concurrent"]["wall_s"] / out["floor_s"], 3) if out["floor_s"] else None
    return out


# -- Jira incremental sync -----------------------------------------------------------------------

CHILD_ENDPOINTS = ("/comment", "/worklog", "/changelog", "/worklog/updated", "/worklog/list", "/changelog/bulkfetch")
CALL_GROUPS = (
    ("search", lambda p: p.endswith("/search/jql")),
    ("children", lambda p: p.endswith(CHILD_ENDPOINTS)),
    ("users", lambda p: p.endswith("/user/bulk")),
    ("worklog_deletions", lambda p: p.endswith("/worklog/deleted")),
    ("catalogs", lambda p: True),  # projects, versions, fields, types, statuses, priorities, boards, sprints
)


def group_calls(log: list[dict]) -> dict[str, int]:
    """Calls per group (search, children, users, worklog_deletions, catalogs)."""
    counts = dict.fromkeys((name for name, _ in CALL_GROUPS), 0)
    for entry in log:
        counts[next(name for name, test in CALL_GROUPS if test(entry["path"]))] += 1
    return counts


def jira_incremental(workdir: Path, issues: int, warmup: int, steps: int, latency_ms: float, repeat: int) -> dict:
    """The world moves `warmup` steps and gets a full sync (no latency); then `repeat` rounds of: the world
    moves `steps` steps (~5 changed issues a step), an incremental sync runs with `latency_ms` a request.

    The warm-up steps put only simulated activity (what `advance` does) in the hour before the full
    sync's cursor, so each round's 60-minute safety window re-reads a realistic overlap rather than
    the dense recent history of a freshly generated world.
    """
    from pipelines.bronze.ledger import read_cursors
    from simulators.jira.world import JiraWorld

    scale = {"issues": issues}
    bronze = workdir / "jira-incremental"
    env_bronze = {"DPL_BRONZE_DIR": str(bronze)}
    rounds = []
    with Simulator("jira", workdir, scale, 0, SEED) as sim:
        moves = [sim.advance(warmup)]
        prime = run_cli(["sync", "jira", "--full"], {**sim.env, **env_bronze}, workdir, "jira-incremental-full")
        # the same full sync doubles as the memory figure at this size (peak RSS of a real Jira sync)
        require_success(prime, bronze, "jira")
        world = JiraWorld(SEED, scale)  # the simulator's world, to compute what a perfect client needs
        replayed = [world.advance(warmup)]
        sim.knobs(latency_ms=latency_ms)
        for attempt in range(repeat):
            changed = sim.advance(steps)
            moves.append(changed)
            replayed.append(world.advance(steps))
            if moves != replayed:
                raise RuntimeError("the local copy of the Jira world diverged from the simulator's")
            needed = child_minimum(world, read_cursors(bronze, "jira"))
            sim.reset()
            name = f"jira-incremental-{attempt}"
            result = run_cli(["sync", "jira"], {**sim.env, **env_bronze}, workdir, name)
            row = require_success(result, bronze, "jira")
            log = sim.requests()
            rounds.append(
                {
                    **result,
                    "changed_issues": len(changed["updated"]) + len(changed["created"]) + len(changed["deleted"]),
                    "calls": len(log),
                    "calls_by_group": group_calls(log),
                    "needed_child_calls": needed["total"],
                    "needed_by_stream": needed,
                    "child_calls_by_endpoint": dict(
                        collections.Counter(_endpoint(e) for e in log if e["path"].endswith(CHILD_ENDPOINTS))
                    ),
                    "records": row["records_written"],
                    "issues_fetched": orjson.loads(row["streams"])["issues"]["fetched"],
                }
            )
    shutil.rmtree(bronze, ignore_errors=True)
    return summarise_incremental(rounds, prime, issues, steps, latency_ms)


def summarise_incremental(rounds: list[dict], prime: dict, issues: int, steps: int, latency_ms: float) -> dict:
    groups = {name: _median([r["calls_by_group"][name] for r in rounds]) for name, _ in CALL_GROUPS}
    return {
        "issues": issues,
        "steps": steps,
        "latency_ms": latency_ms,
        "rounds": len(rounds),
        "full_sync_s": round(prime["wall_s"], 1),
        "full_sync_peak_rss_mb": round(prime["peak_rss_mb"]),
        "changed_issues": _median([r["changed_issues"] for r in rounds]),
        "calls": _median([r["calls"] for r in rounds]),
        "calls_by_group": groups,
        "calls_by_round": [r["calls_by_group"] for r in rounds],
        "needed_child_calls": _median([r["needed_child_calls"] for r in rounds]),
        "child_calls_by_round": [
            {"made": r["child_calls_by_endpoint"], "needed": r["needed_by_stream"]} for r in rounds
        ],
        "child_calls_over_needed_max": max(r["calls_by_group"]["children"] - r["needed_child_calls"] for r in rounds),
        "records": _median([r["records"] for r in rounds]),
        "issues_fetched": _median([r["issues_fetched"] for r in rounds]),
        "wall_s": round(_median([r["wall_s"] for r in rounds]), 2),
        "wall_s_all": [round(r["wall_s"], 2) for r in rounds],
        "cpu_s": round(_median([r["cpu_s"] for r in rounds]), 2),
    }


def child_minimum(world, cursors: dict) -> dict:
    """Child calls a perfect client needs in an incremental run: for the issues in each stream's window
    (its stored cursor per project minus the safety window), the truncated comment, worklog and
    changelog blocks — read as cheaply as the API allows, knowing the world."""
    from pipelines.timeutil import parse_iso
    from simulators.jira.cost import PAGE_SIZES as SIZES
    from simulators.jira.cost import changed_pages
    from simulators.jira.render import EMBEDDED_COMMENTS, EMBEDDED_HISTORIES, EMBEDDED_WORKLOGS
    from simulators.jira.routes_bulk import QUIET_MS

    projects = [p for p in world.projects if not p.forbidden]

    def in_window(stream: str) -> list[tuple[object, float]]:
        """(issue, window start in epoch ms) of the issues `stream` reads."""
        out = []
        for project in projects:
            cursor = cursors.get((stream, project.key))
            start = 0 if cursor is None else parse_iso(cursor).timestamp() * 1000 - SAFETY_WINDOW_MS
            out += [(i, start) for i in world.live_issues(project.index) if i.updated >= start]
        return out

    comments = sum(
        ceil((len(i.comments) - EMBEDDED_COMMENTS) / SIZES["comments"])
        for i, _ in in_window("comments")
        if len(i.comments) > EMBEDDED_COMMENTS
    )
    long_histories = [
        len(i.histories)
        for i, start in in_window("issue_changelogs")
        if len(i.histories) > EMBEDDED_HISTORIES and i.histories[-EMBEDDED_HISTORIES].created >= start
    ]  # the 40 newest embedded histories do not reach back before the window: some are missing
    changelogs = (
        max(ceil(len(long_histories) / SIZES["bulk_issues"]), ceil(sum(long_histories) / SIZES["bulk_histories"]))
        if long_histories
        else 0
    )
    worklog_issues = in_window("worklogs")
    truncated = [(i, start) for i, start in worklog_issues if len(i.worklogs) > EMBEDDED_WORKLOGS]
    since = min((start for _, start in worklog_issues), default=0)
    recent = [w for i in world.live_issues() for w in i.worklogs if since <= w.updated <= world.now - QUIET_MS]
    missing = sum(1 for i, start in truncated for w in i.worklogs[EMBEDDED_WORKLOGS:] if w.updated >= start)
    bulk = changed_pages(len(recent), SIZES["worklog_ids"]) + ceil(missing / SIZES["worklog_list"])
    worklogs = min(len(truncated), bulk) if truncated else 0
    return {"comments": comments, "issue_changelogs": changelogs, "worklogs": worklogs,
            "total": comments + changelogs + worklogs}  # fmt: skip


SAFETY_WINDOW_MS = 60 * 60 * 1000  # config/time.yaml default (safety_window_minutes: 60)


# -- Bitbucket and Jenkins -----------------------------------------------------------------------


def bitbucket_full(workdir: Path, scale: dict, repeat: int) -> dict:
    """Full Bitbucket syncs: calls vs `BitbucketWorld.min_calls()`."""
    from simulators.bitbucket.world import BitbucketWorld

    minimum = BitbucketWorld(SEED, scale).min_calls()
    with Simulator("bitbucket", workdir, scale, 0, SEED) as sim:
        out = summarise(timed_syncs(sim, "bitbucket", ["--full"], workdir, repeat))
    return {**out, "scale": scale, "minimum_calls": minimum["total"], "minimum_by_stream": minimum,
            "calls_over_minimum": round(out["calls"] / minimum["total"], 3)}  # fmt: skip


def jenkins_full(workdir: Path, scale: dict, repeat: int, page_size: int = 100) -> dict:
    """Full Jenkins syncs: calls vs `JenkinsWorld.min_calls()` (builds ranges of `page_size`)."""
    from simulators.jenkins.world import JenkinsWorld

    minimum = JenkinsWorld(SEED, scale).min_calls(page_size)
    with Simulator("jenkins", workdir, scale, 0, SEED) as sim:
        out = summarise(timed_syncs(sim, "jenkins", ["--full"], workdir, repeat))
    return {**out, "scale": scale, "minimum_calls": minimum["total"], "minimum_by_stream": minimum,
            "calls_over_minimum": round(out["calls"] / minimum["total"], 3)}  # fmt: skip
