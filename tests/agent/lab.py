"""A small real warehouse (jira simulator → bronze → silver) with canaries planted: the agent tests' lab."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from simulators import create, env_for
from tests.conftest import CREDENTIAL_VARS, REPO

CANARY_TOKEN = "cnry-env-token-5b1f0e9a7c"  # JIRA_API_TOKEN: a registered secret
CANARY_ENV = "cnry-plain-env-4d2c8a1e6f"  # a variable no redactor knows
CANARY_DOTENV = "cnry-dotenv-9e3a7b5d1c"  # only in .env
CANARY_HIDDEN = "cnry-hidden-table-2f8d6c4b0a"  # a table the policy does not allow
CANARY_DENIED = "cnry-denied-column-7a1e5c9d3b"  # a denied column
CANARY_EMAIL = "zq7canarymailbox@cnryhost.example"  # a masked column
CANARY_REDACT = "cnry-redact-8c4e2a6f0d"  # inside free text, matched by redact_patterns
POLICY = {
    "allowed_tables": ["(?!hidden_).*"],
    "denied_columns": [".*api_key.*"],
    "masked_columns": [".*email.*"],
    "redact_patterns": ["cnry-redact-[0-9a-f]+"],
    "max_rows": 5,
    "max_result_bytes": 4096,
    "timeout_s": 1.0,
    "memory_limit": "256MB",
}


BUILT: dict[str, dict[str, str]] = {}


def build_lab(root: Path, policy: dict) -> dict[str, str]:
    """Sync the jira simulator into bronze, build silver, plant canaries; the env to run against it."""
    server = create("jira", seed=7, scale={"issues": 12}).start()
    try:
        env = {k: v for k, v in os.environ.items() if k not in CREDENTIAL_VARS}
        config = root / "config"
        shutil.copytree(REPO / "config", config)
        (config / "ai_policy.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
        env |= env_for("jira", server) | {
            "DPL_CONFIG_DIR": str(config),
            "DPL_BRONZE_DIR": str(root / "bronze"),
            "DPL_WAREHOUSE": str(root / "warehouse" / "lakehouse.duckdb"),
            "DLT_DATA_DIR": str(root / "dlt"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "PYTHONPATH": str(REPO),
        }
        for command in (["sync", "jira", "--full"], ["silver"]):
            done = subprocess.run(
                [sys.executable, "-m", "pipelines", *command],
                env=env, cwd=root, capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
    finally:
        server.stop()
    with duckdb.connect(env["DPL_WAREHOUSE"]) as con:
        con.execute("create table hidden_secrets(secret varchar)")
        con.execute("insert into hidden_secrets values (?)", [CANARY_HIDDEN])
        con.execute("create table agent_probe(id integer, note varchar, contact_email varchar, api_key varchar)")
        con.execute(
            "insert into agent_probe values (1, ?, ?, ?), (2, 'plain', 'other@example.org', 'k2')",
            [f"note {CANARY_REDACT} end", CANARY_EMAIL, CANARY_DENIED],
        )
        con.execute("comment on table agent_probe is 'probe rows for the agent tests'")
        con.execute("comment on column agent_probe.note is 'free text'")
    (root / ".env").write_text(f"DPL_CANARY_DOTENV={CANARY_DOTENV}\n", encoding="utf-8")
    env |= {"JIRA_API_TOKEN": CANARY_TOKEN, "DPL_CANARY_ENV": CANARY_ENV, "JIRA_EMAIL": "bot@example.org"}
    env.pop("JIRA_BASE_URL", None)
    return env


def lab_fixtures():
    """(module-scoped lab env, per-test activation) fixtures for a test module."""

    @pytest.fixture(scope="module")
    def lab_env(tmp_path_factory) -> dict[str, str]:
        if "lab" not in BUILT:  # one lab per test process, shared by the modules it runs
            root = tmp_path_factory.mktemp("agent-lab")
            BUILT["lab"] = build_lab(root, POLICY) | {"LAB_ROOT": str(root)}
        return BUILT["lab"]

    @pytest.fixture
    def lab(lab_env, monkeypatch):
        """Point this test's process at the lab (env, cwd with its .env)."""
        for key, value in lab_env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(lab_env["LAB_ROOT"])
        return lab_env

    return lab_env, lab
