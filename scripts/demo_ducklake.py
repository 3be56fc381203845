"""The warehouse as a DuckLake on PostgreSQL, with a reader running while silver builds (part of `make demo-lake`).

    python scripts/demo_ducklake.py          # after `make demo` (reads .demo/bronze), or:
    run_ducklake_demo(bronze, env, data)     # from scripts/demo_lake.py, with bronze on the local S3

Starts a throwaway PostgreSQL (Debian's binaries, a temp cluster on a loopback port), builds silver
into a DuckLake whose catalog is that server (password only in PGPASSWORD) and whose data is under
`data`, lists the snapshots, then rebuilds in full while a reader process queries in a loop, and shows
what the reader saw: the old snapshot until the commit, the new one after, no error. Ends with a
query on the first snapshot (AS_OF) and stops the server: nothing is left running.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

import demo  # noqa: E402
from local_postgres import start_server  # noqa: E402

from pipelines.settings import Settings  # noqa: E402
from pipelines.silver.snapshots import list_snapshots  # noqa: E402
from pipelines.silver.target import parse_warehouse  # noqa: E402

DATABASE = "dpl_demo"
READER = """
import json, sys, time
from pathlib import Path
from pipelines import lakehouse
stop = Path(sys.argv[1])
while not stop.exists():
    try:
        n = lakehouse.sql(
            "select (select * from ducklake_current_snapshot(current_database())) as snapshot, count(*) as n "
            "from jira_issues"
        ).iloc[0]
        print(json.dumps({"at": time.time(), "snapshot": int(n["snapshot"]), "issues": int(n["n"])}), flush=True)
    except Exception as exc:
        print(json.dumps({"at": time.time(), "error": str(exc).splitlines()[0]}), flush=True)
"""


@contextlib.contextmanager
def local_postgres():
    """A PostgreSQL server with an empty database for the lake's catalog; stopped on exit."""
    server = start_server()
    try:
        server.execute(f"create database {DATABASE}")
        print(f"local PostgreSQL ({server.bindir}): {server.host}:{server.port}, database {DATABASE}")
        yield server
    finally:
        server.stop()
        print("local PostgreSQL stopped")


def run_ducklake_demo(bronze: str, env: dict, data: str) -> int:
    """Silver into a DuckLake on a local PostgreSQL (data under `data`), a reader during a rebuild, AS_OF."""
    with local_postgres() as server:
        lake_env = {
            **env,
            "DPL_BRONZE_DIR": bronze,
            "DPL_WAREHOUSE": f"ducklake:postgres:{server.conninfo(DATABASE)}",
            "DPL_WAREHOUSE_DATA": data,
            "PGPASSWORD": server.password,
            "PYTHONPATH": str(REPO),
        }
        demo.cli("silver", env=lake_env)
        reads = read_during(lambda: demo.cli("silver", "--full", env=lake_env), lake_env)
        demo.cli("snapshots", env=lake_env)
        first = first_build(lake_env)
        then = "select count(*) as issues_at_the_first_build from jira_issues;"
        demo.cli("shell", "--as-of", str(first), "--sql", then, env=lake_env)
        print("\nAn analyst's DuckDB reads the same lake with one line (README: Running for a team):")
        print(f"  attach 'ducklake:postgres:{server.conninfo(DATABASE)}' as dpl (read_only);")
    return 0 if reads and not any("error" in r for r in reads) else 1


def read_during(build, env: dict) -> list[dict]:
    """Run `build` while a reader process queries the lake in a loop; print what it saw."""
    stop = Path(tempfile.mkdtemp(prefix="dpl-reader-")) / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(stop)], env=env, cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        reader.stdout.readline()  # the reader is up before the build starts
        started = time.time()
        build()
        ended = time.time()
        time.sleep(1)
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=120)
        shutil.rmtree(stop.parent, ignore_errors=True)
    reads = [json.loads(line) for line in out.splitlines()]
    during = [r for r in reads if started <= r["at"]]
    seen = Counter(
        f"error: {r['error']}" if "error" in r else f"snapshot {r['snapshot']}: {r['issues']} issues" for r in during
    )
    took = f"{ended - started:.1f} s"
    print(f"\nreader: {len(during)} reads while `silver --full` rebuilt every table ({took}), and 1 s after:")
    for answer, count in seen.items():
        print(f"  {count:4d} × {answer}")
    print("  (each read sees one committed snapshot: the last build's until the commit, then the new one)")
    return during


def first_build(env: dict) -> int:
    """The snapshot id of the first silver build, as `make snapshots` lists it."""
    settings = Settings(
        config_dir=REPO / "config",
        bronze_dir=Path(env["DPL_BRONZE_DIR"]),
        warehouse=parse_warehouse(env["DPL_WAREHOUSE"], env["DPL_WAREHOUSE_DATA"]),
    )
    with patched_environ(PGPASSWORD=env["PGPASSWORD"]):
        snapshots = list_snapshots(settings)
    return next(s.snapshot_id for s in snapshots if (s.message or "").startswith("silver "))


@contextlib.contextmanager
def patched_environ(**values: str):
    """`values` in os.environ for the duration (libpq reads PGPASSWORD from the environment)."""
    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main() -> int:
    """On the bronze of `make demo` (.demo/bronze), with the lake's data under .demo/lake."""
    bronze = demo.DEMO / "bronze"
    if not bronze.exists():
        raise SystemExit("demo_ducklake: run `make demo` first (it writes .demo/bronze)")
    env = {**os.environ, "DPL_CONFIG_DIR": str(REPO / "config")}
    return run_ducklake_demo(str(bronze), env, str(demo.DEMO / "lake"))


if __name__ == "__main__":
    sys.exit(main())
