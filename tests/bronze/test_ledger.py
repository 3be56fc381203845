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
