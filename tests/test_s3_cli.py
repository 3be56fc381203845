"""The CLI with bronze on S3 (moto's real S3 server): sync, every reader, compact, migrate-bronze, and
silver from S3 equal to silver from a local copy of the same bronze. The AWS keys are canaries."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.bronze.ledger import manifest_segments, read_ledger
from pipelines.bronze.storage import BronzeRoot
from pipelines.bronze.verify import verify
from pipelines.cli import main
from pipelines.silver.warehouse import relations, table_checksum
from tests.s3 import S3_KEY_ID, S3_SECRET

BOOKKEEPING = {"_silver_files", "_silver_state"}


def cli(capsys, *args) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert S3_SECRET not in out and S3_KEY_ID not in out
    return code, out


def silver_checksums(warehouse) -> dict:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = sorted(n for n, kind in relations(con).items() if kind == "BASE TABLE" and n not in BOOKKEEPING)
        return {name: table_checksum(con, name) for name in tables}
    finally:
        con.close()


def no_canary_in(folder) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert S3_SECRET.encode() not in data and S3_KEY_ID.encode() not in data, path


@pytest.fixture
def synced_s3(start_sim, sim_env, s3_bronze, capsys):
    server = start_sim("jira", scale={"issues": 40})
    sim_env("jira", server)
    code, out = cli(capsys, "sync", "jira", "--full")
    assert code == 0, out
    server.world.advance(2)
    code, out = cli(capsys, "sync", "jira")
    assert code == 0, out
    return BronzeRoot(s3_bronze)


def test_every_command_works_on_an_s3_root_and_silver_equals_a_local_copy(synced_s3, capsys, tmp_path, monkeypatch):
    root = synced_s3
    assert [r["mode"] for r in read_ledger(root, "jira", "runs")] == ["full", "incremental"]
    assert not root.exists("jira/.lock")
    report = verify(root)
    assert report.checked > 0 and not report.corrupt and not report.orphans

    for command in (["stats"], ["show-cursors"], ["show-manifest"], ["show-runs"], ["units"], ["verify"]):
        code, out = cli(capsys, *command)
        assert code == 0, (command, out)
        assert "jira" in out or "files checked" in out, (command, out)
    code, out = cli(capsys, "stats", "--source", "jira", "--stream", "issues")
    assert "Bronze files per day" in out and "issues" in out
    code, out = cli(capsys, "ledgers-artifact", "--out", str(tmp_path / "artifact"))
    assert code == 0 and (tmp_path / "artifact" / "jira" / "manifest.parquet").is_file()

    monkeypatch.setenv("DPL_WAREHOUSE", str(tmp_path / "from_s3.duckdb"))
    code, out = cli(capsys, "silver")
    assert code == 0, out
    code, out = cli(capsys, "report", "--out", str(tmp_path / "report.html"))
    assert code == 0, out
    shell = tmp_path / "shell.sql"
    shell.write_text("select count(*) from bronze_jira_issues;\nselect count(*) from bronze_jira_manifest;\n")
    monkeypatch.setattr("sys.stdin", shell.open())
    code, out = cli(capsys, "shell")
    assert code == 0 and "error" not in out, out

    code, out = cli(capsys, "migrate-bronze", "--to", str(tmp_path / "local-copy"))
    assert code == 0 and "each verified against its manifest sha256" in out, out
    local = BronzeRoot(tmp_path / "local-copy")
    assert read_ledger(local, "jira", "manifest") == read_ledger(root, "jira", "manifest")
    assert not verify(local).corrupt
    monkeypatch.setenv("DPL_BRONZE_DIR", str(local))
    monkeypatch.setenv("DPL_WAREHOUSE", str(tmp_path / "from_local.duckdb"))
    code, out = cli(capsys, "silver")
    assert code == 0, out

    from_s3 = silver_checksums(tmp_path / "from_s3.duckdb")
    from_local = silver_checksums(tmp_path / "from_local.duckdb")
    assert from_s3 and from_s3 == from_local
    assert min(count for count, _ in from_s3.values()) >= 0 and max(c for c, _ in from_s3.values()) >= 40, from_s3
    no_canary_in(tmp_path)


def test_compact_and_migrate_a_local_bronze_to_a_bucket(start_sim, sim_env, s3_server, s3_env, capsys, tmp_path):
    sim_env("jira", start_sim("jira", scale={"issues": 30}))
    for _ in range(2):
        code, out = cli(capsys, "sync", "jira")
        assert code == 0, out
    local = BronzeRoot(tmp_path / "bronze")
    assert len(manifest_segments(local, "jira")) > 1
    code, out = cli(capsys, "compact")
    assert code == 0 and "manifest segments -> 1" in out, out
    assert len(manifest_segments(local, "jira")) == 1

    target = f"s3://{s3_server.bucket()}/lake/bronze"
    code, out = cli(capsys, "migrate-bronze", "--to", target)
    assert code == 0, out
    remote = BronzeRoot(target)
    assert read_ledger(remote, "jira", "manifest") == read_ledger(local, "jira", "manifest")
    assert read_ledger(remote, "jira", "cursors") == read_ledger(local, "jira", "cursors")
    assert not verify(remote).corrupt and not verify(remote).orphans
    code, out = cli(capsys, "migrate-bronze", "--to", target)
    assert code == 2 and "already holds bronze of jira" in out  # never mixes two histories
