"""The attack suite: every class of bypass from issue 15, against the CLI, the MCP server and the shell.

Each attempt is refused with one line, or answers without anything forbidden. For the agent (CLI,
MCP) forbidden means every canary (hidden table, denied column, masked email in any transform,
redacted text, environment, .env); the shell may read the whole warehouse, so for it forbidden
means the environment and .env canaries, and every file, write, attach and setting is refused.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from agent import query as agent_cli
from pipelines.settings import load_settings
from pipelines.shell import run_shell
from tests.agent import lab as lab_data

REFUSE = "refuse"  # fails everywhere
AGENT_REFUSE = "agent-refuse"  # fails for the agent; the shell may answer (it sees the whole warehouse)
CLEAN = "clean"  # may answer, but nothing forbidden

ATTACKS = [
    # files around the policy: replacement scans (globs too), table functions
    ("files", "select * from '{bronze}/jira/**/*.jsonl.zst'", REFUSE),
    ("files", "select * from '{bronze}/jira/manifest.parquet'", REFUSE),
    ("files", "select * from read_json_auto('{bronze}/jira/*/*/*/*/*.zst')", REFUSE),
    ("files", "select * from read_csv('/etc/passwd')", REFUSE),
    ("files", "select * from read_text('.env')", REFUSE),
    ("files", "select content from read_blob('{root}/.env')", REFUSE),
    ("files", "select * from glob('{root}/*')", REFUSE),
    ("files", "select * from '{warehouse}'", REFUSE),
    ("files", "select * from parquet_metadata('{bronze}/jira/manifest.parquet')", REFUSE),
    ("files", "select * from sniff_csv('.env')", REFUSE),
    # name tricks: CTEs, SHOW/DESCRIBE in subqueries, case, catalogs, dynamic names
    ("names", "select * from hidden_secrets", AGENT_REFUSE),
    ("names", "with agent_probe as (select * from hidden_secrets) select * from agent_probe", AGENT_REFUSE),
    ("names", "with hidden_secrets as (select 1 as x) select * from agent_probe, main.hidden_secrets", AGENT_REFUSE),
    ("names", "select * from (describe hidden_secrets)", AGENT_REFUSE),
    ("names", "select * from (show tables)", CLEAN),
    ("names", "select * from HIDDEN_SECRETS", AGENT_REFUSE),
    ("names", 'select * from "Hidden_Secrets"', AGENT_REFUSE),
    ("names", "select count(*) from BRONZE_JIRA_ISSUES", AGENT_REFUSE),
    ("names", "select * from warehouse.main.hidden_secrets", AGENT_REFUSE),
    ("names", "select * from query_table('hidden_secrets')", AGENT_REFUSE),
    ("names", "select * from query('select * from hidden_secrets')", AGENT_REFUSE),
    ("names", "select * from duckdb_tables()", CLEAN),
    ("names", "select * from information_schema.columns", CLEAN),
    # columns: aliases, whole rows, to_json, star expressions
    ("columns", "select api_key from agent_probe", AGENT_REFUSE),
    ("columns", "select a.api_key as harmless from agent_probe a", AGENT_REFUSE),
    ("columns", "select to_json(p) from agent_probe p", CLEAN),
    ("columns", "select p from agent_probe p", CLEAN),
    ("columns", "select columns(*) from agent_probe", CLEAN),
    ("columns", "select * exclude (id) from agent_probe", CLEAN),
    # transforms of masked and redacted values
    ("masked", "select reverse(contact_email) from agent_probe", CLEAN),
    ("masked", "select to_base64(contact_email::blob) from agent_probe", CLEAN),
    ("masked", "select hex(contact_email) from agent_probe", CLEAN),
    ("masked", "select substr(contact_email, 1, 16), substr(contact_email, 17) from agent_probe", CLEAN),
    ("masked", "select replace(contact_email, '@', ' at ') from agent_probe", CLEAN),
    (
        "masked",
        f"select count(*) as n from agent_probe where md5(contact_email) = md5('{lab_data.CANARY_EMAIL}')",
        CLEAN,
    ),
    ("masked", "select count(*) as n from agent_probe where contact_email like 'zq7%'", CLEAN),
    ("masked", "select replace(note, 'cnry', 'CNRY'), upper(note) from agent_probe", CLEAN),
    # aggregation around max_rows
    ("aggregation", "select string_agg(to_json(i)::varchar, ',') from jira_issues i, range(50)", CLEAN),
    ("aggregation", "select list(i) from jira_issues i, range(100)", CLEAN),
    # resources: stopped by the timeout
    (
        "resources",
        "select count(*) from jira_issues a, jira_issues b, range(1000000000) c where a.summary || c.range < b.summary",
        REFUSE,
    ),
    ("resources", "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r", REFUSE),
    # environment, settings, secrets, extensions
    ("environment", "select getenv('JIRA_API_TOKEN')", REFUSE),
    ("environment", "select * from duckdb_settings()", CLEAN),
    ("environment", "select current_setting('secret_directory') as s", CLEAN),
    ("environment", "select * from duckdb_secrets()", REFUSE),
    ("environment", "install httpfs", REFUSE),
    ("environment", "load httpfs", REFUSE),
    ("environment", "set enable_external_access = true", REFUSE),
    ("environment", "pragma threads = 8", REFUSE),
    ("environment", "call pragma_version()", REFUSE),
    # more statements, comments hiding statements
    ("statements", "select 1; select * from hidden_secrets", AGENT_REFUSE),
    ("statements", "select 1 /* ; */ ; copy agent_probe to 'leak.csv'", REFUSE),
    ("statements", "select 1 -- harmless\n; attach 'new.duckdb' as x", REFUSE),
    ("writes", "copy (select * from agent_probe) to '{root}/leak.csv'", REFUSE),
    ("writes", "attach '{root}/new.duckdb' as n", REFUSE),
    ("writes", "attach ':memory:' as m", REFUSE),
    ("writes", "update agent_probe set note = 'x'", REFUSE),
    ("writes", "create table t as select 1", REFUSE),
    ("writes", "export database '{root}/exported'", REFUSE),
    ("writes", "detach warehouse", REFUSE),
    ("writes", "use warehouse", REFUSE),
    ("writes", "checkpoint", REFUSE),
    # unicode look-alikes
    ("unicode", "ѕelect * from hidden_secrets", REFUSE),  # Cyrillic s
    ("unicode", "select * from hіdden_secrets", REFUSE),  # Cyrillic i
    ("unicode", "select * from ｒｅａｄ_text('.env')", REFUSE),  # fullwidth letters
]


def forms(secret: str) -> set[str]:
    """A value and the transforms an attacker would try to smuggle it out with."""
    raw = secret.encode()
    out = {secret, secret.upper(), secret[::-1], base64.b64encode(raw).decode(), raw.hex(), raw.hex().upper()}
    out |= {hashlib.md5(raw).hexdigest(), hashlib.sha256(raw).hexdigest()}
    half = len(secret) // 2
    return out | {secret[:half], secret[half:]}


ENVIRONMENT = [lab_data.CANARY_TOKEN, lab_data.CANARY_ENV, lab_data.CANARY_DOTENV]
FORBIDDEN_SHELL = set().union(*(forms(c) for c in ENVIRONMENT))
FORBIDDEN_AGENT = FORBIDDEN_SHELL.union(
    *(forms(c) for c in (lab_data.CANARY_HIDDEN, lab_data.CANARY_DENIED, lab_data.CANARY_EMAIL, lab_data.CANARY_REDACT))
)


def render(sql: str, env: dict) -> str:
    root = Path(env["LAB_ROOT"])
    return sql.format(bronze=root / "bronze", root=root, warehouse=env["DPL_WAREHOUSE"])


def check(interface: str, expectation: str, sql: str, ok: bool, text: str, errors: list[str]) -> None:
    """Assert one attempt's outcome (`text` is everything the interface answered)."""
    agent = interface != "shell"
    forbidden = FORBIDDEN_AGENT if agent else FORBIDDEN_SHELL
    leaked = sorted(f for f in forbidden if f.lower() in text.lower() and f.lower() not in sql.lower())
    assert not leaked, f"{interface} leaked {leaked} for {sql!r}: {text[:300]}"
    if expectation == REFUSE or (expectation == AGENT_REFUSE and agent):
        assert not ok, f"{interface} answered {sql!r}: {text[:300]}"
        assert len(errors) == 1 and errors[0].strip() and "\n" not in errors[0].strip(), (interface, sql, errors)
        assert "Traceback" not in text
    if "count(*) as n from agent_probe" in sql and agent:
        assert json.loads(text)["rows"] == [[0]], text


def test_the_suite_covers_every_class():
    assert len(ATTACKS) >= 40
    assert {c for c, _, _ in ATTACKS} >= {"files", "names", "columns", "masked", "aggregation", "resources"}


def test_attacks_against_the_cli(lab, capsys):
    for _category, template, expectation in ATTACKS:
        sql = render(template, lab)
        code = agent_cli.main(["sql", sql])
        out, err = capsys.readouterr()
        answer = json.loads(out)
        errors = [answer["message"]] if "error" in answer else []
        check("cli", expectation, sql, code == 0, out + err, errors)
        assert (code == 0) == (not errors), (sql, out)
    assert not (Path(lab["LAB_ROOT"]) / "leak.csv").exists() and not (Path(lab["LAB_ROOT"]) / "new.duckdb").exists()
    assert agent_cli.main(["sql", "select 42 as answer"]) == 0  # healthy after the runaway queries
    assert json.loads(capsys.readouterr().out)["rows"] == [[42]]


def test_attacks_against_the_shell(lab):
    settings = load_settings()
    for _category, template, expectation in ATTACKS:
        sql = render(template, lab)
        out, err = io.StringIO(), io.StringIO()
        code = run_shell(settings, sql=sql, stdout=out, stderr=err, timeout_s=float(lab_data.POLICY["timeout_s"]))
        errors = err.getvalue().splitlines()
        check("shell", expectation, sql, code == 0, out.getvalue() + err.getvalue(), errors)
        assert all(line.startswith("error: ") for line in errors)
    assert not (Path(lab["LAB_ROOT"]) / "leak.csv").exists() and not (Path(lab["LAB_ROOT"]) / "exported").exists()


def test_attacks_against_the_mcp_server(lab):
    async def attack() -> list[tuple]:
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "agent.mcp"], env=dict(lab), cwd=lab["LAB_ROOT"]
        )
        outcomes = []
        async with Client(params) as client:
            for _category, template, expectation in ATTACKS:
                sql = render(template, lab)
                result = await client.call_tool("query", {"sql": sql})
                outcomes.append((expectation, sql, result))
            outcomes.append(("healthy", "select 42", await client.call_tool("query", {"sql": "select 42 as answer"})))
        return outcomes

    outcomes = asyncio.run(asyncio.wait_for(attack(), timeout=240))
    for expectation, sql, result in outcomes[:-1]:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        errors = [result.structured_content["message"]] if result.is_error else []
        check("mcp", expectation, sql, not result.is_error, text, errors)
        if result.is_error:
            assert set(result.structured_content) == {"error", "message"}
    healthy = outcomes[-1][2]
    assert not healthy.is_error and healthy.structured_content["rows"] == [[42]]


@pytest.mark.parametrize("sql", ["select * from read_text('.env')", "select * from hidden_secrets"])
def test_the_cli_process_refuses_with_one_json_line(lab, sql):
    done = subprocess.run(
        [sys.executable, "-m", "agent.query", "sql", sql],
        env=dict(lab), cwd=lab["LAB_ROOT"], capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr
    answer = json.loads(done.stdout)
    assert answer["error"] in ("refused", "error") and "\n" not in answer["message"]
    assert not any(f in done.stdout + done.stderr for f in FORBIDDEN_AGENT)
