"""Config validation: one clear line naming file and key, exit code 2, for every kind of mistake."""

import shutil

import pytest

from pipelines.cli import main
from tests.conftest import REPO


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    target = tmp_path / "config"
    shutil.copytree(REPO / "config", target)
    monkeypatch.setenv("DPL_CONFIG_DIR", str(target))
    return target


def run_check(capsys) -> tuple[int, str]:
    code = main(["check"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def write(path, text):
    path.write_text(text, encoding="utf-8")


def test_shipped_config_is_valid(config_dir, capsys):
    code, out = run_check(capsys)
    assert code == 0, out
    assert "config: OK" in out


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        (
            "sources.yaml",
            "bronze:\n  zstd_levle: 3\n",
            "sources.yaml: bronze: unknown key 'zstd_levle' (expected one of:",
        ),
        (
            "sources.yaml",
            "http:\n  max_attempts: many\n",
            "sources.yaml: http.max_attempts: expected integer, got str 'many'",
        ),
        (
            "sources.yaml",
            "bronze:\n  zstd_level: 99\n",
            "sources.yaml: bronze.zstd_level: 99 is greater than the maximum of 22",
        ),
        (
            "time.yaml",
            "safety_window_minutes: -5\n",
            "time.yaml: safety_window_minutes: -5 is less than the minimum of 0",
        ),
        ("time.yaml", "report_timezone: Mars/Olympus\n", "time.yaml: report_timezone: expected a valid timezone"),
        (
            "ai_policy.yaml",
            "denied_columns: ['(unclosed']\n",
            "ai_policy.yaml: denied_columns.0: not a valid regular expression",
        ),
        ("identity.yaml", "people:\n  - emails: [a@b.c]\n", "identity.yaml: people.0: 'name' is required"),
        (
            "identity.yaml",
            "jira_key_aliases:\n  OLD: lower\n",
            "identity.yaml: jira_key_aliases.OLD: 'lower' does not match",
        ),
        ("sources.yaml", "http: [1, 2\n", "sources.yaml:2:1: invalid YAML"),
        (
            "sources.yaml",
            "jira:\n  silver:\n    custom_fields:\n      story_points: 5\n",
            "sources.yaml: jira.silver.custom_fields.story_points: expected array, got int 5",
        ),
        (
            "sources.yaml",
            "jira:\n  streams:\n    issues:\n      mode: SOMETIMES\n",
            "sources.yaml: jira.streams.issues.mode: expected one of FULL, INCREMENTAL, got 'SOMETIMES'",
        ),
        ("time.yaml", "- just\n- a list\n", "time.yaml: (top level): expected object, got list"),
    ],
)
def test_each_error_kind_is_one_line_with_exit_2(config_dir, capsys, file, text, expected):
    write(config_dir / file, text)
    code, out = run_check(capsys)
    assert code == 2
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert expected in lines[0], lines[0]
    assert lines[0].startswith("error: [CONFIG]") and "Traceback" not in out


def test_unreadable_file(config_dir, capsys):
    path = config_dir / "time.yaml"
    path.write_bytes(b"safety_window_minutes: \xff\xfe\n")
    code, out = run_check(capsys)
    assert code == 2 and "time.yaml: cannot be read" in out


def test_missing_config_dir(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DPL_CONFIG_DIR", str(tmp_path / "nope"))
    code, out = run_check(capsys)
    assert code == 2 and "DPL_CONFIG_DIR=" in out and "not a directory" in out


def test_missing_files_mean_defaults(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "empty-config"
    empty.mkdir()
    monkeypatch.setenv("DPL_CONFIG_DIR", str(empty))
    code, _ = run_check(capsys)
    assert code == 0
