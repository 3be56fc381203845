"""Bad input from the API: each case ends with no traceback and either the records kept (repaired and
counted, or quarantined in `_rejected` with a reason) or one classified line — and earlier data intact.

The real sources run against their simulator with one endpoint answering the crafted body (mostly
Bitbucket's repository listing, the simplest paginated list; a few Jira and Jenkins endpoints).
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable

import orjson
import pytest

from pipelines.bronze.ledger import cursor_after
from pipelines.bronze.verify import verify
from pipelines.cli import main
from simulators.common import Response
from tests.reliability import support
from tests.reliability.support import FIGURES

REPOS = "/2.0/repositories/demo-ws"
SEARCH = "/rest/api/3/search/jql"
TEN_MB = 10 * 1024 * 1024


def repo(name: str, **extra) -> dict:
    return {"full_name": f"demo-ws/{name}", "slug": name, "name": name, **extra}


def page(*records, **extra) -> bytes:
    return orjson.dumps({"values": list(records), "pagelen": 100, **extra})


def nested(depth: int) -> bytes:
    return b'{"values":[{"full_name":"demo-ws/deep","x":' + b"[" * depth + b"]" * depth + b"}]}"


@dataclasses.dataclass
class Case:
    name: str
    body: object  # bytes, or a callable(request, base_url) -> Response
    expect: str  # "ok", "rejected:N", or "error:<CLASS>"
    source: str = "bitbucket"
    path: str = REPOS
    streams: str = "repositories"
    status: int = 200
    content_type: str = "application/json;charset=UTF-8"
    headers: dict = dataclasses.field(default_factory=dict)
    check: Callable | None = None  # check(new envelopes of the stream, new manifest rows)


def payload_of(name: str):
    def check(lines, rows):
        return next(e["payload"] for e in lines if e["__id"] == f"demo-ws/{name}")

    return check


def expect_field(name: str, key: str, value):
    def check(lines, rows):
        assert payload_of(name)(lines, rows)[key] == value

    return check


def expect_repairs(lines, rows):
    assert sum(r["utf8_errors"] for r in rows if r["stream"] == "repositories") >= 1


def looping(kind: str):
    """`next` links that go round: to the same page, between two pages, or forever onwards."""

    def respond(request, base):
        number = int(request.arg("page", "1"))
        if kind == "self-empty":
            return Response(200, {"values": [], "next": f"{base}{REPOS}?page=1"})
        if kind == "self-same":
            return Response(200, {"values": [repo("a")], "next": f"{base}{REPOS}?page=1"})
        if kind == "ping-pong":
            return Response(200, {"values": [repo(f"p{number}")], "next": f"{base}{REPOS}?page={3 - number}"})
        if kind == "onwards-same":
            return Response(200, {"values": [repo("a")], "next": f"{base}{REPOS}?page={number + 1}"})
        return Response(200, {"values": [], "next": f"{base}{REPOS}?page={number + 1}"})  # onwards-empty

    return respond


def search_loop(request, base):
    """Jira search/jql whose nextPageToken never changes."""
    issue = {"id": "99001", "key": "DPL-9001", "fields": {"updated": "2026-10-01T10:00:00.000+0000"}}
    return Response(200, {"issues": [issue], "nextPageToken": "same-token-again", "isLast": False})


CASES = [
    # encodings
    Case("invalid-utf8-bytes", b'{"values":[{"full_name":"demo-ws/caf\xe9","slug":"c"}]}', "ok", check=expect_repairs),
    Case("lone-high-surrogate", b'{"values":[{"full_name":"demo-ws/s","name":"a\\ud800b"}]}', "ok",
         check=expect_field("s", "name", "a\ufffdb")),
    Case("lone-low-surrogate", b'{"values":[{"full_name":"demo-ws/t","name":"\\udc00"}]}', "ok", check=expect_repairs),
    Case("nul-bytes", page(repo("n", description="a\x00b\x00")), "ok",
         check=expect_field("n", "description", "a\x00b\x00")),
    Case("bom-prefixed-body", b"\xef\xbb\xbf" + page(repo("bom")), "ok",
         check=lambda lines, rows: payload_of("bom")(lines, rows) and expect_repairs(lines, rows)),
    Case("unescaped-control-char", b'{"values":[{"full_name":"demo-ws/c","x":"a\x01b"}]}', "error:BAD_PAYLOAD"),
    Case("odd-keys", page(repo("k", **{"": 1, "__id": "spoof", "payload": [], "a.b": 2, "ключ": "✓", "🔑": None})),
         "ok", check=expect_field("k", "__id", "spoof")),
    # sizes and shapes
    Case("ten-mb-string", page(repo("big", description="x" * TEN_MB)), "ok",
         check=lambda lines, rows: len(payload_of("big")(lines, rows)["description"]) == TEN_MB),
    Case("deeply-nested-200", nested(200), "ok"),
    Case("deeply-nested-100k", nested(100_000), "error:BAD_PAYLOAD"),
    Case("big-integer", b'{"values":[{"full_name":"demo-ws/i","slug":"i","n":123456789012345678901234567890}]}', "ok",
         check=expect_field("i", "n", 123456789012345678901234567890)),
    Case("numbers-beyond-double", b'{"values":[{"full_name":"demo-ws/h","slug":"h","x":1e400,"y":-2e-400}]}', "ok",
         check=expect_field("h", "x", float("inf"))),  # read back by the stdlib: the text is 1E+400, not null
    Case("duplicate-keys", b'{"values":[{"full_name":"demo-ws/d","k":1,"k":2}]}', "ok",
         check=expect_field("d", "k", 2)),
    Case("many-records", page(*(repo(f"r{i}") for i in range(20_000))), "ok"),
    # ids
    Case("missing-id", page({"slug": "noid", "name": "no id"}), "rejected:1"),
    Case("id-null", page(repo("x", full_name=None)), "rejected:1"),
    Case("id-object", page(repo("x", full_name={"nested": "demo-ws/x"})), "rejected:1"),
    Case("id-list", page(repo("x", full_name=["demo-ws/x"])), "rejected:1"),
    Case("id-bool", page(repo("x", full_name=True)), "rejected:1"),
    Case("id-float", page(repo("x", full_name=1.5)), "rejected:1"),
    Case("id-empty-string", page(repo("x", full_name="")), "rejected:1"),
    Case("id-integer", page(repo("x", full_name=42)), "ok"),
    Case("mixed-good-and-bad-ids", page(repo("good"), {"slug": "bad"}, repo("also", full_name=None)), "rejected:2",
         check=lambda lines, rows: payload_of("good")(lines, rows)),
    Case("records-not-objects", page(1, "two", None, [3]), "rejected:4"),
    # bodies that are not the expected JSON
    Case("not-json-200", b"this is not json", "error:BAD_PAYLOAD", content_type="text/plain"),
    Case("html-login-page-200", b"<html><head><title>Log in</title></head><body>SSO</body></html>",
         "error:BAD_PAYLOAD", content_type="text/html"),
    Case("html-error-page-500", b"<html><body><h1>500 Internal Server Error</h1></body></html>",
         "error:SERVER_ERROR", status=500, content_type="text/html"),
    Case("empty-body-200", b"", "error:BAD_PAYLOAD"),
    Case("truncated-json-200", b'{"values": [{"full_name": "demo', "error:BAD_PAYLOAD"),
    Case("nan-constant", b'{"values":[{"full_name":"demo-ws/n","x":NaN}]}', "error:BAD_PAYLOAD"),
    Case("top-level-list", orjson.dumps([repo("l")]), "error:BAD_PAYLOAD"),
    Case("values-not-a-list", orjson.dumps({"values": repo("v")}), "error:BAD_PAYLOAD"),
    Case("values-missing", orjson.dumps({"size": 0}), "error:BAD_PAYLOAD"),
    Case("bad-gzip-encoding", page(repo("g")), "error:NETWORK", headers={"Content-Encoding": "gzip"}),
    # pagination that never ends
    Case("next-link-to-itself-empty", looping("self-empty"), "error:BAD_PAYLOAD"),
    Case("next-link-to-itself-same-records", looping("self-same"), "error:BAD_PAYLOAD"),
    Case("next-links-ping-pong", looping("ping-pong"), "error:BAD_PAYLOAD"),
    Case("next-links-onwards-same-records", looping("onwards-same"), "error:BAD_PAYLOAD"),
    Case("next-links-onwards-empty-pages", looping("onwards-empty"), "error:BAD_PAYLOAD"),
    Case("jira-next-page-token-loops", search_loop, "error:BAD_PAYLOAD", source="jira", path=SEARCH, streams="issues"),
    # other sources' shapes
    Case("jira-issue-without-id", orjson.dumps({"issues": [{"key": "DPL-1", "fields": {}}], "isLast": True}),
         "rejected:3", source="jira", path=SEARCH, streams="issues"),  # the fake answers each of 3 projects' searches
    Case("jenkins-jobs-not-objects", orjson.dumps({"jobs": [1, "two", None]}), "rejected:3", source="jenkins",
         path="/api/json", streams="jobs"),
    Case("jenkins-job-without-name", orjson.dumps({"jobs": [{"_class": "hudson.model.FreeStyleProject"}]}),
         "rejected:1", source="jenkins", path="/api/json", streams="jobs"),
]  # fmt: skip


def serve(case: Case):
    def respond(request):
        if callable(case.body):
            return case.body(request, request.base_url)
        return Response(case.status, case.body, dict(case.headers), case.content_type)

    return respond


# Cases of a known, not yet fixed bug: {case name: reason}. Marked xfail(strict): the test fails once
# the bug is fixed, so that the entry is removed.
KNOWN_BUGS: dict[str, str] = {}


def params():
    for case in CASES:
        bug = KNOWN_BUGS.get(case.name)
        yield pytest.param(case, id=case.name, marks=[pytest.mark.xfail(strict=True, reason=bug)] if bug else [])


@pytest.mark.parametrize("case", list(params()))
def test_bad_payload(lab, canary_env, tmp_path, monkeypatch, capsys, case):
    source = case.source
    shutil.copytree(lab.reference(source, "full0").bronze, tmp_path / "bronze")
    before_manifest = support.manifest_rows(tmp_path / "bronze", source)
    before_cursors = support.cursor_rows(tmp_path / "bronze", source)
    server = lab.server(source, fresh=True)
    support.override(server, case.path, handler=serve(case))
    canary_env(source)
    monkeypatch.setenv(
        "DPL_CONFIG_DIR", str(support.config_copy(tmp_path, http=support.FAST_HTTP | {"max_attempts": 2}))
    )

    code = main(["sync", source, "--streams", case.streams])
    out = support.captured(capsys)

    assert "Traceback" not in out, out
    if case.expect.startswith("error:"):
        assert code == 1, out
        support.assert_one_classified_line(out, case.expect.split(":")[1])
        assert support.runs_rows(tmp_path / "bronze", source)[-1]["error_class"] == case.expect.split(":")[1]
    else:
        assert code == 0 and not support.error_lines(out), out
    after = support.manifest_rows(tmp_path / "bronze", source)
    assert after[: len(before_manifest)] == before_manifest  # earlier data untouched
    report = verify(tmp_path / "bronze")
    assert not report.corrupt and report.orphans == [], report
    new_rows = after[len(before_manifest) :]
    rejected = sum(r["rows"] for r in new_rows if r["stream"] == "_rejected")
    assert rejected == (int(case.expect.split(":")[1]) if case.expect.startswith("rejected:") else 0)
    if rejected:
        lines = [e for e in support.envelopes(tmp_path / "bronze", source) if e["__stream"] == "_rejected"]
        assert all(e["__parent"]["reason"].startswith("record without a usable id") for e in lines)
    for row in before_cursors:  # no cursor moved backwards
        now = {(r["stream"], r["scope"]): r["cursor_value"] for r in support.cursor_rows(tmp_path / "bronze", source)}
        value = now[(row["stream"], row["scope"])]
        assert value == row["cursor_value"] or cursor_after(value, row["cursor_value"])
    if case.check:
        paths = {r["path"] for r in new_rows}
        lines = [e for e in support.envelopes(tmp_path / "bronze", source) if any(e["__run_id"] in p for p in paths)]
        assert case.check(lines, new_rows) is not False
    FIGURES["bad_inputs_tried"] += 1
