import datetime as dt
import hashlib
import os

import pytest

from pipelines.bronze.ledger import read_ledger
from pipelines.bronze.settings import BronzeSettings
from pipelines.bronze.verify import verify
from pipelines.bronze.writer import BronzeWriter
from pipelines.errors import DplError, ErrorClass

UTC = dt.UTC


def records(n, start=0, size=10):
    return [{"id": str(i), "blob": "x" * size} for i in range(start, start + n)]


def write(writer, stream, recs, cursors=None):
    return writer.write_page(stream, recs, [r["id"] for r in recs], cursors or [None] * len(recs))


def manifest(root, source="jira"):
    return read_ledger(root, source, "manifest")


def test_partition_path_is_utc_ingestion_date(tmp_path):
    clock = lambda: dt.datetime(2026, 3, 9, 23, 59, 58, tzinfo=UTC)  # noqa: E731
    writer = BronzeWriter(tmp_path, "jira", "R1", clock=clock)
    write(writer, "issues", records(3))
    (row,) = writer.close()
    assert row["path"] == "jira/issues/2026/03/09/R1-00001.jsonl.zst"
    assert (tmp_path / row["path"]).is_file()


def test_rotation_by_rows_splits_pages(tmp_path):
    writer = BronzeWriter(tmp_path, "jira", "R1", BronzeSettings(part_max_rows=4))
    write(writer, "issues", records(10))
    rows = writer.close()
    assert [r["rows"] for r in rows] == [4, 4, 2]
    assert [r["part"] for r in rows] == [1, 2, 3]


def test_rotation_by_compressed_size(tmp_path):
    writer = BronzeWriter(tmp_path, "jira", "R1", BronzeSettings(part_max_bytes=2000, zstd_level=1))
    for i in range(20):
        recs = [{"id": str(i * 10 + j), "blob": os.urandom(200).hex()} for j in range(10)]
        write(writer, "issues", recs)
    rows = writer.close()
    assert len(rows) > 3
    assert sum(r["rows"] for r in rows) == 200
    assert all(r["bytes"] == (tmp_path / r["path"]).stat().st_size for r in rows)


def test_rotation_when_utc_date_changes(tmp_path):
    moments = iter([dt.datetime(2026, 1, 1, 23, 59, tzinfo=UTC), dt.datetime(2026, 1, 2, 0, 1, tzinfo=UTC)])
    writer = BronzeWriter(tmp_path, "jira", "R1", clock=lambda: next(moments))
    write(writer, "issues", records(2))
    write(writer, "issues", records(2, start=2))
    paths = [r["path"] for r in writer.close()]
    assert paths == ["jira/issues/2026/01/01/R1-00001.jsonl.zst", "jira/issues/2026/01/02/R1-00002.jsonl.zst"]


def test_manifest_row_matches_file(tmp_path):
    writer = BronzeWriter(tmp_path, "jira", "R1")
    write(writer, "issues", records(5), cursors=[f"2024-01-0{i + 1}T00:00:00.000000Z" for i in range(5)])
    writer.close()
    (row,) = manifest(tmp_path)
    data = (tmp_path / row["path"]).read_bytes()
    assert row["sha256"] == hashlib.sha256(data).hexdigest() and row["bytes"] == len(data)
    assert row["min_cursor"] == "2024-01-01T00:00:00.000000Z" and row["max_cursor"] == "2024-01-05T00:00:00.000000Z"
    assert row["source"] == "jira" and row["stream"] == "issues" and row["run_id"] == "R1"
    assert verify(tmp_path).corrupt is False


def test_crash_between_write_and_rename_leaves_no_manifest_row(tmp_path, monkeypatch):
    writer = BronzeWriter(tmp_path, "jira", "R1")
    write(writer, "issues", records(5))

    class Crash(BaseException):
        """The process dies here: no handler runs (a real crash; tests/reliability uses SIGKILL)."""

    def crash(*args):
        raise Crash

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(Crash):
        writer.close()
    monkeypatch.undo()
    assert manifest(tmp_path) == []
    report = verify(tmp_path)
    staged = "jira/_staging/issues/" + dt.datetime.now(UTC).strftime("%Y/%m/%d") + "/R1-00001.jsonl.zst.tmp"
    assert report.orphans == [staged]
    assert not report.corrupt
    report = verify(tmp_path, quarantine=True)
    assert report.quarantined == report.orphans
    assert verify(tmp_path).orphans == []


def test_the_next_run_removes_what_dead_runs_staged(tmp_path, monkeypatch):
    dead = BronzeWriter(tmp_path, "jira", "R1")
    write(dead, "issues", records(5))
    (tmp_path / "jira" / "_manifest").mkdir(parents=True)
    (tmp_path / "jira" / "_manifest" / "R1-1.parquet.tmp").write_bytes(b"half a segment")
    (tmp_path / "jira" / "cursors.parquet.tmp").write_bytes(b"half a ledger")
    assert len(verify(tmp_path).orphans) == 1  # the part (ledger temp files are not bronze files)
    # R1 died (SIGKILL: nothing ran); the next run, holding the lock, clears what it left
    removed = BronzeWriter(tmp_path, "jira", "R2").clear_dead_runs()
    assert sorted(removed) == ["R1-00001.jsonl.zst.tmp", "R1-1.parquet.tmp", "cursors.parquet.tmp"]
    assert [p for p in tmp_path.rglob("*") if p.is_file() and p.name != ".lock"] == []
    assert verify(tmp_path).orphans == []


def test_a_failed_rename_removes_its_tmp_file(tmp_path, monkeypatch):
    writer = BronzeWriter(tmp_path, "jira", "R1")
    write(writer, "issues", records(5))
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(DplError) as err:
        writer.close()
    monkeypatch.undo()
    assert err.value.error_class == ErrorClass.STORAGE and "No space left" in err.value.message
    assert manifest(tmp_path) == [] and verify(tmp_path).orphans == []


def test_crash_between_rename_and_manifest_is_an_orphan(tmp_path, monkeypatch):
    writer = BronzeWriter(tmp_path, "jira", "R1")
    write(writer, "issues", records(5))
    monkeypatch.setattr(writer.manifest, "append", lambda row: (_ for _ in ()).throw(OSError("killed")))
    with pytest.raises(OSError):
        writer.close()
    report = verify(tmp_path)
    assert len(report.orphans) == 1 and report.orphans[0].endswith("R1-00001.jsonl.zst")
    assert report.checked == 0


def test_verify_detects_tampering(tmp_path):
    writer = BronzeWriter(tmp_path, "jira", "R1")
    write(writer, "issues", records(5))
    (row,) = writer.close()
    path = tmp_path / row["path"]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    report = verify(tmp_path)
    assert report.corrupt and "sha256" in report.mismatched[0]
    path.unlink()
    assert verify(tmp_path).missing == [row["path"]]


def test_unwritable_bronze_dir_is_a_storage_error(tmp_path):
    if os.geteuid() == 0:
        target = tmp_path / "file-not-dir"
        target.write_text("x")  # even root cannot mkdir below a regular file
    else:
        target = tmp_path / "ro"
        target.mkdir(mode=0o500)
    writer = BronzeWriter(target, "jira", "R1")
    with pytest.raises(DplError) as err:
        write(writer, "issues", records(1))
    assert err.value.error_class == ErrorClass.STORAGE and "cannot create" in err.value.message


def test_interleaved_streams_keep_their_own_records(tmp_path):
    writer = BronzeWriter(tmp_path, "jira", "R1")
    for i in range(3):
        write(writer, "issues", records(2, start=10 * i))
        write(writer, "comments", records(1, start=100 + i))
    from pipelines.bronze.verify import count_lines

    rows = {r["stream"]: r for r in writer.close()}
    assert rows["issues"]["rows"] == 6 and rows["comments"]["rows"] == 3
    assert count_lines(tmp_path / rows["issues"]["path"]) == 6
    assert count_lines(tmp_path / rows["comments"]["path"]) == 3
    assert not verify(tmp_path).corrupt


def test_verify_leaves_a_source_alone_while_a_sync_holds_its_lock(tmp_path):
    from pipelines.bronze.lock import SourceLock

    writer = BronzeWriter(tmp_path, "jira", "R1")
    write(writer, "issues", records(3))  # an open part: a .tmp file of a running sync
    with SourceLock(tmp_path, "jira"):
        report = verify(tmp_path, quarantine=True)
    assert report.busy == ["jira"] and report.orphans == [] and report.quarantined == []
    writer.close()
    assert verify(tmp_path).orphans == []  # the sync published it: never an orphan
