"""Schema drift: path sets per stream, new and vanished paths, sparse fields kept quiet, payloads untouched."""

import copy
import time

from bench.records import make_records
from pipelines.drift import PathCollector, format_summary, latest_changes, read_drift, summary_rows


def issue(i: int, extra: dict | None = None) -> dict:
    return {
        "id": str(i),
        "key": f"ABC-{i}",
        "fields": {
            "summary": "s",
            "customfield_10020": [{"id": 1, "name": "Sprint 1", "state": "active"}],
            "labels": ["a", "b"],
            "status": {"name": "Done", "statusCategory": {"key": "done"}},
            **(extra or {}),
        },
    }


def run(bronze, run_id, pages, complete=True, **kwargs):
    collector = PathCollector(**kwargs)
    for stream, records in pages:
        collector.observe(stream, records)
    return collector.commit(bronze, "jira", run_id, complete=complete)


def test_paths_collapse_arrays_and_walk_nested_objects():
    collector = PathCollector()
    collector.observe("issues", [issue(1), [{"x": {"y": 1}}]])
    assert collector.paths("issues") == {
        "id",
        "key",
        "fields",
        "fields.summary",
        "fields.customfield_10020",
        "fields.customfield_10020[].id",
        "fields.customfield_10020[].name",
        "fields.customfield_10020[].state",
        "fields.labels",
        "fields.status",
        "fields.status.name",
        "fields.status.statusCategory",
        "fields.status.statusCategory.key",
        "[].x",
        "[].x.y",
    }


def test_payloads_are_never_altered():
    records = make_records(200)
    before = copy.deepcopy(records)
    PathCollector().observe("issues", records)
    assert records == before


def test_baseline_then_new_and_vanished_paths_are_recorded(tmp_path):
    baseline = run(tmp_path, "R1", [("issues", [issue(i) for i in range(30)])])
    assert {e["change"] for e in baseline} == {"baseline"} and len(baseline) == 13

    changed = [issue(i, {"customfield_10100": {"value": "x"}}) for i in range(30)]
    for record in changed:
        del record["fields"]["status"]
    events = run(tmp_path, "R2", [("issues", changed)])
    got = {(e["change"], e["path"]) for e in events}
    assert got == {
        ("new", "fields.customfield_10100"),
        ("new", "fields.customfield_10100.value"),
        ("vanished", "fields.status"),
        ("vanished", "fields.status.name"),
        ("vanished", "fields.status.statusCategory"),
        ("vanished", "fields.status.statusCategory.key"),
    }
    assert {e["share"] for e in events if e["change"] == "vanished"} == {1.0}
    assert run(tmp_path, "R3", [("issues", changed)]) == []  # stable: nothing new
    assert len(read_drift(tmp_path, "jira")) == 13 + 6
    assert latest_changes(tmp_path, "jira")["issues"]["new"] == 2
    assert latest_changes(tmp_path, "jira")["issues"]["vanished"] == 4
    assert [r["run_id"] for r in summary_rows(tmp_path, "jira")] == ["R2"] * 6
    text = format_summary(tmp_path, "jira")
    assert "Schema drift of jira" in text and "vanished  fields.status.statusCategory.key" in text
    assert format_summary(tmp_path, "jenkins") == ""


def test_sparse_paths_and_incomplete_runs_do_not_cry_vanished(tmp_path):
    sparse = [issue(i, {"customfield_10200": {"v": 1}} if i == 3 else None) for i in range(30)]
    run(tmp_path, "R1", [("issues", sparse)])
    # a field seen on 1 of 30 records is not "common": its absence later is not drift
    assert run(tmp_path, "R2", [("issues", [issue(i) for i in range(30)])]) == []
    # a failed run (complete=False) and a tiny run record new paths only
    gone = [{"id": str(i)} for i in range(30)]
    assert run(tmp_path, "R3", [("issues", gone)], complete=False) == []
    assert run(tmp_path, "R4", [("issues", gone[:5])]) == []
    assert {e["change"] for e in run(tmp_path, "R5", [("issues", gone)])} == {"vanished"}


def test_streams_are_independent_and_rejected_pages_ignored(tmp_path):
    run(tmp_path, "R1", [("issues", [issue(1)]), ("comments", [{"id": "1", "body": "x"}]), ("_rejected", [{"a": 1}])])
    streams = {e["stream"] for e in read_drift(tmp_path, "jira")}
    assert streams == {"issues", "comments"}


def test_sampling_is_deterministic_cheap_and_misses_no_common_path():
    records = make_records(3_000)
    full = PathCollector(warmup=10**9)
    sampled = PathCollector()
    timings = []
    for collector in (full, sampled):
        started = time.perf_counter()
        for start in range(0, len(records), 100):
            collector.observe("issues", records[start : start + 100])
        timings.append(time.perf_counter() - started)
    assert sampled.sampled["issues"] == 50 + len(range(97, 3_000, 97))  # warmup + 1 in 97 (index 0 is in the warmup)
    assert sampled.paths("issues") == full.paths("issues")  # the records' shapes rotate; the sample sees all
    assert timings[1] < timings[0] / 5  # ~1/20 of walking every record (~4% of the bronze writer's time)
