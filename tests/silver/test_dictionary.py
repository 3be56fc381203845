"""The data dictionary: every mart column described, applied as DuckDB comments, rendered by `make docs`.

If the first test fails after you added or changed a model, its message says what to add to which
sql/<layer>/schema.yml (or what to remove).
"""

import io
import json
import shutil
import subprocess
import sys

import duckdb
import pytest

from pipelines.cli import main
from pipelines.cli_docs import make_help
from pipelines.settings import load_settings
from pipelines.shell import run_shell
from pipelines.silver.comments import relation_columns
from pipelines.silver.dictionary import is_mart, load_dictionary, problems
from pipelines.silver.docs import tables_markdown
from pipelines.silver.models import load_models
from tests.conftest import REPO


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """The warehouse `python -m pipelines silver` builds over an empty bronze folder."""
    folder = tmp_path_factory.mktemp("dictionary")
    env = {
        "DPL_CONFIG_DIR": str(REPO / "config"),
        "DPL_BRONZE_DIR": str(folder / "bronze"),
        "DPL_WAREHOUSE": str(folder / "w.duckdb"),
        "PYTHONPATH": str(REPO),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run([sys.executable, "-m", "pipelines", "silver"], env=env, cwd=folder, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return folder / "w.duckdb"


def test_every_mart_column_has_a_description_and_every_description_a_column(warehouse):
    models = load_models()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = relation_columns(con, [m.name for m in models])
    marts = [m.name for m in models if is_mart(m)]
    assert set(marts) <= set(columns)
    found = problems(load_dictionary(), models, columns, marts)
    assert not found, "the data dictionary is out of step with the models:\n\n" + "\n\n".join(found)


def test_the_build_stores_the_descriptions_as_comments_on_tables_views_and_columns(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = dict(con.execute("select table_name, comment from duckdb_tables()").fetchall())
        views = dict(con.execute("select view_name, comment from duckdb_views() where not internal").fetchall())
        rows = con.execute("select table_name, column_name, comment from duckdb_columns()").fetchall()
    comment = {(table, column): text for table, column, text in rows}
    assert tables["jenkins_builds"].startswith("One row per jenkins build")
    assert views["bitbucket_pull_requests"].endswith("(Bitbucket has no such times on a pull request).")
    assert comment["jira_issues", "status_category"].startswith("the status category: new (to do)")
    assert comment["jira_epics", "status_category"] == comment["jira_issues", "status_category"]  # inherited
    assert comment["jira_issues", "_ingested_at"].startswith("when bronze received")  # shared
    assert comment["anomaly_orphan_comment", "severity"] == "error, warning or info"
    assert comment["bitbucket_pull_requests", "closed_at"].startswith("when it reached its final state")


def test_a_missing_or_stale_description_says_what_to_add_where(tmp_path):
    (tmp_path / "silver").mkdir()
    (tmp_path / "gold").mkdir()
    (tmp_path / "silver" / "things.sql").write_text("-- one row per thing\nselect 1 as thing_id, 'x' as label\n")
    (tmp_path / "gold" / "corrections_log.sql").write_text(
        "-- one row per correction\nselect thing_id, 'me' as fixed_by from things\n"
    )
    (tmp_path / "silver" / "schema.yml").write_text(
        "models:\n  things:\n    columns:\n      thing_id: the thing's id\n      label: its label\n      gone: old\n"
        "  ghost:\n    columns: {x: nothing}\n"
    )
    models = load_models(tmp_path)
    columns = {"things": ["thing_id", "label"], "corrections_log": ["thing_id", "fixed_by"]}
    found = problems(load_dictionary(tmp_path), models, columns, ["things", "corrections_log"])
    assert found[0].startswith("corrections_log: 1 column(s) without a description (fixed_by); add them to sql/gold")
    assert "  models:\n    corrections_log:\n      columns:\n        fixed_by: <what it means" in found[0]
    assert "sql/silver/schema.yml: describes model ghost, which does not exist" in found[1]
    assert found[2] == "sql/silver/schema.yml: things has no column(s) gone: remove or rename them"
    assert len(found) == 3  # corrections_log.thing_id inherits the description of things.thing_id


def test_make_docs_writes_the_tables_page_and_refreshes_the_readme_help(tmp_path, capsys):
    readme = tmp_path / "README.md"
    text = (REPO / "README.md").read_text(encoding="utf-8")
    readme.write_text(text.replace("  docs ", "  old-docs ", 1), encoding="utf-8")
    assert main(["docs", "--out", str(tmp_path / "tables.md"), "--readme", str(readme)]) == 0
    assert "copy of `make help` refreshed" in capsys.readouterr().out
    assert readme.read_text(encoding="utf-8") == text  # the committed README holds the current copy
    page = (tmp_path / "tables.md").read_text(encoding="utf-8")
    assert "### jira_issues" in page and "| `status_category` | VARCHAR | the status category" in page
    assert "**undescribed**" not in page


def test_the_committed_tables_page_is_current():
    committed = (REPO / "docs" / "tables.md").read_text(encoding="utf-8")
    assert tables_markdown(load_settings()) == committed, "docs/tables.md is stale: run `make docs`"


def test_the_shell_and_the_agent_show_the_descriptions(warehouse, monkeypatch, tmp_path):
    monkeypatch.setenv("DPL_WAREHOUSE", str(warehouse))
    out = io.StringIO()
    run_shell(load_settings(), io.StringIO(".describe jira_releases\n.tables\n"), out)
    text = out.getvalue()
    assert "is_released" in text and "the version is marked released" in text
    assert "One row per jira version (release)" in text
    done = subprocess.run(
        [sys.executable, "-m", "agent.query", "describe", "jira_issues"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"DPL_CONFIG_DIR": str(REPO / "config"), "DPL_WAREHOUSE": str(warehouse), "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    issues = json.loads(done.stdout)
    assert issues["description"].startswith("One row per jira issue")
    (points,) = [c for c in issues["columns"] if c["name"] == "story_points"]
    assert (points["type"], points["description"]) == (
        "DOUBLE",
        "story points (the first non-null of the fields mapped to story_points)",
    )


def test_make_docs_is_a_make_target():
    if not shutil.which("make"):
        pytest.skip("no make")
    assert any(line.split()[0] == "docs" for line in make_help(REPO))
