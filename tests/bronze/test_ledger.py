import subprocess
import sys

import pytest

from pipelines.bronze.ledger import read_cursors, upsert_cursors
from pipelines.bronze.lock import SourceLock
from pipelines.errors import DplError, ErrorClass


def test_cursor_upsert_per_stream_and_scope(tmp_path):
    upsert_cursors(tmp_path, "jira", "R1", {("issues", "ABC"): ("fields.updated", "2024-01-01T00:00:00.000000Z")})
    upsert_cursors(tmp_path, "jira", "R2", {("issues", "XYZ"): ("fields.updated", "2024-02-01T00:00:00.000000Z")})
    upsert_cursors(tmp_path, "jira", "R3", {("issues", "ABC"): ("fields.updated", "2024-03-01T00:00:00.000000Z")})
    assert read_cursors(tmp_path, "jira") == {
        ("issues", "ABC"): "2024-03-01T00:00:00.000000Z",
        ("issues", "XYZ"): "2024-02-01T00:00:00.000000Z",
    }


def test_cursor_never_moves_backwards(tmp_path):
    upsert_cursors(tmp_path, "jenkins", "R1", {("builds", "job"): ("number", 120)})
    assert upsert_cursors(tmp_path, "jenkins", "R2", {("builds", "job"): ("number", 99)}) == 0
    assert read_cursors(tmp_path, "jenkins") == {("builds", "job"): "120"}
    upsert_cursors(tmp_path, "jenkins", "R3", {("builds", "job"): ("number", 1000)})
    assert read_cursors(tmp_path, "jenkins") == {("builds", "job"): "1000"}  # numeric, not string, order


def test_second_lock_is_refused_with_a_clear_message(tmp_path):
    with SourceLock(tmp_path, "jira"):
        with pytest.raises(DplError) as err, SourceLock(tmp_path, "jira"):
            pass
        assert err.value.error_class == ErrorClass.LOCKED
        assert "another sync is already running (pid" in str(err.value)
        with SourceLock(tmp_path, "jenkins"):  # other sources are free
            pass
    with SourceLock(tmp_path, "jira"):  # released
        pass


def test_lock_is_held_across_processes(tmp_path):
    code = (
        "import sys,time; from pipelines.bronze.lock import SourceLock\n"
        f"l=SourceLock({str(tmp_path)!r},'jira').__enter__(); print('locked', flush=True); time.sleep(30)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(DplError) as err, SourceLock(tmp_path, "jira"):
            pass
        assert f"pid {proc.pid}" in str(err.value)
    finally:
        proc.kill()
        proc.wait()
    with SourceLock(tmp_path, "jira"):  # a killed holder releases the lock
        pass


def test_manifest_order_is_publication_order_even_for_runs_started_in_the_same_second(tmp_path):
    """Run ids order runs to the second only; readers (silver, make load) rely on manifest order."""
    import datetime as dt

    from pipelines.bronze.ledger import Manifest, read_ledger

    def manifest_row(path: str, run_id: str) -> dict:
        return {"path": path, "source": "jenkins", "stream": "builds", "run_id": run_id, "part": 1, "rows": 1,
                "bytes": 1, "sha256": "", "min_cursor": None, "max_cursor": None, "utf8_errors": 0,
                "written_at": dt.datetime.now(dt.UTC)}  # fmt: skip

    for run_id, path in (("20261203T102326Z-ffffff", "first"), ("20261203T102326Z-000000", "second")):
        Manifest(tmp_path, "jenkins", run_id).append(manifest_row(path, run_id))
    assert [row["path"] for row in read_ledger(tmp_path, "jenkins", "manifest")] == ["first", "second"]
