"""The notebook API: DataFrames from the warehouse (read-only, short connections) and from bronze."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipelines import lakehouse
from pipelines.bronze.writer import BronzeWriter
from pipelines.errors import ConfigError
from pipelines.settings import load_settings
from pipelines.silver.warehouse import connect


@pytest.fixture
def warehouse():
    settings = load_settings()
    with connect(settings.warehouse) as con:
        con.execute(
            "create table jira_issues as select * from (values (1, 'DONE'), (2, 'OPEN'), (3, 'DONE')) t(id, status)"
        )
        con.execute("create view jira_bugs as select * from jira_issues where id = 2")
    return settings


def test_tables_table_and_sql_return_dataframes(warehouse):
    assert lakehouse.tables().to_dict("records") == [
        {"name": "jira_bugs", "kind": "VIEW"},
        {"name": "jira_issues", "kind": "BASE TABLE"},
    ]
    frame = lakehouse.table("jira_issues")
    assert isinstance(frame, pd.DataFrame) and frame["id"].tolist() == [1, 2, 3]
    assert lakehouse.table("jira_bugs")["status"].tolist() == ["OPEN"]
    assert len(lakehouse.table("jira_issues", limit=2)) == 2
    counts = lakehouse.sql("select status, count(*) as n from jira_issues group by all order by status")
    assert counts.to_dict("records") == [{"status": "DONE", "n": 2}, {"status": "OPEN", "n": 1}]
    # No connection is left open: a writer can take the warehouse right away.
    with connect(warehouse.warehouse) as con:
        con.execute("insert into jira_issues values (4, 'OPEN')")
    assert len(lakehouse.table("jira_issues")) == 4


@pytest.mark.parametrize(
    "query",
    [
        "insert into jira_issues values (9, 'X')",
        "copy (select 1) to 'out.csv'",
        "select 1; drop table jira_issues",
        "attach 'other.duckdb'",
        "create table x as select 1",
    ],
)
def test_sql_is_read_only(warehouse, query):
    with pytest.raises(ConfigError, match="one SELECT"):
        lakehouse.sql(query)
    assert len(lakehouse.table("jira_issues")) == 3


def test_unknown_table_and_missing_warehouse_are_clear_errors(warehouse, monkeypatch, tmp_path):
    with pytest.raises(ConfigError, match="no table or view 'nope'"):
        lakehouse.table("nope")
    monkeypatch.setenv("DPL_WAREHOUSE", str(tmp_path / "none.duckdb"))
    with pytest.raises(Exception, match="make silver"):
        lakehouse.table("jira_issues")


def test_bronze_reads_manifest_files_of_one_stream_within_days():
    settings = load_settings()
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    for run, clock in (("20261101T000000Z-aaaaaa", lambda: old), ("20261201T000000Z-bbbbbb", None)):
        writer = BronzeWriter(settings.bronze_dir, "jira", run, **({"clock": clock} if clock else {}))
        writer.write_page("issues", [{"id": run, "big": 2**70}], [run], [None], {"project_key": "A"})
        writer.write_page("comments", [{"id": "c"}], ["c"], [None])
        writer.close()
    everything = lakehouse.bronze("jira", "issues")
    assert everything["__id"].tolist() == ['"20261101T000000Z-aaaaaa"', '"20261201T000000Z-bbbbbb"']
    recent = lakehouse.bronze("jira", "issues", days=7)
    assert recent["__run_id"].tolist() == ["20261201T000000Z-bbbbbb"]
    assert recent["payload"].tolist() == ['{"id":"20261201T000000Z-bbbbbb","big":1180591620717411303424}']
    assert lakehouse.bronze("jira", "worklogs").empty
    with pytest.raises(ConfigError, match="unknown jira stream 'issue'"):
        lakehouse.bronze("jira", "issue")
