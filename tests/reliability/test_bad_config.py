"""Bad configuration and missing secrets: one `[CONFIG]` line naming the file (or variable) and the key,
exit code 2, no traceback, and bronze untouched (the run never starts)."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from pipelines.cli import main
from tests.reliability import support
from tests.reliability.support import FIGURES


@dataclasses.dataclass
class Case:
    name: str
    file: str | None  # config file written (whole) with `content`, or None
    content: bytes | str | None = None
    expect: tuple[str, ...] = ()  # substrings of the error line
    env: dict = dataclasses.field(default_factory=dict)  # variables set ("" = removed)
    source: str = "jenkins"
    code: int = 2


CASES = [
    # YAML that does not parse
    Case("yaml-tab-indent", "sources.yaml", "http:\n\tmax_attempts: 3\n", ("sources.yaml:2", "invalid YAML")),
    Case("yaml-unclosed-flow", "sources.yaml", "http: {max_attempts: 3\n", ("sources.yaml", "invalid YAML")),
    Case("yaml-undefined-alias", "time.yaml", "safety_window_minutes: *nope\n", ("time.yaml:1", "invalid YAML")),
    Case("yaml-not-a-mapping", "sources.yaml", "- http\n- bronze\n",
         ("sources.yaml", "(top level)", "expected object")),
    Case("not-utf8", "sources.yaml", b"http:\n  max_attempts: \xff\xfe\n", ("sources.yaml", "cannot be read")),
    Case("directory-not-file", "identity.yaml", None, ("identity.yaml", "cannot be read")),
    # unknown keys
    Case("unknown-top-key", "sources.yaml", "htpp:\n  max_attempts: 3\n", ("sources.yaml", "unknown key 'htpp'")),
    Case("unknown-http-key", "sources.yaml", "http:\n  max_atempts: 3\n", ("http", "unknown key 'max_atempts'")),
    Case("unknown-stream", "sources.yaml", "jenkins:\n  streams:\n    buildz: {enabled: true}\n",
         ("jenkins.streams", "unknown key 'buildz'")),
    Case("unknown-stream-key", "sources.yaml", "jenkins:\n  streams:\n    builds: {mod: FULL}\n",
         ("jenkins.streams.builds", "unknown key 'mod'")),
    Case("unknown-alerts-key", "alerts.yaml", "notfy_on: [failed]\n", ("alerts.yaml", "unknown key 'notfy_on'")),
    # wrong types and ranges
    Case("int-as-word", "sources.yaml", "http:\n  max_attempts: six\n", ("http.max_attempts", "expected integer")),
    Case("negative-timeout", "sources.yaml", "http:\n  read_timeout_s: -1\n", ("http.read_timeout_s",)),
    Case("bool-as-string", "sources.yaml", "jenkins:\n  enabled: 'yes'\n", ("jenkins.enabled", "expected boolean")),
    Case("list-as-string", "sources.yaml", "jenkins:\n  include: '*'\n", ("jenkins.include", "expected array")),
    Case("bad-enum", "sources.yaml", "jenkins:\n  streams:\n    builds: {mode: SOMETIMES}\n",
         ("jenkins.streams.builds.mode", "FULL, INCREMENTAL")),
    Case("zstd-level-out-of-range", "sources.yaml", "bronze:\n  zstd_level: 99\n", ("bronze.zstd_level",)),
    Case("negative-window", "time.yaml", "safety_window_minutes: -5\n", ("time.yaml", "safety_window_minutes")),
    Case("port-out-of-range", "alerts.yaml", "email: {port: 70000}\n", ("alerts.yaml", "email.port")),
    Case("person-without-name", "identity.yaml", "people: [{emails: [a@example.com]}]\n",
         ("identity.yaml", "people.0", "'name' is required")),
    # bad patterns
    Case("bad-project-key", "sources.yaml", "jira:\n  projects: [lower-case]\n",
         ("jira.projects.0", "does not match")),
    Case("bad-schedule", "sources.yaml", "jenkins:\n  streams:\n    builds: {schedule: every day}\n",
         ("jenkins.streams.builds.schedule", "does not match")),
    Case("bad-regex", "ai_policy.yaml", "denied_columns: ['(unclosed']\n",
         ("ai_policy.yaml", "denied_columns.0", "not a valid regular expression")),
    Case("bad-timezone", "time.yaml", "report_timezone: Mars/Olympus\n", ("time.yaml", "report_timezone")),
    Case("bad-alias", "identity.yaml", "jira_key_aliases: {OLD: new-key}\n", ("identity.yaml", "jira_key_aliases.OLD")),
    Case("bad-jql", "sources.yaml", "jira:\n  streams:\n    issues: {jql: 'project = = X'}\n", ("jql", "400"),
         source="jira"),
    # paths and secrets
    Case("config-dir-missing", None, env={"DPL_CONFIG_DIR": "/nonexistent/config"}, expect=("DPL_CONFIG_DIR",)),
    Case("missing-token", None, env={"JENKINS_TOKEN": ""}, expect=("JENKINS_TOKEN", "not set")),
    Case("blank-token", None, env={"JENKINS_TOKEN": "   "}, expect=("JENKINS_TOKEN", "not set")),
    Case("missing-user", None, env={"JENKINS_USERNAME": ""}, expect=("JENKINS_USERNAME", "not set")),
    Case("missing-base-url", None, env={"JENKINS_BASE_URL": ""}, expect=("JENKINS_BASE_URL", "not set")),
    Case("missing-jira-token", None, env={"JIRA_API_TOKEN": ""}, expect=("JIRA_API_TOKEN", "not set"), source="jira"),
    Case("missing-bitbucket-secrets", None, env={"BITBUCKET_APP_PASSWORD": "", "BITBUCKET_TOKEN": ""},
         expect=("BITBUCKET_APP_PASSWORD", "BITBUCKET_TOKEN", "not set"), source="bitbucket"),
    Case("missing-bitbucket-user", None, env={"BITBUCKET_USERNAME": ""}, expect=("BITBUCKET_USERNAME", "not set"),
         source="bitbucket"),
    # control: an empty file means defaults
    Case("empty-file-is-defaults", "sources.yaml", "", code=0),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_config(lab, canary_env, tmp_path, monkeypatch, capsys, case):
    source = case.source
    shutil.copytree(lab.reference(source, "full0").bronze, tmp_path / "bronze")
    before = {kind: support.rows(tmp_path / "bronze", source, kind) for kind in ("manifest", "cursors", "runs")}
    lab.server(source)
    canary_env(source)
    config = support.config_copy(tmp_path, http=support.FAST_HTTP)
    monkeypatch.setenv("DPL_CONFIG_DIR", str(config))
    if case.file and case.content is None:
        (config / case.file).unlink()
        (config / case.file).mkdir()
    elif case.file:
        data = case.content if isinstance(case.content, bytes) else case.content.encode()
        (config / case.file).write_bytes(data)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value) if value else monkeypatch.delenv(key, raising=False)

    code = main(["sync", source])
    out = support.captured(capsys)

    assert code == case.code, out
    assert "Traceback" not in out
    after = {kind: support.rows(tmp_path / "bronze", source, kind) for kind in ("manifest", "cursors", "runs")}
    if case.code == 0:
        assert not support.error_lines(out)
        return
    line = support.assert_one_classified_line(out, "CONFIG")
    for expected in case.expect:
        assert expected in line, line
    assert after["manifest"][: len(before["manifest"])] == before["manifest"]
    assert after["cursors"] == before["cursors"]
    if case.name != "bad-jql":  # found at load time: the run never started
        assert after == before
    FIGURES["bad_inputs_tried"] += 1
