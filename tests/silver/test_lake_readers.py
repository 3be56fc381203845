"""Readers during a build on DuckLake (SQLite and PostgreSQL catalogs): `make shell`/agent sessions, the notebook
API and plain DuckDB clients read the last committed snapshot, never a mix, never an error; a SIGKILL during
`make silver` leaves the last snapshot intact and the rerun completes, equal to the file warehouse."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from pipelines.settings import load_settings
from pipelines.silver import build_silver
from pipelines.silver.warehouse import connect
from tests.silver import jira_records as jr
from tests.silver.bronze_files import Bronze
from tests.silver.lake_reader import FINGERPRINT
from tests.silver.support import checksums

ISSUES = 3000  # enough for a build of a few seconds, in several Parquet files
KILLED_ISSUES = 1000  # the killed build writes Parquet early (its first merge) and runs on for seconds


def write_issues(bronze: Bronze, version: int, numbers) -> None:
    """Issues `numbers` at `version` (a later version is newer), each with a comment, 500 per file."""
    updated = f"2026-11-{version:02d}T10:00:00.000+0000"
    records = [
        jr.issue(n, f"ABC-{n}", updated=updated, summary=f"v{version} of {n}", comments=[jr.comment(n, "c", updated)])
        for n in numbers
    ]
    for start in range(0, len(records), 500):
        bronze.write("jira", "issues", records[start : start + 500])


def fingerprint(settings) -> list[str]:
    with connect(settings.warehouse, read_only=True) as con:
        return [str(v) for v in con.execute(FINGERPRINT).fetchone()]


def cli(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def test_readers_see_the_old_or_the_new_snapshot_while_silver_builds(tmp_path, lake):
    bronze = Bronze(tmp_path / "bronze")
    write_issues(bronze, 1, range(1, ISSUES + 1))
    settings = load_settings()
    build_silver(settings)
    old = fingerprint(settings)
    write_issues(bronze, 2, range(ISSUES // 2, ISSUES + ISSUES // 2))  # half updated, half new (1..4499)

    stop = tmp_path / "stop"
    reader = cli("tests.silver.lake_reader", str(stop), text=True)
    first = json.loads(reader.stdout.readline())  # the reader runs before the build starts
    build = cli("pipelines", "silver", "--full")  # a full rebuild: every table replaced while readers read
    _build_out, build_err = build.communicate(timeout=240)
    time.sleep(0.5)  # a few reads of the new snapshot
    stop.touch()
    lines = [first] + [json.loads(line) for line in reader.communicate(timeout=120)[0].splitlines()]
    assert build.returncode == 0, build_err

    new = fingerprint(settings)
    assert new != old and new[0] == str(ISSUES + ISSUES // 2 - 1)
    errors = [line for line in lines if "error" in line]
    assert errors == [], errors[:3]
    seen = [line["fingerprint"] for line in lines]
    assert all(fp in (old, new) for fp in seen), [fp for fp in seen if fp not in (old, new)][:3]
    assert old in seen and new in seen
    assert {line["via"] for line in lines} == {"shell", "lakehouse", "client"}


def test_a_sigkill_during_silver_leaves_the_last_snapshot_and_the_rerun_completes(tmp_path, sqlite_lake):
    bronze = Bronze(tmp_path / "bronze")
    write_issues(bronze, 1, range(1, KILLED_ISSUES + 1))
    settings = load_settings()
    build_silver(settings)
    before = checksums(settings, views=False)
    data = tmp_path / "lake" / "data"
    files = set(data.rglob("*.parquet"))
    write_issues(bronze, 2, range(1, KILLED_ISSUES + 1))

    build = cli("pipelines", "silver", "--full")
    while build.poll() is None and not set(data.rglob("*.parquet")) - files:
        time.sleep(0.005)  # the build has written Parquet of its snapshot, not committed it yet
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    assert build.returncode == -signal.SIGKILL, "the build ended before it could be killed: make the data bigger"
    assert set(data.rglob("*.parquet")) - files  # its files are left behind, unreferenced
    assert checksums(settings, views=False) == before  # readers still see the last committed build, whole

    rerun = subprocess.run([sys.executable, "-m", "pipelines", "silver"], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    on_file = settings.replace(warehouse=tmp_path / "file.duckdb")
    build_silver(on_file)
    assert checksums(settings, views=False) == checksums(on_file, views=False)
