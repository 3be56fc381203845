"""The MCP server, driven by the SDK's own stdio client: tools, allowed and refused queries, audit."""

import asyncio
import socket
import subprocess
import sys
import time

import duckdb
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from agent.audit import audit_path, last
from pipelines.cli import main
from pipelines.settings import load_settings


def session_calls(env: dict, calls: list[tuple[str, dict]]):
    async def run():
        params = StdioServerParameters(command=sys.executable, args=["-m", "agent.mcp"], env=env, cwd=env["LAB_ROOT"])
        async with Client(params) as client:
            tools = await client.list_tools()
            return tools.tools, [await client.call_tool(name, arguments) for name, arguments in calls]

    return asyncio.run(asyncio.wait_for(run(), timeout=120))


def test_tools_allowed_and_refused_queries_and_the_audit(lab, capsys):
    tools, (tables, described, answer, refused) = session_calls(
        dict(lab),
        [
            ("list_tables", {}),
            ("describe_table", {"table": "agent_probe"}),
            ("query", {"sql": "select id, note from agent_probe order by id"}),
            ("query", {"sql": "copy agent_probe to 'leak.csv'"}),
        ],
    )
    assert {t.name for t in tools} == {"list_tables", "describe_table", "query", "list_queries", "run_query", "jql"}
    schema = next(t for t in tools if t.name == "query").input_schema
    assert schema["required"] == ["sql"] and schema["properties"]["sql"]["type"] == "string"
    assert all(t.annotations.read_only_hint for t in tools)

    names = {t["name"] for t in tables.structured_content["tables"]}
    assert "agent_probe" in names and "hidden_secrets" not in names
    assert described.structured_content["row_count"] == 2
    assert not answer.is_error and answer.structured_content["rows"] == [[1, "note *** end"], [2, "plain"]]
    assert refused.is_error and refused.structured_content["error"] == "refused"
    assert "COPY" in refused.structured_content["message"]

    settings = load_settings()
    entries = last(settings, 4)
    assert [e["tool"] for e in entries] == ["list_tables", "describe_table", "query", "query"]
    assert entries[2]["outcome"] == "ok" and entries[2]["rows"] == 2 and entries[2]["bytes"] > 0
    assert entries[3]["outcome"] == "refused" and entries[3]["sql"] == "copy agent_probe to 'leak.csv'"
    assert audit_path(settings).parent == settings.warehouse.parent
    assert main(["agent-audit", "--limit", "2"]) == 0
    printed = capsys.readouterr().out
    assert "copy agent_probe to 'leak.csv'" in printed and "refused" in printed


def test_saved_queries_and_jql_are_tools_within_the_policy(lab):
    """The workbench through MCP: list and run saved queries with typed parameters, JQL; values bound, not spliced."""
    with duckdb.connect(lab["DPL_WAREHOUSE"], read_only=True) as con:
        not_done = "select issue_key from jira_issues where lower(status_category) <> 'done' and not is_deleted"
        expected = {row[0] for row in con.execute(not_done).fetchall()}
        project = con.execute("select project_key from jira_issues order by 1 limit 1").fetchone()[0]
    tools, (listed, stale, jql, injected, unknown) = session_calls(
        dict(lab),
        [
            ("list_queries", {}),
            ("run_query", {"name": "stale_issues", "params": {"days": 0}}),
            ("jql", {"query": "statusCategory != Done ORDER BY key ASC", "fields": ["key"]}),
            ("jql", {"query": f'project = "{project}\' or 1=1 --"'}),
            ("run_query", {"name": "no_such_query"}),
        ],
    )
    queries = {q["name"]: q for q in listed.structured_content["queries"]}
    assert len(queries) >= 20 and {"name", "type", "default", "help"} <= set(queries["stale_issues"]["parameters"][0])
    assert not stale.is_error and stale.structured_content["columns"]
    answer = jql.structured_content  # the lab's policy caps answers at 5 rows
    assert not jql.is_error and answer["columns"] == ["key"] and len(expected) > 5
    assert {row[0] for row in answer["rows"]} < expected and answer["truncated_by"] == "max_rows"
    assert injected.is_error and "does not exist" in injected.structured_content["message"]  # a value, not SQL
    assert unknown.is_error and "no saved query 'no_such_query'" in unknown.structured_content["message"]
    schema = next(t for t in tools if t.name == "run_query").input_schema
    assert schema["required"] == ["name"] and "params" in schema["properties"]


def test_secrets_in_the_sql_are_redacted_in_the_audit_log(lab):
    session_calls(dict(lab), [("query", {"sql": f"select '{lab['JIRA_API_TOKEN']}' as t"})])
    settings = load_settings()
    text = audit_path(settings).read_text()
    assert lab["JIRA_API_TOKEN"] not in text and "***" in text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_streamable_http_on_loopback_needs_the_bearer_token(lab):
    token = "t" * 12 + "0123456789abcdef"
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "agent.mcp", "--http", "--port", str(port)],
        env={**lab, "DPL_MCP_TOKEN": token}, cwd=lab["LAB_ROOT"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        for _ in range(100):
            try:
                refused = httpx2.post(url, json={}, timeout=2)
                break
            except httpx2.TransportError:
                time.sleep(0.1)
        assert refused.status_code == 401

        async def run():
            client = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
            async with client, Client(streamable_http_client(url, http_client=client)) as mcp:
                tools = await mcp.list_tools()
                answer = await mcp.call_tool("query", {"sql": "select count(*) from agent_probe"})
                denied = await mcp.call_tool("query", {"sql": "select * from read_text('.env')"})
                return tools.tools, answer, denied

        tools, answer, denied = asyncio.run(asyncio.wait_for(run(), timeout=60))
        assert {t.name for t in tools} == {"list_tables", "describe_table", "query", "list_queries", "run_query", "jql"}
        assert answer.structured_content["rows"] == [[2]]
        assert denied.is_error and denied.structured_content["error"] == "refused"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_http_without_a_token_refuses_to_start(lab):
    env = {k: v for k, v in lab.items() if k != "DPL_MCP_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "agent.mcp", "--http"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2 and "DPL_MCP_TOKEN" in done.stderr and "Traceback" not in done.stderr
