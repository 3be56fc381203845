"""`make shell`: read-only warehouse + bronze views, statements from a pipe, errors as one line."""

import io
import subprocess
import sys

import pytest

from pipelines.cli import main
from pipelines.errors import DplError, ErrorClass
from pipelines.settings import load_settings
from pipelines.shell import run_shell


@pytest.fixture
def synced(start_sim, sim_env, capsys):
    sim_env("jira", start_sim("jira", scale={"issues": 40}))
    assert main(["sync", "jira", "--full"]) == 0
    assert main(["silver"]) == 0
    capsys.readouterr()
    return load_settings()


def shell(settings, text: str) -> str:
    out = io.StringIO()
    assert run_shell(settings, stdin=io.StringIO(text), stdout=out) == 0
    return out.getvalue()


def test_queries_warehouse_and_bronze_views(synced):
    out = shell(
        synced, "select count(*) as n from jira_issues;\nselect count(distinct __id) as b from bronze_jira_issues\n"
    )
    lines = out.splitlines()
    assert lines[0].strip() == "n" and int(lines[2]) >= 40
    assert lines[3].strip() == "b" and int(lines[5]) >= 40


def test_errors_are_one_line_and_writes_are_refused(synced):
    out = shell(synced, "select * from no_such_table\ndelete from stg_jira__issues\n")
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "no_such_table" in errors[0]
    assert "read-only" in errors[1].lower()


def test_a_writer_holding_the_warehouse_gives_a_clear_locked_error(synced):
    code = f"import duckdb,time; c=duckdb.connect({str(synced.warehouse)!r}); print('held', flush=True); time.sleep(30)"
    holder = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DplError) as err:
            shell(synced, "select 1\n")
        assert err.value.error_class == ErrorClass.LOCKED and "being written" in err.value.message
    finally:
        holder.kill()
        holder.wait()
