"""The PostgreSQL password of a DuckLake catalog (PGPASSWORD = the canary) is in no output, file, data file,
catalog row or server log after builds, reads, time travel, maintenance and failures; a conninfo carrying a
password is refused without echoing it."""

from __future__ import annotations

import os

from tests.reliability import support
from tests.reliability.support import CANARY
from tests.silver import jira_records as jr
from tests.silver.bronze_files import Bronze

ROLE = "lake_owner"


def catalog_dump(server, database: str) -> str:
    """Every row of every table of the catalog database, as text."""
    tables = server.execute(
        "select table_name from information_schema.tables where table_schema = 'public'", database=database
    )
    return "\n".join(str(server.execute(f'select * from "{name}"', database=database)) for (name,) in tables)


def test_no_canary_from_a_ducklake_on_postgres(tmp_path, postgres_server):
    postgres_server.execute(f"create role {ROLE} login password '{CANARY}'")
    postgres_server.execute(f"create database lake_secrets owner {ROLE}")
    conninfo = f"host={postgres_server.host} port={postgres_server.port} user={ROLE} dbname=lake_secrets"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DPL_")},
        "DPL_CONFIG_DIR": os.environ["DPL_CONFIG_DIR"],
        "DPL_BRONZE_DIR": str(tmp_path / "bronze"),
        "DPL_WAREHOUSE": f"ducklake:postgres:{conninfo}",
        "DPL_WAREHOUSE_DATA": str(tmp_path / "lake"),
        "PGPASSWORD": CANARY,
    }
    bronze = Bronze(tmp_path / "bronze")
    bronze.write("jira", "issues", [jr.issue(1, "ABC-1", summary=f"not {CANARY[:6]}")])
    try:
        for command in (["silver"], ["snapshots"]):
            done = support.run_cli(command, env)
            assert done.returncode == 0, done.stderr
        for command in (
            ["shell", "--sql", "select count(*) from jira_issues;"],
            ["shell", "--as-of", "1", "--sql", "select 1;"],
            ["report", "--out", str(tmp_path / "report.html")],
            ["expire-snapshots", "--days", "0"],
        ):
            assert support.run_cli(command, env).returncode == 0, command
        failing = [  # the server refuses a wrong one: the message names no password
            ({**env, "PGPASSWORD": CANARY + "-wrong"}, "STORAGE"),
            ({**env, "DPL_WAREHOUSE": f"ducklake:postgres:{conninfo} password={CANARY}"}, "CONFIG"),
            ({**env, "DPL_WAREHOUSE": f"ducklake:postgres:postgresql://{ROLE}:{CANARY}@127.0.0.1/x"}, "CONFIG"),
        ]
        for failing_env, error_class in failing:
            done = support.run_cli(["silver"], failing_env)
            assert done.returncode != 0
            support.assert_one_classified_line(done.stderr, error_class)
        support.OUTPUTS.append(catalog_dump(postgres_server, "lake_secrets"))
        support.OUTPUTS.append((postgres_server.root / "log").read_text(errors="replace"))
    finally:
        postgres_server.execute("drop database if exists lake_secrets with (force)")
        postgres_server.execute(f"drop role if exists {ROLE}")
