"""Disk and permissions: an unusable bronze directory or a full disk fails the run cleanly, before or at
the first write, with one `[STORAGE]` line; no half-written file is ever counted (listed in a manifest),
cursors of what was not published do not move, and earlier data stays intact.

We run as root, so chmod cannot make a directory unwritable: a regular file stands where a directory
is expected. A full disk is OSError(ENOSPC) raised by driver.py (`--fail POINT:N:28`) at the N-th
compressed write of a part, fsync, or ledger write — in the sync's own process, no LD_PRELOAD.
"""

from __future__ import annotations

import errno
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
    report = verify(bronze)
    assert not report.corrupt, report  # every listed file is whole
    assert not any(o.endswith(".tmp") for o in report.orphans), report.orphans  # no half-written part left
    assert support.cursor_rows(bronze, "jenkins") == before["cursors"]  # builds were not all published

    again = support.run_driver(["sync", "jenkins"], env)
    assert again.returncode == 0, again.stderr  # space is back: the next run completes
    fingerprint = support.fingerprint(bronze, tmp_path / "silver.duckdb")
    assert not support.fingerprint_diff(fingerprint, lab.reference("jenkins", "incr1").fingerprint)
    FIGURES["storage_failures_clean"] += 1
