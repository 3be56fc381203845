"""Permanent faults: 401, 403, 404 (vanished project/repo/job, wrong base URL), 410, a suspended site,
DNS failure, a refused connection. Each gives one classified line with advice; where the run cannot
proceed, a non-zero exit, an audit row, untouched cursors and no partial file counted; where it can
(one project, repository or job), a recorded gap, a `partial` run and exit code 4 (PARTIAL).
"""

from __future__ import annotations

import shutil

import orjson
import pytest

from pipelines.bronze.verify import verify
from pipelines.cli import main
from pipelines.errors import PARTIAL_EXIT
from tests.reliability import support
from tests.reliability.support import FIGURES

TOKEN_VAR = {"jira": "JIRA_API_TOKEN", "bitbucket": "BITBUCKET_APP_PASSWORD", "jenkins": "JENKINS_TOKEN"}
URL_VAR = {"jira": "JIRA_BASE_URL", "bitbucket": "BITBUCKET_BASE_URL", "jenkins": "JENKINS_BASE_URL"}
SEARCH = "/rest/api/3/search/jql"


def setup_failure(case: str, source: str, server, monkeypatch) -> None:
    if case == "401":
        monkeypatch.setenv(TOKEN_VAR[source], "wrong-token-1234")
    elif case == "403":
        support.override(server, r"/.*", 403, {"message": "You may not access this resource"})
    elif case == "404-base-url":
        monkeypatch.setenv(URL_VAR[source], f"{server.url}/gone" + ("/2.0" if source == "bitbucket" else ""))
    elif case == "410":
        support.override(server, SEARCH, 410, {"errorMessages": ["The requested API has been removed."]})
    elif case == "suspended":
        server.set_knobs(suspended=True)
    elif case == "dns":
        monkeypatch.setenv(URL_VAR[source], "https://no-such-host.invalid" + ("/2.0" if source == "bitbucket" else ""))
    elif case == "refused":
        monkeypatch.setenv(URL_VAR[source], f"http://127.0.0.1:{support.free_port()}")


FAILURES = [
    *[("401", s, "AUTH_FAILED") for s in support.SOURCES],
    *[("403", s, "FORBIDDEN") for s in support.SOURCES],
    *[("404-base-url", s, "NOT_FOUND") for s in support.SOURCES],
    ("410", "jira", "NOT_FOUND"),
    *[("suspended", s, "SUSPENDED") for s in support.SOURCES],
    *[("dns", s, "NETWORK") for s in support.SOURCES],
    ("refused", "jenkins", "NETWORK"),
]


def baseline(lab, source: str, tmp_path) -> tuple[list, list]:
    """A clean full sync's bronze in this test's bronze dir; (cursor rows, manifest rows) before the run."""
    shutil.copytree(lab.reference(source, "full0").bronze, tmp_path / "bronze")
    return support.cursor_rows(tmp_path / "bronze", source), support.manifest_rows(tmp_path / "bronze", source)


@pytest.mark.parametrize(("case", "source", "error_class"), FAILURES, ids=[f"{c}-{s}" for c, s, _ in FAILURES])
def test_permanent_fault_fails_cleanly(lab, canary_env, tmp_path, monkeypatch, capsys, case, source, error_class):
    cursors, manifest = baseline(lab, source, tmp_path)
    server = lab.server(source, fresh=True)
    canary_env(source)
    monkeypatch.setenv(
        "DPL_CONFIG_DIR", str(support.config_copy(tmp_path, http=support.FAST_HTTP | {"max_attempts": 3}))
    )
    setup_failure(case, source, server, monkeypatch)
    code = main(["sync", source])
    out = support.captured(capsys)
    assert code == 1, out
    line = support.assert_one_classified_line(out, error_class)
    if case == "410":
        assert "removed" in line and "upgrade" in line
    if case == "dns":
        assert "cannot resolve host no-such-host.invalid" in line
    audit = support.runs_rows(tmp_path / "bronze", source)[-1]
    assert audit["status"] == "failed" and audit["error_class"] == error_class
    assert support.cursor_rows(tmp_path / "bronze", source) == cursors
    report = verify(tmp_path / "bronze")
    assert not report.corrupt and report.orphans == []
    assert support.manifest_rows(tmp_path / "bronze", source)[: len(manifest)] == manifest
    FIGURES["permanent_faults_classified"] += 1


GAPS = [
    # (case, source, error class, stream/scope of the gap, how)
    ("403-one-project", "jira", "FORBIDDEN", "issues/OPS"),
    ("404-configured-project", "jira", "NOT_FOUND", "issues/NOPE"),
    ("404-vanished-repository", "bitbucket", "NOT_FOUND", "pull_requests/demo-ws/api-service"),
    ("404-vanished-job", "jenkins", "NOT_FOUND", "builds/deploy-prod"),
    ("403-forbidden-job", "jenkins", "FORBIDDEN", "builds/deploy-prod"),
]


def setup_gap(case: str, server, monkeypatch, tmp_path) -> None:
    if case == "403-one-project":
        support.override(
            server, SEARCH, 403, {"errorMessages": ["no permission"]}, when=lambda r: '"OPS"' in r.arg("jql", "")
        )
    elif case == "404-configured-project":
        config = support.config_copy(tmp_path, http=support.FAST_HTTP, jira={"projects": ["DPL", "OPS", "NOPE"]})
        monkeypatch.setenv("DPL_CONFIG_DIR", str(config))
    elif case == "404-vanished-repository":
        support.override(
            server, r"/2.0/repositories/demo-ws/api-service/pullrequests", 404, {"error": {"message": "gone"}}
        )
    elif case.endswith("-job"):
        support.override(server, r"/job/deploy-prod/api/json", int(case[:3]), b"<html><body>Not here</body></html>")


@pytest.mark.parametrize(("case", "source", "error_class", "gap"), GAPS, ids=[g[0] for g in GAPS])
def test_a_vanished_or_forbidden_part_is_a_gap_and_the_run_goes_on(
    lab, canary_env, tmp_path, monkeypatch, capsys, webhook, case, source, error_class, gap
):
    cursors, _ = baseline(lab, source, tmp_path)
    server = lab.server(source, support.ADVANCE_STEPS, fresh=True)  # with new builds, PRs, issues
    canary_env(source)
    monkeypatch.setenv("DPL_CONFIG_DIR", str(support.config_copy(tmp_path, http=support.FAST_HTTP)))
    setup_gap(case, server, monkeypatch, tmp_path)
    received = len(webhook.received)
    code = main(["sync", source])
    out = support.captured(capsys)
    assert code == PARTIAL_EXIT and "Traceback" not in out and not support.error_lines(out), out
    stream, scope = gap.split("/", 1)
    assert f"gap: {gap}: [{error_class}]" in out, out
    audit = support.runs_rows(tmp_path / "bronze", source)[-1]
    assert audit["status"] == "partial"
    assert {(g["stream"], g["scope"], g["error_class"]) for g in orjson.loads(audit["gaps"])} >= {
        (stream, scope, error_class)
    }
    before = {(r["stream"], r["scope"]): r for r in cursors}
    after = {(r["stream"], r["scope"]): r for r in support.cursor_rows(tmp_path / "bronze", source)}
    assert after.get((stream, scope)) == before.get((stream, scope))  # the gap's cursor did not move
    assert not verify(tmp_path / "bronze").corrupt
    assert len(webhook.received) > received  # partial runs alert (alerts.yaml notify_on)
    FIGURES["permanent_faults_classified"] += 1
