"""`python -m agent.query`: the agent tools from a shell, one JSON document per call."""

import io
import json

import pytest

from agent.query import main


def run(capsys, *args) -> tuple[int, dict]:
    code = main(list(args))
    return code, json.loads(capsys.readouterr().out)


def test_tables_describe_and_sql(lab, capsys):
    code, tables = run(capsys, "tables")
    assert code == 0 and "agent_probe" in {t["name"] for t in tables["tables"]}
    code, described = run(capsys, "describe", "agent_probe")
    assert code == 0 and [c["name"] for c in described["columns"]] == ["id", "note", "contact_email"]
    code, answer = run(capsys, "sql", "select id from agent_probe order by id")
    assert code == 0 and answer["rows"] == [[1], [2]] and answer["truncated"] is False


def test_refusals_and_failures_exit_non_zero_with_one_line(lab, capsys):
    code, answer = run(capsys, "sql", "delete from agent_probe")
    assert code == 2 and answer == {"error": "refused", "message": answer["message"]}
    code, answer = run(capsys, "sql", "selec nonsense")
    assert code == 1 and answer["error"] == "error" and "syntax error" in answer["message"]


def test_sql_from_stdin(lab, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("select 7 as n"))
    assert run(capsys, "sql", "-")[1]["rows"] == [[7]]


def test_saved_queries_and_jql_from_a_shell(lab, capsys):
    code, listed = run(capsys, "queries")
    assert code == 0 and "release_readiness" in {q["name"] for q in listed["queries"]}
    code, answer = run(capsys, "run", "stale_issues", '{"days": 0}')
    assert code == 0 and "issue_key" in answer["columns"]
    code, answer = run(capsys, "run", "stale_issues", "[1]")
    assert code == 2 and "expected a JSON object" in answer["message"]
    code, answer = run(capsys, "jql", "issuetype = Bug")
    assert code == 0 and answer["columns"][0] == "key"
    code, answer = run(capsys, "jql", "statu = Done")
    assert code != 0 and "statu" in answer["message"]


@pytest.mark.parametrize("args", [[], ["nope"], ["sql"], ["sql", "a", "b"], ["run"], ["jql", "a", "b"]])
def test_usage(args, capsys):
    assert main(args) == 2
    assert "python -m agent.query" in capsys.readouterr().err
