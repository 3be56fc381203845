"""`make load` into a real PostgreSQL server and dlt's duckdb destination: bronze mirrored, latest per id."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from pipelines.bronze.ledger import read_ledger, write_ledger
from pipelines.bronze.writer import BronzeWriter
from pipelines.dlt.load.mirror import load_bronze
from pipelines.dlt.load.settings import LoadSettings
from tests.conftest import REPO
from tests.load.support import (
    cli,
    copy_bronze,
    duckdb_destination,
    latest_per_id,
    make_bronze,
    postgres_destination,
    settings_for,
)


@pytest.fixture(scope="module")
def bronze_template(tmp_path_factory):
    """Jira and Jenkins bronze from the simulators: a full sync, then an incremental one (ids repeat)."""
    root = tmp_path_factory.mktemp("template") / "bronze"
    make_bronze(root)
    return root


@pytest.fixture(params=["duckdb", "postgres"])
def destination(request, tmp_path, monkeypatch):
    if request.param == "duckdb":
        dest = duckdb_destination(tmp_path / "dest.duckdb")
    else:
        dest = postgres_destination(request.getfixturevalue("postgres_server"), request.getfixturevalue("postgres_db"))
    for key, value in dest.env.items():
        monkeypatch.setenv(key, value)
    return dest


def assert_mirrors(dest, bronze) -> None:
    """One row per id in every table, holding the payload of (one of) that id's latest envelopes in bronze."""
    expected = latest_per_id(bronze)
    assert dest.tables() == sorted(t for t, rows in expected.items() if rows)
    for table, latest in expected.items():
        if not latest:
            continue
        rows = dest.table(table)
        ids = [row[0] for row in rows]
        assert len(ids) == len(set(ids)), f"{table}: duplicate ids"
        assert set(ids) == set(latest), f"{table}: ids differ"
        for record_id, payload, _ in rows:
            assert payload in latest[record_id], f"{table}/{record_id}"


def test_counts_equal_latest_per_id_and_a_rerun_loads_nothing(destination, bronze_template, tmp_path, monkeypatch):
    settings = settings_for(bronze_template)
    first = load_bronze(settings, destination.name)
    assert first.records == sum(
        f["rows"] for s in ("jira", "jenkins") for f in read_ledger(bronze_template, s, "manifest")
    )
    assert_mirrors(destination, bronze_template)
    expected = {table: len(rows) for table, rows in latest_per_id(bronze_template).items() if rows}
    assert first.totals == expected
    before = destination.rows('select count(*), max("_dlt_load_id") from bronze."jira__issues"')

    again = load_bronze(settings, destination.name)
    assert (again.files, again.records, again.already_loaded) == (0, 0, first.files)
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "fresh-machine"))  # no local pipeline state at all
    fresh = load_bronze(settings, destination.name)
    assert (fresh.files, fresh.records) == (0, 0)
    assert destination.rows('select count(*), max("_dlt_load_id") from bronze."jira__issues"') == before


def test_only_new_files_are_loaded(destination, bronze_template, tmp_path):
    bronze = copy_bronze(bronze_template, tmp_path / "bronze")
    full = {name: read_ledger(bronze, name, "manifest") for name in ("jira", "jenkins")}
    for name, rows in full.items():  # bronze as it was after the first sync of each source
        write_ledger(bronze, name, "manifest", [r for r in rows if r["run_id"] == rows[0]["run_id"]])
    settings = settings_for(bronze, load=LoadSettings(batch_rows=600))
    first = load_bronze(settings, destination.name)
    assert first.packages > 1
    assert_mirrors(destination, bronze)
    for name, rows in full.items():
        write_ledger(bronze, name, "manifest", rows)
    second = load_bronze(settings, destination.name)
    assert second.already_loaded == first.files
    assert second.files == sum(len(rows) for rows in full.values()) - first.files
    assert_mirrors(destination, bronze)


def test_json_payloads_round_trip_equal(destination, tmp_path):
    payloads = [
        {"id": "1", "big": 2**70, "negative": -(2**80), "u64": 2**64 - 1, "float": 1.5, "one": 1.0, "zero": 0},
        {"id": "2", "text": "héllo wörld — “quotes” 日本語 emoji 🚀👩‍💻 RTL שלום", "escaped": 'a"b\\c\n\t/'},
        {"id": "3", "": "empty key", "a.b": 1, "with space": 2, "__id": "not the envelope", "payload": {"x": []}},
        {"id": "4", "$ref": True, "ключ": None, "nested": [[1, [2, {"deep": [3.25, False]}]], {}], "none": None},
    ]
    bronze = tmp_path / "bronze"
    writer = BronzeWriter(bronze, "jira", "20261201T000000Z-abcdef")
    writer.write_page("issues", payloads, [p["id"] for p in payloads], [None] * 4, {"project_key": "ÄÖ"})
    writer.write_page("worklogs", [{"id": 7, "big": 10**30}], [7], [12], None)
    writer.close()
    load_bronze(settings_for(bronze), destination.name)
    rows = {record_id: payload for record_id, payload, _ in destination.table("jira__issues")}
    assert rows == {p["id"]: p for p in payloads}
    assert destination.table("jira__worklogs")[0][:2] == ("7", {"id": 7, "big": 10**30})
    parents = destination.rows('select "__parent", "__cursor" from bronze."jira__worklogs"')
    assert parents == [(None, "12")]


def test_sigkill_mid_load_then_a_rerun_leaves_no_duplicates_and_nothing_missing(destination, bronze_template, tmp_path):
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    (config / "load.yaml").write_text("batch_rows: 500\n")
    env = {**os.environ, "DPL_CONFIG_DIR": str(config), "DPL_BRONZE_DIR": str(bronze_template)}
    command = [sys.executable, "-m", "pipelines", "load", "--destination", destination.name]
    child = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    packages = 0
    for line in child.stderr:
        packages += "load:" in line
        if packages == 2:  # two packages committed: kill inside the third
            time.sleep(0.5)
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=120)
    assert child.returncode == -signal.SIGKILL, "the load finished before it could be killed"

    done = cli("load", "--destination", destination.name, env=env)
    assert "files were already loaded" in done.stdout
    assert_mirrors(destination, bronze_template)


def test_credentials_are_never_printed_and_errors_are_one_line(postgres_server, postgres_db, tmp_path):
    canary = "Canary-Pa55word-0000"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DESTINATION__")}
    missing = cli("load", "--destination", "postgres", env=env, check=False)
    assert missing.returncode == 2
    assert "DESTINATION__POSTGRES__CREDENTIALS" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1

    url = postgres_server.url(postgres_db).replace(postgres_server.password, canary)
    wrong = cli(
        "load", "--destination", "postgres", env={**env, "DESTINATION__POSTGRES__CREDENTIALS": url}, check=False
    )
    assert wrong.returncode == 1
    assert canary not in wrong.stdout + wrong.stderr
    assert "password authentication failed" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1

    unknown = cli("load", "--destination", "nosuchdb", env=env, check=False)
    assert unknown.returncode == 2 and "not a dlt destination" in unknown.stderr
    source = cli("load", "--destination", "duckdb", "--source", "gitlab", env=env, check=False)
    assert source.returncode == 2 and "SOURCE=gitlab: unknown source; expected one of: jira" in source.stderr


@pytest.mark.soak
@pytest.mark.parametrize("after", [1, 3, 5])
@pytest.mark.parametrize("delay", [0.0, 0.2, 1.0])
def test_sigkill_at_many_points_soak(postgres_server, postgres_db, bronze_template, tmp_path, after, delay):
    """The SIGKILL case at several packages and delays (`make test-soak`)."""
    dest = postgres_destination(postgres_server, postgres_db)
    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    (config / "load.yaml").write_text("batch_rows: 800\n")
    env = {**os.environ, **dest.env, "DPL_CONFIG_DIR": str(config), "DPL_BRONZE_DIR": str(bronze_template)}
    child = subprocess.Popen(
        [sys.executable, "-m", "pipelines", "load", "--destination", "postgres"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    seen = 0
    for line in child.stderr:
        seen += "load:" in line
        if seen == after:
            time.sleep(delay)
            child.send_signal(signal.SIGKILL)
            break
    child.wait(timeout=120)
    cli("load", "--destination", "postgres", env=env)
    assert_mirrors(dest, bronze_template)
