"""Disk and permissions: an unusable bronze directory or a full disk fails the run cleanly, before or at
the first write, with one `[STORAGE]` line; no half-written file is ever counted (listed in a manifest),
cursors of what was not published do not move, and earlier data stays intact.

We run as root, so chmod cannot make a directory unwritable: a regular file stands where a directory
is expected. A full disk is OSError(ENOSPC) raised by driver.py (`--fail POINT:N:28`) at the N-th
compressed write of a part, fsync, or ledger write — in the sync's own process, no LD_PRELOAD.
"""

from __future__ import annotations

import collections
import errno
import json
import shutil

import pytest

from pipelines.bronze.verify import verify
from pipelines.cli import main
from tests.reliability import support
from tests.reliability.support import FIGURES


@pytest.mark.parametrize("blocked", ["bronze-dir", "source-dir", "stream-dir"])
def test_a_file_where_a_directory_is_expected(lab, canary_env, tmp_path, monkeypatch, capsys, blocked):
    lab.server("jenkins")
    canary_env("jenkins")
    bronze = tmp_path / "bronze"
    target = {"bronze-dir": bronze, "source-dir": bronze / "jenkins", "stream-dir": bronze / "jenkins" / "builds"}
    target[blocked].parent.mkdir(parents=True, exist_ok=True)
    target[blocked].write_text("not a directory")

    code = main(["sync", "jenkins", "--full"])
    out = support.captured(capsys)

    assert code == 1
    line = support.assert_one_classified_line(out, "STORAGE")
    assert "Not a directory" in line or "File exists" in line, line
    if blocked == "stream-dir":  # the run got going: jobs published, builds failed at their first write
        audit = support.runs_rows(bronze, "jenkins")[-1]
        assert audit["status"] == "failed" and audit["error_class"] == "STORAGE"
        assert support.cursor_rows(bronze, "jenkins") == []
        assert {r["stream"] for r in support.manifest_rows(bronze, "jenkins")} == {"jobs"}
        report = verify(bronze)
        assert not report.corrupt and report.orphans == []
    FIGURES["storage_failures_clean"] += 1


ENOSPC = errno.ENOSPC
FULL_DISK = [
    ("bytes", 1, None),  # the first compressed bytes of a part (at publish: small parts stay in zstd's buffer)
    ("bytes", 2, None),
    ("bytes", 1, 1024),  # small parts: zstd blocks are flushed while pages are written
    ("bytes", 3, 1024),
    ("fsync", 1, None),  # flushing a part to disk
    ("ledger-write", 1, None),  # the manifest row of the first part
    ("ledger-write", 3, None),  # the cursors, after parts are listed
]


@pytest.mark.parametrize(("point", "n", "part_bytes"), FULL_DISK, ids=[f"{p}-{n}-{b}" for p, n, b in FULL_DISK])
def test_a_full_disk(lab, tmp_path, point, n, part_bytes):
    shutil.copytree(lab.reference("jenkins", "full0").bronze, tmp_path / "bronze")
    before = {k: support.rows(tmp_path / "bronze", "jenkins", k) for k in ("manifest", "cursors")}
    lab.server("jenkins", support.ADVANCE_STEPS)
    config = support.config_copy(tmp_path, bronze={"part_max_bytes": part_bytes}) if part_bytes else None
    env = lab.run_env("jenkins", tmp_path, config)
    done = support.run_driver(["sync", "jenkins"], env, fail=f"{point}:{n}:{ENOSPC}")

    assert done.returncode == 1, done.stdout + done.stderr
    line = support.assert_one_classified_line(done.stdout + done.stderr, "STORAGE")
    assert "No space left on device" in line, line
    bronze = tmp_path / "bronze"
    audit = support.runs_rows(bronze, "jenkins")[-1]
    assert audit["status"] == "failed" and audit["error_class"] == "STORAGE"
    manifest = support.manifest_rows(bronze, "jenkins")
    assert manifest[: len(before["manifest"])] == before["manifest"]
    assert written_by_stream(audit) == published_by_stream(manifest, audit["run_id"])  # dropped pages not counted
    report = verify(bronze)
    assert not report.corrupt, report  # every listed file is whole
    assert not any(o.endswith(".tmp") for o in report.orphans), report.orphans  # no half-written part left
    assert support.cursor_rows(bronze, "jenkins") == before["cursors"]  # builds were not all published

    again = support.run_driver(["sync", "jenkins"], env)
    assert again.returncode == 0, again.stderr  # space is back: the next run completes
    fingerprint = support.fingerprint(bronze, tmp_path / "silver.duckdb")
    assert not support.fingerprint_diff(fingerprint, lab.reference("jenkins", "incr1").fingerprint)
    FIGURES["storage_failures_clean"] += 1


def written_by_stream(audit: dict) -> dict[str, int]:
    """The audit row's `written` per stream (streams with none left out)."""
    return {stream: counts["written"] for stream, counts in json.loads(audit["streams"]).items() if counts["written"]}


def published_by_stream(manifest: list[dict], run_id: str) -> dict[str, int]:
    """Rows of the parts a run published (listed in the manifest), per stream."""
    rows = collections.Counter()
    for row in manifest:
        if row["run_id"] == run_id and row["stream"] != "_rejected":
            rows[row["stream"]] += row["rows"]
    return dict(rows)


def test_a_mid_write_failure_counts_only_what_was_published(lab, tmp_path):
    """Small parts: builds parts are published, then a write into the next one fails (its part is dropped,
    with the pages already in it); `written` is the rows published, not the pages handed to the writer."""
    lab.server("jenkins", support.ADVANCE_STEPS)
    config = support.config_copy(tmp_path, bronze={"part_max_bytes": 1024})
    done = support.run_driver(["sync", "jenkins", "--full"], lab.run_env("jenkins", tmp_path, config),
                              fail=f"bytes:6:{ENOSPC}")  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    audit = support.runs_rows(tmp_path / "bronze", "jenkins")[-1]
    published = published_by_stream(support.manifest_rows(tmp_path / "bronze", "jenkins"), audit["run_id"])
    assert published.get("builds"), published  # some builds were published before the failure
    fetched = {s: c["fetched"] for s, c in json.loads(audit["streams"]).items()}
    assert written_by_stream(audit) == published and fetched["builds"] > published["builds"]
    assert audit["records_written"] == sum(published.values())


def test_enospc_on_the_audit_row_reports_the_runs_own_error_first(lab, tmp_path):
    """The run fails (its builds call answers an error for good), then runs.parquet cannot be written: the
    one line names both, the run's error first, with the run's class and exit code."""
    lab.server("jenkins", support.ADVANCE_STEPS)
    done = support.run_driver(["sync", "jenkins", "--full"], lab.run_env("jenkins", tmp_path),
                              fail=["callallBuilds:1:server", f"runs:1:{ENOSPC}"])  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    line = support.assert_one_classified_line(done.stdout + done.stderr, "SERVER_ERROR")
    first, _, second = line.partition("and its audit row was not saved")
    assert "fault injected by the test" in first and "[STORAGE]" in second and "No space left on device" in second
    assert support.runs_rows(tmp_path / "bronze", "jenkins") == []
