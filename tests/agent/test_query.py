"""The agent query tool enforces ai_policy.yaml before and after running a query."""

import dataclasses

import duckdb
import pytest

from agent.policy import AiPolicy
from agent.query import PolicyError, describe, run_query

POLICY = AiPolicy(
    enabled=True,
    allowed_schemas=("main",),
    allowed_tables=("jira_.*",),
    denied_columns=(".*email.*",),
    redact_patterns=(r"[\w.]+@[\w.]+",),
    max_rows=2,
    allow_bronze=False,
)


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create table jira_issues(issue_key varchar, summary varchar, reporter_email varchar)")
    con.execute(
        "insert into jira_issues values ('A-1', 'mail ada@example.com', 'ada@example.com'),"
        "('A-2', 'two', 'b@x.org'), ('A-3', 'three', 'c@x.org')"
    )
    con.execute("create table secrets_table(x int)")
    con.execute("create view bronze_jira_issues as select 1 as x")
    return con


def test_rows_are_limited_columns_denied_values_masked(con):
    result = run_query(con, "select * from jira_issues order by issue_key", POLICY)
    assert result["columns"] == ["issue_key", "summary"]
    assert result["rows"] == [["A-1", "mail ***"], ["A-2", "two"]]
    assert result["truncated"] is True


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("delete from jira_issues", "only a single SELECT"),
        ("select 1; select 2", "only a single SELECT"),
        ("select * from secrets_table", "table secrets_table is not allowed"),
        ("select * from main.secrets_table", "table main.secrets_table is not allowed"),
        ("with jira_x as (select * from secrets_table) select * from jira_x", "table secrets_table is not allowed"),
        ("select * from jira_issues where 1 in (select x from secrets_table)", "secrets_table is not allowed"),
        ("select * from read_csv('/etc/passwd')", "table functions"),
        ("select * from jira_issues, read_json('bronze/**/*.zst')", "table functions"),
        ("select * from bronze_jira_issues", "not allowed"),
        ("selec nonsense", "cannot parse"),
    ],
)
def test_refusals(con, sql, message):
    with pytest.raises(PolicyError) as err:
        run_query(con, sql, POLICY)
    assert message in err.value.message


def test_ctes_are_not_mistaken_for_tables(con):
    sql = "with recent as (select * from jira_issues) select issue_key from recent order by 1 limit 1"
    assert run_query(con, sql, POLICY)["rows"] == [["A-1"]]


def test_bronze_views_need_allow_bronze(con):
    policy = dataclasses.replace(POLICY, allowed_tables=(".*",), allow_bronze=True)
    assert run_query(con, "select * from bronze_jira_issues", policy)["rows"] == [[1]]


def test_disabled_policy_refuses_everything(con):
    with pytest.raises(PolicyError):
        run_query(con, "select 1", dataclasses.replace(POLICY, enabled=False))


def test_describe_lists_only_allowed_tables_and_columns_with_their_meaning(con):
    con.execute("comment on table jira_issues is 'One row per jira issue'")
    con.execute("comment on column jira_issues.issue_key is 'Jira issue key, e.g. ABC-12'")
    assert describe(con, POLICY) == {
        "main.jira_issues": {
            "description": "One row per jira issue",
            "columns": {
                "issue_key": {"type": "VARCHAR", "description": "Jira issue key, e.g. ABC-12"},
                "summary": {"type": "VARCHAR", "description": None},
            },
        }
    }
