"""Concurrency changes no data: the same world synced one call at a time (`http.max_concurrency: 1`) and
concurrently gives the same bronze payloads and the same cursors — also under injected faults and 429s —
while the calls in flight never exceed the bound and a 429 holds every worker."""

from __future__ import annotations

import dataclasses
import threading

import orjson
import pytest
import requests

from pipelines.bronze.ledger import read_cursors, read_ledger
from pipelines.dlt.pipelines import run_source
from pipelines.dlt.resources.jira import settings as jira_conf
from pipelines.settings import load_settings
from pipelines.timeutil import to_utc_iso
from simulators.jira import env_for
from tests.helpers import bronze_records

SCALE = {"issues": 400}  # ~2% of issues with long comment, worklog and changelog lists
RUN_TIMES = {
    "projects",
    "versions",
    "fields",
    "issue_types",
    "statuses",
    "priorities",
    "boards",
    "sprints",
    "issue_census",
}
STORM = {"fault_rate": 0.08, "fault_kinds": ("429", "500", "503", "reset"), "retry_after_s": 1}


@pytest.fixture
def in_flight(monkeypatch) -> dict:
    """The most HTTP requests in flight at once (counted where `requests` sends them), reset per sync."""
    state, lock, send = {"now": 0, "most": 0}, threading.Lock(), requests.adapters.HTTPAdapter.send

    def counting(self, request, **kwargs):
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        try:
            return send(self, request, **kwargs)
        finally:
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", counting)
    return state


def synced(start_sim, tmp_path, in_flight, name: str, concurrency: int, **knobs) -> tuple[dict, dict, dict]:
    """A full Jira sync of a fresh simulator (seed 7) into its own bronze dir: (payloads, cursors, audit row)."""
    server = start_sim("jira", seed=7, scale=SCALE, latency_ms=2, **knobs)
    in_flight["most"] = 0
    base = load_settings()
    settings = base.replace(
        bronze_dir=tmp_path / name,
        http=dataclasses.replace(
            base.http, max_concurrency=concurrency, backoff_base_s=0.05, backoff_max_s=0.2, max_attempts=10
        ),
    )
    result = run_source(settings, "jira", mode="full", env=env_for(server))
    assert result.status == "success", result.error
    payloads = {
        stream: sorted(  # the simulator's own URL (its port) is the one thing two simulators answer differently
            orjson.dumps(line["payload"], option=orjson.OPT_SORT_KEYS).replace(server.url.encode(), b"SIM")
            for line in records
        )
        for stream in jira_conf.STREAMS
        if (records := bronze_records(settings.bronze_dir, "jira", stream))
    }
    cursors = read_cursors(settings.bronze_dir, "jira")
    row = read_ledger(settings.bronze_dir, "jira", "runs")[-1]
    assert in_flight["most"] <= concurrency  # the gate bounds the calls in flight
    return payloads, cursors, {**row, "most_in_flight": in_flight["most"]}


def same_cursors(serial: dict, concurrent: dict, serial_row: dict, concurrent_row: dict) -> None:
    """Identical cursors; those that record when something was read (a catalog's refresh, a census sweep)
    are a time of their own run."""
    assert serial.keys() == concurrent.keys()
    for key, value in serial.items():
        if key[0] in RUN_TIMES:
            for cursor, row in ((value, serial_row), (concurrent[key], concurrent_row)):
                assert to_utc_iso(row["started_at"]) <= cursor <= to_utc_iso(row["ended_at"]), key
        else:
            assert concurrent[key] == value, key


def test_a_concurrent_sync_writes_what_a_serial_one_writes(start_sim, tmp_path, in_flight):
    serial, serial_cursors, serial_row = synced(start_sim, tmp_path, in_flight, "serial", 1)
    concurrent, concurrent_cursors, concurrent_row = synced(start_sim, tmp_path, in_flight, "concurrent", 4)
    assert serial.keys() >= {"issues", "comments", "worklogs", "issue_changelogs", "users"}
    assert concurrent == serial
    same_cursors(serial_cursors, concurrent_cursors, serial_row, concurrent_row)
    assert concurrent_row["api_calls"] == serial_row["api_calls"]  # no call more
    assert serial_row["most_in_flight"] == 1 and concurrent_row["most_in_flight"] > 1


@pytest.mark.parametrize("fault_seed", [3])
def test_the_same_under_faults_and_rate_limits(start_sim, tmp_path, in_flight, fault_seed):
    serial, serial_cursors, serial_row = synced(start_sim, tmp_path, in_flight, "serial", 1)
    stormy, stormy_cursors, stormy_row = synced(
        start_sim, tmp_path, in_flight, "storm", 4, fault_seed=fault_seed, **STORM
    )
    assert stormy_row["retries"] > 0  # the storm hit
    assert stormy == serial
    same_cursors(serial_cursors, stormy_cursors, serial_row, stormy_row)


def test_the_worklog_chain_is_read_during_the_issue_pass_when_the_bulk_path_is_sure(start_sim, tmp_path):
    """A full run of the whole site whose long worklog lists make the bulk path sure starts the one chain
    no concurrency can shorten (/worklog/updated, each page pointing to the next) while the searches
    still run, and makes exactly the calls, and writes exactly the worklogs, of a one-call-at-a-time run
    (which learns every project's size only when its last search starts: then it is too late)."""
    runs = {}
    for name, concurrency in (("serial", 1), ("concurrent", 4)):
        server = start_sim("jira", seed=7, scale={"issues": 1500}, latency_ms=2)
        base = load_settings()
        settings = base.replace(
            bronze_dir=tmp_path / name, http=dataclasses.replace(base.http, max_concurrency=concurrency)
        )
        result = run_source(settings, "jira", mode="full", env=env_for(server))
        assert result.status == "success", result.error
        log = server.requests()
        paths = [entry["path"] for entry in log]
        issue_pass = [i for i, e in enumerate(log) if e["path"].endswith("/search/jql") and e["query"].get("expand")]
        if concurrency > 1:
            assert paths.index("/rest/api/3/worklog/updated") < issue_pass[-1]  # read during the pass
        assert "/rest/api/3/worklog/list" in paths
        worklogs = sorted(line["__id"] for line in bronze_records(settings.bronze_dir, "jira", "worklogs"))
        runs[name] = (sorted(paths), worklogs)
    assert runs["concurrent"] == runs["serial"]
