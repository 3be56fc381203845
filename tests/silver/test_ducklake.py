"""Silver on DuckLake (catalog in SQLite and in PostgreSQL, data local): every model, full and incremental,
equal to the DuckDB-file warehouse on the same bronze; one snapshot per build, named."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipelines.cli import main
from pipelines.errors import ConfigError, DplError, ErrorClass
from pipelines.silver import build_silver
from pipelines.silver.models import load_models
from pipelines.silver.target import DuckLakeWarehouse, FileWarehouse, parse_as_of, parse_warehouse
from pipelines.silver.warehouse import connect, transaction
from tests.gold.delivery_records import write_bitbucket, write_jenkins, write_jira
from tests.gold.support import gold_settings
from tests.reliability.support import SOAK
from tests.silver.bronze_files import Bronze
from tests.silver.support import checksums, query
from tests.silver.test_merge import write_runs


def steps(bronze: Bronze, each: bool = SOAK) -> list:
    """Every source's delivery world, then five Jira runs (first sync, changes, overlap, backfill, census):
    a build after each (`each`, the soak variant) or after three groups of them."""
    single = [lambda: write_jira(bronze), lambda: write_bitbucket(bronze), lambda: write_jenkins(bronze)]
    single += write_runs(bronze)
    if each:
        return single
    groups = (single[:4], single[4:6], single[6:])
    return [lambda group=group: [step() for step in group] for group in groups]


def test_every_model_builds_the_same_on_ducklake_full_and_incremental(tmp_path, lake):
    bronze = Bronze(tmp_path / "bronze")
    on_file = gold_settings(tmp_path, warehouse="file.duckdb")
    on_lake = on_file.replace(warehouse=lake.target)
    runs = steps(bronze)
    for step in runs:
        step()
        build_silver(on_file)
        build_silver(on_lake)
    incremental = checksums(on_lake)
    stored = {m.name for m in load_models() if m.materialized != "batch"}
    assert stored <= set(incremental)  # every model (tables and views) is in the lake
    assert incremental == checksums(on_file)
    assert sum(rows for rows, _ in incremental.values()) > 100

    build_silver(on_lake, full=True)  # a full rebuild over the same lake: the same tables again
    assert checksums(on_lake, views=False) == checksums(on_file, views=False)
    assert build_silver(on_lake)["stg_jira__issues"]["changed"] == 0  # nothing new: a no-op merge

    with connect(lake.target, read_only=True) as con:
        rows = con.execute("select commit_message from ducklake_snapshots(current_database())").fetchall()
    messages = [message for (message,) in rows]
    builds = [m for m in messages if m and m.startswith("silver ")]
    assert builds[0].startswith("silver full (first build) build: ")
    assert builds[-2].startswith("silver full (requested) build") and len(builds) == len(runs) + 2


def test_a_catalog_conninfo_with_a_password_is_refused_without_echoing_it():
    for value in (
        "ducklake:postgres:host=db dbname=dpl password=hunter2secret",
        "ducklake:postgres:postgresql://dpl:hunter2secret@db/dpl",
        "ducklake:postgres:postgresql://db/dpl?password=hunter2secret",
    ):
        with pytest.raises(ConfigError) as caught:
            parse_warehouse(value, "data/")
        assert "hunter2secret" not in str(caught.value) and "PGPASSWORD" in str(caught.value)


def test_warehouse_values_parse_into_targets(tmp_path):
    assert parse_warehouse("warehouse/x.duckdb") == FileWarehouse(parse_warehouse("warehouse/x.duckdb").path)
    lake = parse_warehouse("ducklake:postgres:host=db dbname=dpl", "s3://bucket/lake")
    assert lake == DuckLakeWarehouse("postgres", "host=db dbname=dpl", "s3://bucket/lake/")
    assert lake.attach_name == "ducklake:postgres:host=db dbname=dpl"
    sqlite = parse_warehouse(f"ducklake:sqlite:{tmp_path}/c.sqlite", str(tmp_path / "d"))
    assert (sqlite.catalog, sqlite.data_path) == ("sqlite", f"{tmp_path}/d/")
    assert parse_warehouse(f"ducklake:{tmp_path}/c.ducklake").attach_name == f"ducklake:{tmp_path}/c.ducklake"
    with pytest.raises(ConfigError, match="DPL_WAREHOUSE_DATA is set"):
        parse_warehouse("w.duckdb", "data/")
    assert parse_as_of("42") == 42
    assert parse_as_of("2026-12-01 08:00").isoformat() == "2026-12-01T08:00:00+00:00"
    with pytest.raises(ConfigError, match="AS_OF='yesterday'"):
        parse_as_of("yesterday")


def test_a_lake_not_built_yet_is_one_clear_line(tmp_path, lake):
    with pytest.raises(DplError) as caught, connect(lake.target, read_only=True):
        pass
    assert caught.value.error_class == ErrorClass.STORAGE and "run `make silver` first" in str(caught.value)


def test_a_second_writer_that_commits_late_is_told_to_run_again(tmp_path, sqlite_lake):
    bronze = Bronze(tmp_path / "bronze")
    write_jira(bronze)
    settings = gold_settings(tmp_path).replace(warehouse=sqlite_lake.target)
    build_silver(settings)
    with connect(sqlite_lake.target) as first, connect(sqlite_lake.target) as second:
        second.execute("begin")
        second.execute("select count(*) from jira_issues").fetchall()
        with transaction(first, sqlite_lake.target, "first"):
            first.execute("insert into _silver_state values ('x', 'first')")
        second.execute("rollback")
        with pytest.raises(DplError) as caught, transaction(second, sqlite_lake.target, "second"):
            second.execute("select count(*) from jira_issues").fetchall()
            second.execute("delete from _silver_state where key = 'x'")
            first.execute("insert into _silver_state values ('y', 'first again')")  # commits at once
    assert caught.value.error_class == ErrorClass.LOCKED and "run it again" in str(caught.value)
    assert query(settings, "select value from _silver_state where key in ('x', 'y') order by 1") == [
        ("first",),
        ("first again",),
    ]


def test_a_ducklake_on_a_duckdb_catalog_builds_but_has_one_process_at_a_time(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    write_runs(bronze)[0]()
    target = parse_warehouse(f"ducklake:{tmp_path / 'catalog.ducklake'}", str(tmp_path / "data"))
    on_lake = gold_settings(tmp_path).replace(warehouse=target)
    build_silver(on_lake)
    on_file = gold_settings(tmp_path, warehouse="file.duckdb")
    build_silver(on_file)
    assert checksums(on_lake, views=False) == checksums(on_file, views=False)
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(tmp_path / 'catalog.ducklake')!r}); "
         "print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DplError) as caught, connect(target, read_only=True):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert caught.value.error_class == ErrorClass.LOCKED and f"process {holder.pid}" in str(caught.value)


def test_a_ducklake_with_its_data_on_s3_builds_the_same_and_the_shell_reads_it(tmp_path, s3_server, s3_lake, capsys):
    bronze = Bronze(tmp_path / "bronze")
    on_file = gold_settings(tmp_path, warehouse="file.duckdb")
    on_lake = on_file.replace(warehouse=s3_lake.target)
    for step in steps(bronze)[:2]:
        step()
        build_silver(on_file)
        build_silver(on_lake)
    assert checksums(on_lake, views=False) == checksums(on_file, views=False)
    bucket = s3_lake.target.data_path.removeprefix("s3://").split("/")[0]
    assert any(key.endswith(".parquet") for key in s3_server.keys(bucket, "lake/"))
    expected = query(on_file, "select count(*) from jira_issues")[0][0]
    # the shell's locked sandbox reads the lake's Parquet on S3, and nothing outside its data path
    assert main(["shell", "--sql", "select count(*) as n from jira_issues;"]) == 0
    assert capsys.readouterr().out.split()[-1] == str(expected)
    s3_server.client().put_object(Bucket=bucket, Key="elsewhere/x.csv", Body=b"a\n1\n")
    assert main(["shell", "--sql", f"select * from read_csv('s3://{bucket}/elsewhere/x.csv');"]) == 1
    assert "refused" in capsys.readouterr().err
