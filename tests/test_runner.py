"""The runner with a scripted fake source: publish before cursors, audit rows, failures, rejects."""

import types

import dlt
import orjson
import pytest

from pipelines.bronze.ledger import read_cursors, read_ledger
from pipelines.bronze.lock import SourceLock
from pipelines.bronze.verify import verify
from pipelines.dlt import pipelines as runner
from pipelines.dlt.streams import Page, StreamSpec, cursor_from, id_from
from pipelines.errors import DplError, ErrorClass
from pipelines.settings import load_settings
from pipelines.sources import SourceSettings, StreamSettings
from tests.helpers import read_lines


def fake_module(script):
    """A source whose resources yield the scripted pages (an exception in the script is raised)."""

    def source(ctx):
        def make(name, steps):
            @dlt.resource(name=name)
            def resource():
                for step in steps:
                    if isinstance(step, BaseException):
                        raise step
                    yield step

            return resource

        @dlt.source(name="fake")
        def fake():
            return [make(name, steps) for name, steps in script.items()]

        return fake()

    return types.SimpleNamespace(
        STREAMS={
            "items": StreamSpec("items", "id", id_from("id"), "updated", cursor_from(("updated",))),
            "builds": StreamSpec(
                "builds", "job#number", lambda r, p: f"{p['job']}#{r['number']}", "number", lambda r: r["number"]
            ),
        },
        BASE_URL_VAR="FAKE_URL",
        read_env=lambda env: {},
        source=source,
    )


def items(start, n, day="01"):
    return [{"id": str(i), "updated": f"2024-01-{day}T00:00:{i % 60:02d}.000+0000"} for i in range(start, start + n)]


@pytest.fixture
def run(monkeypatch):
    streams = {name: StreamSettings(True, "INCREMENTAL", "id", None) for name in ("items", "builds")}
    settings = load_settings()
    settings = settings.replace(sources={**settings.sources, "fake": SourceSettings("fake", True, streams)})

    def go(script, **kwargs):
        monkeypatch.setattr(runner, "get", lambda name: fake_module(script))
        return runner.run_source(settings, "fake", **kwargs)

    go.settings = settings
    return go


def runs(settings):
    return read_ledger(settings.bronze_dir, "fake", "runs")


def test_pages_are_published_then_cursors_committed(run):
    result = run({"items": [Page("items", items(0, 3), scope="A"), Page("items", items(3, 2, "02"), scope="A")]})
    assert result.status == "success" and result.records_written == 5
    manifest = read_ledger(run.settings.bronze_dir, "fake", "manifest")
    assert [r["rows"] for r in manifest] == [5]
    assert read_cursors(run.settings.bronze_dir, "fake") == {("items", "A"): "2024-01-02T00:00:04.000000Z"}
    (audit,) = runs(run.settings)
    assert audit["status"] == "success" and audit["records_written"] == 5 and audit["files_published"] == 1
    assert orjson.loads(audit["streams"]) == {  # every selected stream is listed, zeros included
        "items": {"fetched": 5, "written": 5, "skipped": 0},
        "builds": {"fetched": 0, "written": 0, "skipped": 0},
    }


def test_failed_resource_keeps_its_pages_but_not_its_cursor(run):
    boom = DplError(ErrorClass.SERVER_ERROR, "503 from GET /x")
    result = run(
        {
            "builds": [Page("builds", [{"number": 7}], scope="job", parent={"job": "job"}, checkpoint=7)],
            "items": [Page("items", items(0, 3), scope="A"), boom],
        }
    )
    assert result.status == "failed" and result.error.error_class == ErrorClass.SERVER_ERROR
    # the completed resource committed; the failed one did not, its records are published anyway
    assert read_cursors(run.settings.bronze_dir, "fake") == {("builds", "job"): "7"}
    manifest = read_ledger(run.settings.bronze_dir, "fake", "manifest")
    assert sorted((r["stream"], r["rows"]) for r in manifest) == [("builds", 1), ("items", 3)]
    (audit,) = runs(run.settings)
    assert audit["status"] == "failed" and audit["error_class"] == "SERVER_ERROR"
    assert not verify(run.settings.bronze_dir).corrupt


def test_no_cursor_before_publish(run, monkeypatch):
    from pipelines.bronze import ledger

    def refuse(self, row):
        raise DplError(ErrorClass.STORAGE, "disk full")

    monkeypatch.setattr(ledger.Manifest, "append", refuse)
    result = run({"items": [Page("items", items(0, 3), scope="A")]})
    assert result.status == "failed" and result.error.error_class == ErrorClass.STORAGE
    assert read_cursors(run.settings.bronze_dir, "fake") == {}
    assert len(verify(run.settings.bronze_dir).orphans) == 1  # renamed but never listed: not data


def test_records_without_usable_id_are_quarantined_with_reason(run):
    page = Page("items", [{"id": "1", "updated": None}, {"no_id": True}, {"id": {"x": 1}}, {"id": ""}])
    result = run({"items": [page]})
    assert result.counts["items"] == {"fetched": 4, "written": 1, "skipped": 3}
    manifest = read_ledger(run.settings.bronze_dir, "fake", "manifest")
    rejected = [r for r in manifest if r["stream"] == "_rejected"]
    assert rejected and rejected[0]["rows"] == 3
    first = read_lines(run.settings.bronze_dir.local_path(rejected[0]["path"]))[0]
    assert first["__parent"]["reason"].startswith("record without a usable id") and first["payload"] == {"no_id": True}


def test_checkpoint_wins_over_record_cursors(run):
    pages = [Page("builds", [{"number": n} for n in (5, 6, 9)], scope="job", parent={"job": "job"}, checkpoint=5)]
    run({"builds": pages})
    assert read_cursors(run.settings.bronze_dir, "fake") == {("builds", "job"): "5"}


def test_a_second_run_is_refused_while_locked(run):
    with SourceLock(run.settings.bronze_dir, "fake"), pytest.raises(DplError) as err:
        run({"items": []})
    assert err.value.error_class == ErrorClass.LOCKED


def test_unknown_stream_is_a_config_error(run):
    with pytest.raises(DplError) as err:
        run({"items": []}, streams=("nope",))
    assert err.value.error_class == ErrorClass.CONFIG and "unknown stream" in err.value.message


def test_unexpected_exception_is_internal_and_audited(run):
    result = run({"items": [ValueError("bug in a resource")]})
    assert result.error.error_class == ErrorClass.INTERNAL and "bug in a resource" in result.error.message
    assert runs(run.settings)[0]["status"] == "failed"


def test_backfill_never_skips_the_time_before_its_window(run):
    from pipelines.bronze.ledger import upsert_cursors

    bronze = run.settings.bronze_dir
    upsert_cursors(bronze, "fake", "R0", {("items", "OLD"): ("updated", "2020-01-01T00:00:00.000000Z")})
    upsert_cursors(bronze, "fake", "R0", {("items", "NEW"): ("updated", "2099-01-01T00:00:00.000000Z")})
    pages = [
        Page("items", items(0, 2), scope="OLD"),
        Page("items", items(2, 2), scope="NEW"),
        Page("items", items(4, 2), scope="NONE"),
    ]
    result = run({"items": pages}, mode="backfill", backfill_days=30)
    assert result.status == "success" and result.records_written == 6
    cursors = read_cursors(bronze, "fake")
    # OLD: its cursor is older than the 30-day window: moving it would skip 2020..window start
    assert cursors[("items", "OLD")] == "2020-01-01T00:00:00.000000Z"
    assert cursors[("items", "NEW")] == "2099-01-01T00:00:00.000000Z"  # never backwards
    assert ("items", "NONE") not in cursors  # no cursor yet: a backfill is not a full sync
    assert runs(run.settings)[0]["mode"] == "backfill"
