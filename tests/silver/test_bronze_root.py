"""A wrong bronze root must not empty the warehouse: the warehouse records which root (and which manifest
files) it was built from, and a build from another root, or from manifests that no longer list its files,
is refused with one line (exit 2) unless FULL=1 / --full — on a DuckDB file and on a DuckLake alike."""

from __future__ import annotations

import shutil

import pytest

from pipelines.cli import main
from pipelines.errors import DplError, ErrorClass
from pipelines.silver import build_silver
from pipelines.silver.target import parse_warehouse
from tests.silver.bronze_files import Bronze
from tests.silver.support import checksums, query, settings_for
from tests.silver.test_merge import write_runs


@pytest.fixture(params=["file", "ducklake"])
def built(request, tmp_path):
    """Settings of a warehouse built from tmp_path/bronze (five Jira runs), and its checksums."""
    bronze = Bronze(tmp_path / "bronze")
    for run in write_runs(bronze):
        run()
    settings = settings_for(tmp_path)
    if request.param == "ducklake":
        settings = settings.replace(warehouse=parse_warehouse(f"ducklake:{tmp_path / 'lake.ducklake'}",
                                                              str(tmp_path / "lake")))  # fmt: skip
    build_silver(settings)
    return settings, checksums(settings, views=False)


def refused(settings) -> str:
    with pytest.raises(DplError) as caught:
        build_silver(settings)
    assert caught.value.error_class == ErrorClass.CONFIG and caught.value.exit_code == 2
    assert "FULL=1" in str(caught.value) and "\n" not in str(caught.value)
    return str(caught.value)


def test_the_warehouse_records_its_bronze_root(built, tmp_path):
    settings, _ = built
    assert query(settings, "select value from _silver_state where key = 'bronze_root'") == [
        (str((tmp_path / "bronze").resolve()),)
    ]
    assert query(settings, "select count(*) from _silver_files")[0][0] > 0


def test_another_bronze_root_is_refused_unless_full(built, tmp_path):
    settings, before = built
    elsewhere = settings.replace(bronze_dir=tmp_path / "empty-bronze")  # e.g. the default root, holding nothing
    line = refused(elsewhere)
    assert "built from bronze root" in line and str(tmp_path / "empty-bronze") in line
    assert checksums(settings, views=False) == before  # nothing changed

    build_silver(elsewhere, full=True)  # on purpose: rebuilt from the new root
    assert query(settings, "select count(*) from jira_issues") == [(0,)]
    assert query(settings, "select value from _silver_state where key = 'bronze_root'") == [
        (str((tmp_path / "empty-bronze").resolve()),)
    ]


def test_an_empty_listing_of_the_same_root_is_refused_unless_full(built, tmp_path):
    """As an object store answers without credentials: the root is the same, its manifests list nothing."""
    settings, before = built
    shutil.rmtree(tmp_path / "bronze" / "jira")
    line = refused(settings)
    assert "not listed by the manifests" in line
    assert checksums(settings, views=False) == before

    build_silver(settings, full=True)
    assert query(settings, "select count(*) from _silver_files") == [(0,)]


def test_the_cli_says_it_in_one_line_and_exits_2(tmp_path, monkeypatch, capsys):
    bronze = Bronze(tmp_path / "bronze")
    write_runs(bronze)[0]()
    monkeypatch.setenv("DPL_BRONZE_DIR", str(tmp_path / "bronze"))
    monkeypatch.setenv("DPL_WAREHOUSE", str(tmp_path / "w.duckdb"))
    assert main(["silver"]) == 0
    monkeypatch.setenv("DPL_BRONZE_DIR", str(tmp_path / "elsewhere"))
    capsys.readouterr()
    assert main(["silver"]) == 2
    out = capsys.readouterr()
    lines = [line for line in (out.out + out.err).splitlines() if line.strip()]
    assert len(lines) == 1 and "[CONFIG]" in lines[0] and "Traceback" not in out.err, lines
    assert main(["silver", "--full"]) == 0
