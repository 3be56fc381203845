"""Output a person can read: stats, show-*, units and the shell through the CLI entry point.

Branch-head cursors are summarised (no 2,600-character lines), Jenkins cursors read `#N (built ...)`,
identifiers carry no thousands separators while counts do, booleans read true/false, long text is
cut with an ellipsis.
"""

import datetime as dt
import io
import subprocess
import sys

import pytest

from pipelines.bronze.ledger import write_ledger
from pipelines.cli import main
from pipelines.cursor_values import decode_heads, describe_cursor, encode_build_cursor, encode_heads
from pipelines.display import cell, cut, table
from pipelines.settings import load_settings
from pipelines.shell import run_shell
from tests.conftest import REPO
from tests.ops.ledgers import T0, add_manifest, add_run, result

BUILT = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC)
HEADS = {f"feature/DPL-{n}-a-rather-long-branch-name-for-a-feature": f"{n:040x}" for n in range(40)} | {
    "main": "c0ffee" * 7
}
WIDEST = 240  # no line of these commands may be wider (show-runs has 12 columns)


@pytest.fixture
def settings():
    settings = load_settings()
    bronze = settings.bronze_dir
    heads = encode_heads(T0, HEADS)
    assert len(heads) > 2_600
    cursors = [
        ("bitbucket", "commits", "ws/repo", "branch_heads", heads),
        ("jenkins", "builds", "folder/job", "number", str(encode_build_cursor(3, int(BUILT.timestamp() * 1000)))),
        ("jenkins", "builds", "old/job", "number", "17"),
    ]
    for source in ("bitbucket", "jenkins"):
        rows = [
            {"stream": stream, "scope": scope, "cursor_field": field, "cursor_value": value, "run_id": "R"}
            for name, stream, scope, field, value in cursors
            if name == source
        ]
        write_ledger(bronze, source, "cursors", [{**row, "updated_at": T0} for row in rows])
    add_manifest(bronze, "bitbucket", "commits", 12_345, 2_000_000, T0)
    add_manifest(bronze, "jenkins", "builds", 7, 3_000, T0)
    long_error = "the server said: " + "x" * 300
    add_run(bronze, result("bitbucket", T0, "failed", counts={"commits": 12_345}, error=("SERVER_ERROR", long_error)))
    return settings


def lines_of(capsys) -> list[str]:
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(map(len, lines)) <= WIDEST, max(lines, key=len)[:120]
    return lines


def test_cursor_values_read_as_build_numbers_and_head_summaries():
    assert describe_cursor("number", str(encode_build_cursor(3, int(BUILT.timestamp() * 1000)))) == (
        "#3 (built 2026-11-21 09:30Z)"
    )
    assert describe_cursor("number", "17") == "#17"
    summary = describe_cursor("branch_heads", encode_heads(T0, HEADS))
    assert summary == "41 branch heads, main c0ffeec0 seen 2026-11-20 08:00Z"
    assert (
        describe_cursor("branch_heads", encode_heads(T0, {"dev": "ab" * 20}))
        == "1 branch head, dev abababab seen 2026-11-20 08:00Z"
    )
    assert decode_heads(encode_heads(T0, HEADS)) == dict(sorted(HEADS.items()))
    assert describe_cursor("updated", "2026-11-02T10:00:00.000000Z") == "2026-11-02T10:00:00.000000Z"
    assert describe_cursor("updated", "{not json") == "{not json"


def test_cells_ids_plain_counts_separated_booleans_words_text_cut():
    assert cell(10_000, "issue_id") == "10000" and cell(10_000, "number") == "10000"
    assert cell(10_000, "rows") == "10,000" and cell(1.5, "seconds") == "1.50"
    assert cell(True, "is_deleted") == "true" and cell(False) == "false"
    assert cut("a" * 100) == "a" * 69 + "…" and len(cut("a" * 100)) == 70
    assert cut("line one\nline two") == "line one⏎line two"
    path = "jira/worklog_deletions/2026/12/03/20261203T080618Z-611418-00001.jsonl.zst"
    assert cell(path, "path").endswith("00001.jsonl.zst") and "…" in cell(path, "path")
    text = table([{"flag": True, "issue_id": 10_000, "rows": 10_000}], ["flag", "issue_id", "rows"])
    assert text.splitlines()[-1] == "true     10000  10,000"  # booleans left-aligned, numbers right-aligned


def test_stats_show_cursors_runs_manifest_and_units_are_readable(settings, capsys):
    assert main(["stats"]) == 0
    stats = "\n".join(lines_of(capsys))
    assert "41 branch heads, main c0ffeec0 seen 2026-11-20 08:00Z" in stats and '"heads"' not in stats
    assert "#3 (built 2026-11-21 09:30Z)" in stats and "#17" in stats
    assert "12,345" in stats  # a count keeps its separators

    assert main(["show-cursors"]) == 0
    cursors = "\n".join(lines_of(capsys))
    assert "41 branch heads" in cursors and "#3 (built 2026-11-21 09:30Z)" in cursors
    assert str(encode_build_cursor(3, int(BUILT.timestamp() * 1000))) not in cursors

    assert main(["show-runs", "--source", "bitbucket"]) == 0
    run = next(line for line in lines_of(capsys) if "SERVER_ERROR" in line)
    assert run.endswith("…") and "12,345" in run

    assert main(["show-manifest"]) == 0
    assert any(line.startswith("bitbucket/commits/") and ".jsonl.zst  " in line for line in lines_of(capsys))

    assert main(["units", "--source", "bitbucket"]) == 0
    commits = next(line for line in lines_of(capsys) if " commits " in line)
    assert "12,345" in commits and "failed" in commits


def test_the_shell_prints_booleans_and_ids_plainly():
    out = io.StringIO()
    run_shell(
        load_settings(),
        io.StringIO("select true as is_done, 10000 as issue_id, 10000 as issues, repeat('y', 99) as t\n"),
        out,
    )
    row = out.getvalue().splitlines()[-1]
    assert row.split()[:3] == ["true", "10000", "10,000"] and row.endswith("y…")


def test_python_m_pipelines_stats_prints_no_ledger_json(settings):
    done = subprocess.run(
        [sys.executable, "-m", "pipelines", "stats", "--source", "bitbucket"], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert "41 branch heads" in done.stdout and max(map(len, done.stdout.splitlines())) <= WIDEST
