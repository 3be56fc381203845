"""The MCP server, driven by the SDK's own stdio client: tools, allowed and refused queries, audit."""

import asyncio
import sys

from mcp import Client, StdioServerParameters

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
    assert {t.name for t in tools} == {"list_tables", "describe_table", "query"}
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


def test_secrets_in_the_sql_are_redacted_in_the_audit_log(lab):
    session_calls(dict(lab), [("query", {"sql": f"select '{lab['JIRA_API_TOKEN']}' as t"})])
    settings = load_settings()
    text = audit_path(settings).read_text()
    assert lab["JIRA_API_TOKEN"] not in text and "***" in text
