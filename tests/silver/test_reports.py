"""Stats from the bronze ledgers, shell views over the manifest files, model discovery rules."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.errors import ConfigError
from pipelines.silver import build_silver, shell_init_sql, stats
from pipelines.silver.models import load_models, parse_model
from tests.silver import jira_records as jr
from tests.silver.bronze_files import Bronze
from tests.silver.support import settings_for


def test_stats_report_files_rows_cursors_and_freshness(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    bronze.write(
        "jira",
        "issues",
        [jr.issue(1, "ABC-1"), jr.issue(2, "ABC-2")],
        run_id="r1",
        cursors=["2026-11-01T10:00:00.000000Z", "2026-11-02T10:00:00.000000Z"],
    )
    bronze.write("jira", "fields", jr.FIELDS, run_id="r1")
    bronze.cursor("jira", "issues", "ABC", "2026-11-02T10:00:00.000000Z", "r1")
    settings = settings_for(tmp_path)
    text = stats(settings)
    assert "Bronze files per day" in text and "2026-11-20" in text
    assert "issues" in text and "fields" in text
    assert "Cursors of jira" in text and "2026-11-02T10:00:00.000000Z" in text
    only = stats(settings, source="jira", stream="fields")
    assert "fields" in only and " issues " not in only.split("Cursors")[0]
    assert "no bronze yet" in stats(settings, source="jenkins")


def test_shell_views_read_only_manifest_files(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    bronze.write("jira", "issues", [jr.issue(1, "ABC-1")])
    stray = tmp_path / "bronze" / "jira" / "issues" / "2026" / "11" / "20" / "orphan-00000.jsonl.zst"
    stray.write_bytes((tmp_path / "bronze" / bronze.write("jira", "issues", [jr.issue(2, "ABC-2")])).read_bytes())
    settings = settings_for(tmp_path)
    con = duckdb.connect()
    con.execute(shell_init_sql(settings))
    assert con.execute("select count(*), count(distinct __id) from bronze_jira_issues").fetchall() == [(2, 2)]
    assert con.execute("select payload ->> 'key' from bronze_jira_issues order by 1").fetchall() == [
        ("ABC-1",),
        ("ABC-2",),
    ]
    assert con.execute("select count(*) from bronze_jira_manifest").fetchall() == [(2,)]


def test_every_model_states_its_grain_and_known_config():
    models = load_models()
    assert len({m.name for m in models}) == len(models)
    for model in models:
        assert model.grain.startswith("one row per"), model.path
        assert model.sql.splitlines()[-1].strip() == "select * from final" or model.name == "anomalies", model.path
    order = [m.name for m in models]
    for model in models:
        assert all(order.index(dep) < order.index(model.name) for dep in model.depends_on), model.name


def test_a_view_over_bronze_is_refused(tmp_path):
    path = tmp_path / "bad.sql"
    path.write_text("-- one row per nothing\nselect * from bronze_jira_issues\n")
    with pytest.raises(ConfigError, match="cannot read bronze"):
        parse_model(path, "silver")
    path.write_text("-- one row per nothing\n-- config: materialized=merge\nselect 1\n")
    with pytest.raises(ConfigError, match="unique_key"):
        parse_model(path, "silver")


def test_build_summary_lists_every_stored_table(tmp_path):
    summary = build_silver(settings_for(tmp_path))
    stored = {m.name for m in load_models() if m.materialized in ("merge", "table")}
    assert set(summary) == stored
    assert all(entry == {"rows": 0, "changed": 0} for entry in summary.values())
