"""`make demo`: every source end to end on the bundled simulators, into .demo/ (never bronze/).

Starts the simulators in this process (threads on loopback ports), runs a full `sync-all`,
advances the simulated worlds (updates, new records, deletions), runs an incremental `sync-all`,
builds silver, prints the anomaly summary and the DORA table, reports what was written, loads
the demo bronze into a local duckdb destination with dlt (`make load DEST=duckdb`), and ends with the
workbench: one JQL query and one saved query answered from the warehouse. Everything it started stops
with it: no process is left running.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.bronze.ledger import read_ledger  # noqa: E402
from pipelines.display import human_bytes, table  # noqa: E402
from simulators import SIMULATORS, create, env_for  # noqa: E402

DEMO = REPO / ".demo"


def cli(*args: str, env: dict, check: bool = True) -> int:
    print(f"\n$ python -m pipelines {shlex.join(args)}", flush=True)
    code = subprocess.call([sys.executable, "-m", "pipelines", *args], env=env, cwd=REPO)
    if check and code != 0:
        raise SystemExit(f"demo: `python -m pipelines {' '.join(args)}` failed with exit code {code}")
    return code


def present(name: str) -> bool:
    """A simulator and its source module both exist in this checkout."""
    return all(importlib.util.find_spec(m) for m in (f"simulators.{name}", f"pipelines.dlt.resources.{name}"))


def main(bronze: str | None = None, extra_env: dict | None = None) -> int:
    """The demo; `bronze` (default .demo/bronze) and `extra_env` let scripts/demo_lake.py put bronze in a bucket."""
    started = time.monotonic()
    shutil.rmtree(DEMO, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "BITBUCKET_", "JENKINS_"))}
    env.update(extra_env or {})
    env.update(
        DPL_BRONZE_DIR=bronze or str(DEMO / "bronze"),
        DPL_WAREHOUSE=str(DEMO / "warehouse" / "lakehouse.duckdb"),
        DPL_CONFIG_DIR=str(REPO / "config"),
        DLT_DATA_DIR=str(DEMO / "dlt"),
        DPL_LOG_DIR=str(DEMO / "logs"),  # each sync's log: .demo/logs/<source>/<run_id>.log
        RUNTIME__DLTHUB_TELEMETRY="false",
        PYTHONPATH=str(REPO),
        DESTINATION__DUCKDB__CREDENTIALS=str(DEMO / "destination.duckdb"),
    )
    servers = {name: create(name, seed=7).start() for name in SIMULATORS if present(name)}
    try:
        for name, server in servers.items():
            env.update(env_for(name, server))
            print(f"simulator {name}: {server.url}")
        cli("check", env=env)
        cli("sync-all", "--full", env=env)
        for name, server in servers.items():
            changed = server.world.advance(3)
            print(f"advanced the {name} world: {changed}")
        cli("sync-all", env=env)
        cli("silver", env=env)
        cli("anomalies", env=env)
        cli("dora", env=env)
    finally:
        for server in servers.values():
            server.stop()
    report(servers, env["DPL_BRONZE_DIR"])
    if "://" not in env["DPL_BRONZE_DIR"]:
        print("\nExplore it:")
        print("  export DPL_BRONZE_DIR=.demo/bronze DPL_WAREHOUSE=.demo/warehouse/lakehouse.duckdb")
        print("  make show-runs; make show-cursors; make stats; make verify; make shell; make queries")
        print("  python -c 'from pipelines import lakehouse; print(lakehouse.table(\"jira_issues\"))'")
    print("\n== the demo bronze, loaded with dlt into a local duckdb destination (.demo/destination.duckdb)")
    cli("load", "--destination", "duckdb", env=env)
    print(f"\ndemo finished in {time.monotonic() - started:.0f}s; last, the workbench")
    workbench(env)
    return 0


def workbench(env: dict) -> None:
    """The warehouse answers Jira's questions offline: one JQL query, one saved query."""
    print("\n== the workbench: JQL and saved queries answered from the warehouse (no call to Jira)")
    jql = "project = DPL AND statusCategory != Done AND fixVersion in unreleasedVersions() ORDER BY updated DESC"
    cli("jql", jql, "--limit", "8", env=env)
    cli("query", "release_readiness", "--param", "project=DPL", env=env)


def report(servers: dict, bronze: str) -> None:
    rows = []
    for name in servers:
        files = read_ledger(bronze, name, "manifest")
        runs = read_ledger(bronze, name, "runs")
        for run in runs:
            rows.append(
                {
                    "source": name,
                    "run": run["mode"],
                    "status": run["status"],
                    "files": sum(1 for f in files if f["run_id"] == run["run_id"]),
                    "records": run["records_written"],
                    "bytes": human_bytes(sum(f["bytes"] for f in files if f["run_id"] == run["run_id"])),
                    "api_calls": run["api_calls"],
                    "seconds": round((run["ended_at"] - run["started_at"]).total_seconds(), 1),
                }
            )
    print(f"\n== what the demo wrote ({bronze})")
    print(table(rows, ["source", "run", "status", "files", "records", "bytes", "api_calls", "seconds"]))


if __name__ == "__main__":
    sys.exit(main())
