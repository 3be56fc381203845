"""`make shell`: the locked sandbox on the whole warehouse + bronze views; statements run at `;`."""

import io
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.errors import DplError, ErrorClass
from pipelines.settings import load_settings
from pipelines.shell import run_shell, statement_complete
from tests.agent.lab import lab_fixtures

lab_env, lab = lab_fixtures()


def shell(text: str, **options) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_shell(load_settings(), stdin=io.StringIO(text), stdout=out, stderr=err, **options)
    return code, out.getvalue(), err.getvalue()


def test_piped_multi_line_statements_run_at_their_semicolon(lab):
    code, out, err = shell(
        "select count(*)\n  as n\nfrom jira_issues\n;\nselect count(distinct __id) as b -- a comment; not the end\n"
        "from bronze_jira_issues; select 'a;b' as s;\nselect 3 as last\n"
    )
    assert code == 0 and not err
    lines = [line.strip() for line in out.splitlines()]
    assert lines[:3] == ["n", "--", "12"] and lines[3:6] == ["b", "--", "12"]
    assert lines[6:9] == ["s", "---", "a;b"] and lines[9:] == ["last", "----", "3"]


@pytest.mark.parametrize(
    "sql",
    [
        "select * from read_text('.env');",
        "copy (select * from jira_issues) to 'out.csv';",
        "attach 'other.duckdb' as o;",
        "update jira_issues set summary = 'x';",
        "set enable_external_access = true;",
        "install httpfs;",
    ],
)
def test_files_writes_attach_and_settings_are_refused_with_exit_1(lab, sql):
    code, out, err = shell(f"select 1 as ok;\n{sql}\nselect 2 as never;\n")
    assert code == 1 and "never" not in out
    assert len(err.splitlines()) == 1 and err.startswith("error: refused:")
    assert not Path("out.csv").exists() and not Path("other.duckdb").exists()


def test_the_shell_reads_what_the_agent_may_not(lab):
    code, out, _ = shell("select secret from hidden_secrets;")
    assert code == 0 and "cnry-hidden-table" in out


def test_errors_exit_non_zero_and_stop(lab):
    code, out, err = shell("select * from no_such_table;\nselect 1;\n")
    assert code == 1 and out == "" and "no_such_table" in err and len(err.splitlines()) == 1


def test_sql_option_file_option_and_width(lab, tmp_path, capsys):
    query = tmp_path / "q.sql"
    query.write_text("select repeat('x', 100) as wide;\n")
    assert main(["shell", "--file", str(query), "--max-width", "12"]) == 0
    assert capsys.readouterr().out.splitlines()[2] == "xxxxxxxxxxx…"
    assert main(["shell", "--sql", "select 1 as a; select 2 as b"]) == 0
    assert capsys.readouterr().out.split() == ["a", "-", "1", "b", "-", "2"]
    assert main(["shell", "--sql", "select nonsense from"]) == 1
    assert main(["shell", "--file", str(tmp_path / "missing.sql")]) == 2


def test_dot_commands(lab):
    code, out, err = shell(".tables\n.maxwidth 8\nselect repeat('y', 50) as w;\n.nope\n")
    assert code == 1 and "yyyyyyy…" in out and " jira_issues " in out and " bronze_jira_issues " in out
    assert err.startswith("error: unknown command '.nope'")


def test_make_shell_sql_runs_non_interactively(lab):
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        ["make", "-s", "-C", str(repo), "shell", 'SQL=select 40 + 2 as "answer"', f"PY={sys.executable}", "STAMP="],
        env=dict(lab), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "42"


@pytest.mark.parametrize(
    ("text", "complete"),
    [
        ("select 1;", True),
        ("select ';'", False),
        ("select 1; -- done", True),
        ("select 1 /* ; */", False),
        ("select 'it''s;'", False),
        ('select "a;";', True),
    ],
)
def test_statement_complete(text, complete):
    assert statement_complete(text) is complete


def test_a_writer_holding_the_warehouse_gives_a_clear_locked_error(lab):
    warehouse = lab["DPL_WAREHOUSE"]
    code = f"import duckdb,time; c=duckdb.connect({warehouse!r}); print('held', flush=True); time.sleep(30)"
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DplError) as err:
            shell("select 1;\n")
        assert err.value.error_class == ErrorClass.LOCKED and "in use by process" in err.value.message
    finally:
        holder.kill()
        holder.wait()
