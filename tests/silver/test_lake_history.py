"""A DuckLake warehouse's history: `make snapshots` (what changed), `AS_OF=` on the shell, the agent tools and the
notebook API, `make expire-snapshots` (DuckLake's own maintenance); one clear line where a file warehouse has none."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from agent.query import main as agent_query
from pipelines import lakehouse
from pipelines.cli import main
from pipelines.settings import load_settings
from pipelines.silver import build_silver
from pipelines.silver.snapshots import list_snapshots
from tests.silver import jira_records as jr
from tests.silver.bronze_files import Bronze
from tests.silver.test_merge import T1, T2

COUNT = "select count(*) as n from jira_issues"


def history(tmp_path) -> tuple[int, dt.datetime]:
    """Two builds: ABC-1 alone, then ABC-2 too; (the first build's snapshot, a moment between the builds)."""
    bronze = Bronze(tmp_path / "bronze")
    bronze.write("jira", "issues", [jr.issue(1, "ABC-1", updated=T1)])
    build_silver(load_settings())
    first = list_snapshots(load_settings())[-1]
    between = dt.datetime.now(dt.UTC)
    bronze.write("jira", "issues", [jr.issue(2, "ABC-2", updated=T2), jr.issue(1, "ABC-1", updated=T2)])
    build_silver(load_settings())
    return first.snapshot_id, between


def test_snapshots_list_what_each_build_changed_and_readers_travel_back(tmp_path, lake, capsys):
    first, between = history(tmp_path)
    assert main(["snapshots"]) == 0
    out = capsys.readouterr().out
    assert "silver full (first build) build: 1 new bronze file(s)" in out
    assert "silver incremental build: 1 new bronze file(s)" in out
    last = out.strip().splitlines()[-2]  # the newest snapshot, above the summary line
    assert "inserted into" in last and "stg_jira__issues" in last and "deleted from" in last  # a merge updated a row

    assert main(["shell", "--sql", f"{COUNT};"]) == 0
    assert capsys.readouterr().out.split()[-1] == "2"
    for as_of in (str(first), between.isoformat()):
        assert main(["shell", "--as-of", as_of, "--sql", f"{COUNT};"]) == 0
        assert capsys.readouterr().out.split()[-1] == "1"

    assert agent_query(["--as-of", str(first), "sql", "select count(*) from jira_issues"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == [[1]]
    assert lakehouse.sql(COUNT, as_of=str(first))["n"].tolist() == [1]
    assert lakehouse.sql(COUNT)["n"].tolist() == [2]


def test_expire_snapshots_keeps_the_last_and_deletes_the_files_only_old_ones_used(tmp_path, sqlite_lake, capsys):
    first, _ = history(tmp_path)
    build_silver(load_settings(), full=True)  # every table rewritten: the old files are the old snapshots' only
    data = tmp_path / "lake" / "data"
    files_before = sorted(p for p in data.rglob("*") if p.is_file())
    orphan = data / "main" / "left_by_a_killed_build.parquet"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"PAR1")  # younger than an hour: a running build's file is never deleted
    assert main(["expire-snapshots", "--days", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("compacted the files of ") and "1 snapshot(s) kept" in out
    assert orphan.exists()
    assert len(list_snapshots(load_settings())) == 1
    assert lakehouse.sql(COUNT)["n"].tolist() == [2]
    assert main(["shell", "--as-of", str(first), "--sql", f"{COUNT};"]) == 2
    assert f"no snapshot at snapshot {first}" in capsys.readouterr().err
    files_after = sorted(p for p in data.rglob("*") if p.is_file() and p != orphan)
    assert len(files_after) < len(files_before)  # (small tables live inlined in the catalog)


@pytest.mark.parametrize(
    "argv",
    [["snapshots"], ["expire-snapshots", "--days", "1"], ["shell", "--as-of", "3", "--sql", "select 1;"]],
)
def test_a_file_warehouse_has_no_history_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "DuckLake" in err and "[CONFIG]" in err


def test_as_of_must_be_a_snapshot_id_or_a_time(tmp_path, sqlite_lake, capsys):
    history(tmp_path)
    assert main(["shell", "--as-of", "last tuesday", "--sql", "select 1;"]) == 2
    assert "AS_OF='last tuesday': expected a snapshot id" in capsys.readouterr().err
