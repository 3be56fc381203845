"""Bronze on S3, against moto's real S3 endpoint: publish, manifest segments and compaction, conditional
cursor writes, the lease lock, verify and quarantine, and a missing optional package."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

import pytest

from pipelines.bronze import ledger
from pipelines.bronze.ledger import (
    compact_manifest,
    manifest_segments,
    read_cursors,
    read_ledger,
    upsert_cursors,
    write_ledger,
)
from pipelines.bronze.lock import SourceLock
from pipelines.bronze.settings import BronzeSettings
from pipelines.bronze.storage import BronzeRoot, Conflict
from pipelines.bronze.verify import verify
from pipelines.bronze.writer import BronzeWriter
from pipelines.errors import ConfigError, DplError, ErrorClass


def records(n, start=0):
    return [{"id": str(i), "updated": f"2026-01-01T00:00:{i % 60:02d}.000Z"} for i in range(start, start + n)]


def write(writer, stream, recs):
    return writer.write_page(stream, recs, [r["id"] for r in recs], [r["updated"] for r in recs])


def test_a_part_is_invisible_until_published_then_whole(s3_server, s3_bronze):
    root = BronzeRoot(s3_bronze)
    bucket = root.base.split("/")[0]
    writer = BronzeWriter(root, "jira", "R1")
    write(writer, "issues", records(50))
    assert s3_server.keys(bucket) == {}  # written and compressed locally: nothing in the bucket yet
    row = writer.publish("issues")
    objects = s3_server.keys(bucket)
    part = objects[f"bronze/{row['path']}"]
    assert len(part) == row["bytes"] and not any(k.endswith(".tmp") for k in objects)
    assert [r["path"] for r in read_ledger(root, "jira", "manifest")] == [row["path"]]
    assert not writer.parts and writer.manifest.appended == 1
    report = verify(root)
    assert report.checked == 1 and not report.corrupt and not report.orphans


def test_manifest_segments_are_appended_then_compacted_without_losing_a_row(s3_bronze):
    root = BronzeRoot(s3_bronze)
    for run in range(3):
        writer = BronzeWriter(root, "jira", f"R{run}", BronzeSettings(part_max_rows=10))
        write(writer, "issues", records(25, run * 100))
        writer.close()
    rows = read_ledger(root, "jira", "manifest")
    assert len(rows) == 9 and len(manifest_segments(root, "jira")) == 9  # one segment per published part
    assert compact_manifest(root, "jira") == (9, 9)
    assert len(manifest_segments(root, "jira")) == 1
    assert read_ledger(root, "jira", "manifest") == rows


def test_a_run_compacts_when_segments_exceed_the_limit(s3_bronze):
    root = BronzeRoot(s3_bronze)
    writer = BronzeWriter(root, "jira", "R1", BronzeSettings(part_max_rows=5, manifest_segments_max=4))
    write(writer, "issues", records(30))
    assert len(manifest_segments(root, "jira")) == 6
    writer.close()
    assert len(manifest_segments(root, "jira")) == 1
    assert sum(r["rows"] for r in read_ledger(root, "jira", "manifest")) == 30


def test_a_compaction_interrupted_before_deleting_leaves_no_duplicate(s3_bronze):
    root = BronzeRoot(s3_bronze)
    writer = BronzeWriter(root, "jira", "R1", BronzeSettings(part_max_rows=5))
    write(writer, "issues", records(20))
    writer.close()
    rows = read_ledger(root, "jira", "manifest")
    ledger._write_compacted(root, "jira", rows, replaced=[])  # written, inputs not yet deleted
    assert len(manifest_segments(root, "jira")) == 5
    assert read_ledger(root, "jira", "manifest") == rows


def test_a_legacy_manifest_parquet_is_read_then_migrated_by_compaction(s3_bronze):
    root = BronzeRoot(s3_bronze)
    old = BronzeWriter(root, "jira", "R0")
    write(old, "issues", records(3))
    old.close()
    legacy = read_ledger(root, "jira", "manifest")
    for rel in manifest_segments(root, "jira"):
        root.delete(rel)
    root.write("jira/manifest.parquet", ledger.encode_rows(legacy, ledger.MANIFEST_SCHEMA))  # as older versions did
    assert read_ledger(root, "jira", "manifest") == legacy
    writer = BronzeWriter(root, "jira", "R1")
    write(writer, "issues", records(2, 10))
    writer.close()  # the first run of this version folds the legacy file in
    assert not root.exists("jira/manifest.parquet")
    assert [r["run_id"] for r in read_ledger(root, "jira", "manifest")] == ["R0", "R1"]


def test_a_concurrent_cursor_writer_is_refused_and_nothing_is_lost(s3_bronze, monkeypatch):
    root = BronzeRoot(s3_bronze)
    upsert_cursors(root, "jira", "R0", {("issues", "A"): ("updated", "2026-01-01T00:00:00Z")})
    real = ledger._read_versioned

    def read_then_another_writer_wins(root_, rel):
        answer = real(root_, rel)
        monkeypatch.setattr(ledger, "_read_versioned", real)
        upsert_cursors(root, "jira", "OTHER", {("issues", "B"): ("updated", "2026-02-01T00:00:00Z")})
        return answer

    monkeypatch.setattr(ledger, "_read_versioned", read_then_another_writer_wins)
    with pytest.raises(DplError) as refused:
        upsert_cursors(root, "jira", "R1", {("issues", "A"): ("updated", "2026-03-01T00:00:00Z")})
    assert refused.value.error_class == ErrorClass.LOCKED and "another writer" in refused.value.message
    assert read_cursors(root, "jira") == {
        ("issues", "A"): "2026-01-01T00:00:00Z",
        ("issues", "B"): "2026-02-01T00:00:00Z",  # the winner's update is kept
    }
    upsert_cursors(root, "jira", "R2", {("issues", "A"): ("updated", "2026-03-01T00:00:00Z")})  # a rerun lands
    assert read_cursors(root, "jira")[("issues", "A")] == "2026-03-01T00:00:00Z"


def test_conditional_create_and_replace_on_s3(s3_bronze):
    root = BronzeRoot(s3_bronze)
    token = root.create("x/obj", b"1")
    with pytest.raises(Conflict):
        root.create("x/obj", b"2")
    with pytest.raises(Conflict):
        root.replace_if("x/obj", b"2", '"not-the-etag"')
    assert root.create("x/obj", b"1") == token  # our own earlier create (a retried PUT) is not a conflict
    root.replace_if("x/obj", b"2", token)
    assert root.read("x/obj") == b"2"


def test_the_lock_refuses_a_second_holder_naming_the_first(s3_bronze):
    root = BronzeRoot(s3_bronze)
    with SourceLock(root, "jira", run_id="20261203T000000Z-aaaaaa"):
        holder = json.loads(root.read("jira/.lock"))
        assert holder["run_id"] == "20261203T000000Z-aaaaaa" and holder["pid"]
        with pytest.raises(DplError) as second, SourceLock(root, "jira", run_id="R2"):
            pass
        assert second.value.exit_code == 3
        assert "another sync is already running" in second.value.message
        assert "20261203T000000Z-aaaaaa" in second.value.message and holder["host"] in second.value.message
        assert verify(root).busy == ["jira"]
    assert not root.exists("jira/.lock")  # released
    with SourceLock(root, "jira"):
        pass


def test_an_expired_lease_is_taken_over_with_a_warning(s3_bronze, caplog):
    root = BronzeRoot(s3_bronze)
    expired = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    crashed = {"host": "runner-7", "pid": 4242, "run_id": "CRASHED", "since": expired, "expires": expired}
    root.write("jira/.lock", json.dumps(crashed).encode())
    caplog.set_level(logging.WARNING)
    with SourceLock(root, "jira", run_id="R2"):
        assert json.loads(root.read("jira/.lock"))["run_id"] == "R2"
    assert "took over the lock of host runner-7, pid 4242, run CRASHED" in caplog.text


def test_the_lease_is_renewed_and_a_lost_lock_is_noticed(s3_bronze):
    root = BronzeRoot(s3_bronze)
    with SourceLock(root, "jira", lease_s=0.6, run_id="R1") as lock:
        first = json.loads(root.read("jira/.lock"))["expires"]
        time.sleep(1.3)
        assert json.loads(root.read("jira/.lock"))["expires"] > first  # renewed while working
        root.write("jira/.lock", b'{"run_id": "THIEF", "expires": "2999-01-01T00:00:00Z"}')
        time.sleep(0.5)
        assert lock.lost
    assert json.loads(root.read("jira/.lock"))["run_id"] == "THIEF"  # a lost lock is not deleted by its old holder


def test_verify_reports_and_quarantines_orphans_on_s3(s3_server, s3_bronze):
    root = BronzeRoot(s3_bronze)
    writer = BronzeWriter(root, "jira", "R1")
    write(writer, "issues", records(5))
    writer.close()
    root.write("jira/issues/2026/01/01/LOST-00001.jsonl.zst", b"not listed")
    report = verify(root, quarantine=True)
    assert report.orphans == ["jira/issues/2026/01/01/LOST-00001.jsonl.zst"] == report.quarantined
    assert root.exists("jira/_quarantine/issues/2026/01/01/LOST-00001.jsonl.zst")
    assert not root.exists("jira/issues/2026/01/01/LOST-00001.jsonl.zst")
    path = read_ledger(root, "jira", "manifest")[0]["path"]
    root.write(path, b"damaged")
    assert verify(root).mismatched == [f"{path}: size 7 != manifest {read_ledger(root, 'jira', 'manifest')[0]['bytes']}"]


def test_write_ledger_and_every_ledger_round_trip(s3_bronze):
    root = BronzeRoot(s3_bronze)
    row = {"stream": "issues", "path": "$.id", "first_run_id": "R", "last_run_id": "R", "last_seen_at": None}
    write_ledger(root, "jira", "paths", [{**row, "share": 1.0}])
    assert read_ledger(root, "jira", "paths")[0]["path"] == "$.id"


@pytest.mark.parametrize(("url", "package"), [("gs://bucket/bronze", "gcsfs"), ("az://container/bronze", "adlfs")])
def test_a_missing_optional_package_is_one_config_line_naming_it(url, package):
    pytest.importorskip("fsspec")
    try:
        __import__(package)
        pytest.skip(f"{package} is installed")
    except ImportError:
        pass
    with pytest.raises(ConfigError) as error:
        BronzeRoot(url).exists("x")
    assert f"pip install {package}" in str(error.value) and "\n" not in str(error.value)


def test_credentials_in_the_url_are_refused():
    with pytest.raises(ConfigError):
        BronzeRoot("s3://KEY:SECRET@bucket/bronze")
