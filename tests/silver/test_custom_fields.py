"""jira.silver.custom_fields: any `column: [field names or ids]` becomes a typed column of jira_issues.

The type comes from the field's schema in the `fields` stream; names are validated when the
settings load (so `make check` and every command refuse a bad one before any work).
"""

import os
import subprocess
import sys

import duckdb
import pytest
import yaml

from pipelines.silver import build_silver
from pipelines.silver.settings import issue_columns
from pipelines.silver.warehouse import table_checksum
from tests.conftest import REPO
from tests.silver import jira_records as jr
from tests.silver.bronze_files import Bronze
from tests.silver.support import query, settings_for

CUSTOM = {
    "customfield_10001": ("Team", {"type": "team", "custom": "atlassian-team"}),
    "customfield_10015": ("Start date", {"type": "date"}),
    "customfield_10040": ("Severity", {"type": "option"}),
    "customfield_10030": ("Reviewer", {"type": "user"}),
    "customfield_10031": ("Approvers", {"type": "array", "items": "user"}),
    "customfield_10041": ("Affected services", {"type": "array", "items": "string"}),
    "customfield_10042": ("Flagged", {"type": "array", "items": "option"}),
    "customfield_10050": ("Acceptance criteria", {"type": "string"}),
    "customfield_10060": ("Budget", {"type": "number"}),
    "customfield_10061": ("Go live", {"type": "datetime"}),
    "customfield_10062": ("Region", {"type": "option-with-child"}),
    "customfield_10063": ("Development", {"type": "any"}),
}
FIELDS = jr.FIELDS + [{"id": i, "name": n, "custom": True, "schema": s} for i, (n, s) in CUSTOM.items()]
MAPPING = {
    "team": ["Team"],
    "start_date": ["start date"],  # names match case-insensitively
    "severity": ["Severity"],
    "reviewer_account_id": ["Reviewer"],
    "approver_account_ids": ["Approvers"],
    "services": ["Affected services"],
    "flags": ["Flagged"],
    "acceptance": ["Acceptance criteria"],
    "budget": ["customfield_10060"],  # ids as they are
    "go_live_at": ["Go live"],
    "region": ["Region"],
    "development": ["Development"],
    "not_there": ["No such field"],
}
VALUES = {
    "customfield_10001": {"id": "36885b3c", "name": "Platform 🛠", "title": "Platform 🛠"},
    "customfield_10015": "2026-11-03",
    "customfield_10040": {"id": "10100", "value": "S1 - Critical"},
    "customfield_10030": jr.user("carol"),
    "customfield_10031": [jr.user("dave"), jr.user("erin")],
    "customfield_10041": ["billing", "数据仓库"],
    "customfield_10042": [{"id": "1", "value": "Impediment"}],
    "customfield_10050": {"type": "doc", "version": 1, "content": []},
    "customfield_10060": "12.5",
    "customfield_10061": "2026-11-20T10:00:00.000+0200",
    "customfield_10062": {"value": "EMEA", "child": {"value": "DE"}},
    "customfield_10063": "{summaryBean=...}",
}


def typed_issue(issue_id: int, key: str, **values) -> dict:
    record = jr.issue(issue_id, key, story_points=3)
    record["fields"].update(values)
    return record


@pytest.fixture
def site(tmp_path):
    bronze = Bronze(tmp_path / "bronze")
    bronze.write("jira", "fields", FIELDS)
    bronze.write("jira", "issues", [typed_issue(1, "ABC-1", **VALUES), typed_issue(2, "ABC-2")])
    return bronze


def test_each_configured_field_is_a_typed_column_of_jira_issues(tmp_path, site):
    settings = settings_for(tmp_path, jira_silver={"custom_fields": MAPPING})
    build_silver(settings)
    types = dict(
        query(
            settings,
            "select column_name, data_type from duckdb_columns() where table_name = 'jira_issues' "
            f"and column_name in ({', '.join(repr(name) for name in MAPPING)})",
        )
    )
    assert types == {
        "team": "VARCHAR",
        "start_date": "DATE",
        "severity": "VARCHAR",
        "reviewer_account_id": "VARCHAR",
        "approver_account_ids": "VARCHAR[]",
        "services": "VARCHAR[]",
        "flags": "VARCHAR[]",
        "acceptance": "VARCHAR",
        "budget": "DOUBLE",
        "go_live_at": "TIMESTAMP WITH TIME ZONE",
        "region": "VARCHAR",
        "development": "JSON",
        "not_there": "JSON",
    }
    built = {
        row[0] for row in query(settings, "select column_name from duckdb_columns() where table_name = 'jira_issues'")
    }
    assert issue_columns() >= (built - set(MAPPING)) | {"comments", "worklogs", "histories"}  # names refused
    columns = ", ".join(MAPPING)
    rows = query(settings, f"select issue_key, story_points, {columns} from jira_issues order by 1")
    first = dict(zip(["issue_key", "story_points", *MAPPING], rows[0], strict=True))
    assert first["story_points"] == 3  # the builtins keep their behaviour
    assert first["team"] == "Platform 🛠" and first["severity"] == "S1 - Critical"
    assert str(first["start_date"]) == "2026-11-03" and first["budget"] == 12.5
    assert first["go_live_at"].isoformat().startswith("2026-11-20T08:00:00")
    assert first["reviewer_account_id"] == "carol" and first["approver_account_ids"] == ["dave", "erin"]
    assert first["services"] == ["billing", "数据仓库"] and first["flags"] == ["Impediment"]
    assert first["acceptance"].startswith('{"type":"doc"')  # ADF stays its JSON text, like comment bodies
    assert first["region"] == "EMEA / DE" and first["development"] == '"{summaryBean=...}"'
    assert first["not_there"] is None
    assert rows[1][2:] == (None,) * len(MAPPING)  # an issue without the fields: nulls
    assert query(settings, "select team, severity from jira_epics union all select team, severity from jira_stories")

    comments = dict(
        query(
            settings,
            "select column_name, comment from duckdb_columns() where table_name = 'jira_issues' "
            "and column_name in ('team', 'budget', 'not_there')",
        )
    )
    assert comments["team"].startswith("custom field Team (customfield_10001; Jira schema team)")
    assert "customfield_10060; Jira schema number" in comments["budget"]
    assert "no field found in the fields stream" in comments["not_there"]


def test_incremental_equals_full_with_custom_columns(tmp_path, site):
    settings = settings_for(tmp_path, jira_silver={"custom_fields": MAPPING})
    build_silver(settings)
    site.write("jira", "issues", [typed_issue(2, "ABC-2", updated="2026-11-02T10:00:00.000+0000", **VALUES)])
    build_silver(settings)
    incremental = _checksum(settings)
    build_silver(settings, full=True)
    assert _checksum(settings) == incremental


def _checksum(settings):
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return table_checksum(con, "jira_issues")


def test_a_field_type_learnt_later_rebuilds_the_column(tmp_path, caplog):
    bronze = Bronze(tmp_path / "bronze")
    bronze.write("jira", "issues", [typed_issue(1, "ABC-1", **VALUES)])
    mapping = {"budget": ["customfield_10060"], "mixed": ["customfield_10060", "Severity"]}
    settings = settings_for(tmp_path, jira_silver={"custom_fields": mapping})
    build_silver(settings)
    assert query(settings, "select budget::varchar from jira_issues") == [('"12.5"',)]  # no catalog yet: JSON
    assert "custom_fields.budget: ('customfield_10060',) are not (yet) in the fields stream" in caplog.text
    bronze.write("jira", "fields", FIELDS)
    caplog.clear()
    build_silver(settings)
    assert query(settings, "select budget, mixed::varchar from jira_issues") == [(12.5, '"12.5"')]
    assert "custom_fields.mixed: ('customfield_10060', 'customfield_10040') are of different types" in caplog.text


def test_a_bad_column_name_stops_make_check_with_one_line(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    sources = yaml.safe_load((REPO / "config" / "sources.yaml").read_text(encoding="utf-8"))
    sources["jira"]["silver"]["custom_fields"]["status"] = ["Status (custom)"]
    (config / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "check"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**_env(), "DPL_CONFIG_DIR": str(config)},
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1  # one line, no traceback
    assert "jira.silver.custom_fields: 'status' is already a column of jira_issues" in done.stderr


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "BITBUCKET_", "JENKINS_"))}
