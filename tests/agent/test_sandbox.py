"""The sandbox holds the policy by construction: views of allowed columns, masks inside, caps, timeout."""

import dataclasses

import pytest

from agent.errors import QueryError, Refused
from agent.sandbox import Limits, open_session
from agent.tools import ToolContext, call
from pipelines.settings import load_settings
from tests.agent.lab import CANARY_EMAIL


@pytest.fixture
def settings(lab):
    return load_settings()


def test_denied_columns_are_absent_masked_ones_hashed_and_text_redacted(settings):
    with open_session(settings, settings.ai_policy) as session:
        result = session.query("select * from agent_probe order by id")
    assert result.columns == ["id", "note", "contact_email"]
    assert result.rows[0][1] == "note *** end"
    assert result.rows[0][2].startswith("masked:") and CANARY_EMAIL not in str(result.rows)


def test_masked_values_compare_equal_within_a_query_only(settings):
    sql = (
        "select a.contact_email = b.contact_email as same, a.contact_email as v "
        "from agent_probe a, agent_probe b where a.id = 1 and b.id = 1"
    )
    with open_session(settings, settings.ai_policy) as first, open_session(settings, settings.ai_policy) as second:
        one, two = first.query(sql).rows[0], second.query(sql).rows[0]
    assert one[0] is True and two[0] is True
    assert one[1] != two[1]  # a new key per session: nothing to correlate or probe across queries


def test_tables_outside_the_policy_and_bronze_do_not_exist_in_the_session(settings):
    with open_session(settings, settings.ai_policy) as session:
        names = {r.name for r in session.relations}
        assert "agent_probe" in names and "jira_issues" in names
        assert "hidden_secrets" not in names and not any(n.startswith("bronze_") for n in names)
        catalogs = {row[0] for row in session.query("select database_name from duckdb_databases()").rows}
    assert catalogs == {"memory", "system", "temp"}  # the warehouse is attached nowhere the SQL can name


def test_bronze_views_only_with_allow_bronze(settings):
    policy = dataclasses.replace(settings.ai_policy, allow_bronze=True)
    with open_session(settings, policy) as session:
        assert any(r.kind == "bronze" for r in session.relations)
        result = session.query("select count(distinct __id) as n from bronze_jira_issues")
    assert result.rows[0][0] >= 12


def test_answers_are_capped_in_rows_and_bytes(settings):
    with open_session(settings, settings.ai_policy) as session:
        by_rows = session.query("select * from range(100)")
        by_bytes = session.query("select repeat('x', 1000) from range(100)")
        one_big_row = session.query("select string_agg(repeat('x', 1000), '') from range(100)")
    assert (len(by_rows.rows), by_rows.truncated, by_rows.truncated_by) == (5, True, "max_rows")
    assert len(by_bytes.rows) == 4 and by_bytes.truncated_by == "max_result_bytes" and by_bytes.bytes <= 4096
    assert one_big_row.rows == [] and one_big_row.truncated_by == "max_result_bytes"


def test_a_runaway_query_stops_at_the_timeout_and_the_session_stays_usable(settings):
    with open_session(settings, settings.ai_policy) as session:
        with pytest.raises(QueryError) as stopped:
            session.query("with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r")
        assert stopped.value.kind == "timeout" and "timeout_s=1s" in stopped.value.message
        assert session.query("select 42").rows == [[42]]


def test_describe_table_shows_comments_types_masks_and_row_count(settings):
    described = call(ToolContext(settings, settings.ai_policy), "describe_table", {"table": "AGENT_PROBE"})
    assert described["description"] == "probe rows for the agent tests" and described["row_count"] == 2
    columns = {c["name"]: c for c in described["columns"]}
    assert set(columns) == {"id", "note", "contact_email"}
    assert columns["note"]["description"] == "free text" and columns["contact_email"]["masked"] is True
    with pytest.raises(Refused):
        call(ToolContext(settings, settings.ai_policy), "describe_table", {"table": "hidden_secrets"})


def test_a_disabled_policy_refuses_everything(settings):
    with pytest.raises(Refused):
        open_session(settings, dataclasses.replace(settings.ai_policy, enabled=False))


def test_the_notebook_api_gives_the_whole_warehouse_as_arrow(settings):
    with open_session(settings, limits=Limits(timeout_s=5)) as session:
        table = session.query("select issue_key from jira_issues order by 1").to_arrow()
        assert table.num_rows == 12 and table.column_names == ["issue_key"]
        assert session.query("select count(*) from hidden_secrets").rows == [[1]]  # no policy: everything
        with pytest.raises(Refused):
            session.query("select * from read_text('.env')")
