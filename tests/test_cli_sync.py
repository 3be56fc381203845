"""The CLI end to end on the simulators: sync, summaries, ledgers, 429/503 survival, errors, sync-all."""

import pytest

from pipelines.bronze.ledger import read_cursors
from pipelines.bronze.verify import verify
from pipelines.cli import main
from tests.helpers import bronze_records, manifest, runs


def sync(capsys, *args) -> tuple[int, str]:
    code = main(["sync", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_jira_full_then_incremental(start_sim, sim_env, capsys, tmp_path):
    server = start_sim("jira", scale={"issues": 120})
    sim_env("jira", server)
    code, out = sync(capsys, "jira", "--full")
    assert code == 0, out
    assert "jira: SUCCESS" in out and "API calls" in out
    bronze = tmp_path / "bronze"
    issues = bronze_records(bronze, "jira", "issues")
    assert len({line["__id"] for line in issues}) == len(issues) > 0
    cursors = read_cursors(bronze, "jira")
    assert any(stream == "issues" for stream, _ in cursors)
    assert not verify(bronze).corrupt and verify(bronze).orphans == []

    server.world.advance(2)
    server.reset_log()
    code, out = sync(capsys, "jira")
    assert code == 0, out
    assert all(r["path"] != "/rest/api/3/search" for r in server.requests())
    audit = runs(bronze, "jira")
    assert [r["mode"] for r in audit] == ["full", "incremental"]
    assert audit[-1]["api_calls"] == len(server.requests())


def test_jira_survives_429_with_retry_after_and_503(start_sim, sim_env, capsys, tmp_path, monkeypatch):
    server = start_sim("jira", scale={"issues": 60}, retry_after_s=0)  # Retry-After: 0 must wait ≥ 1 s
    sim_env("jira", server)
    monkeypatch.setenv("DPL_CONFIG_DIR", str(fast_retry_config(tmp_path)))
    server.set_knobs(fault_rate=0.4, fault_kinds=("429", "503"), fault_seed=2)
    code, out = sync(capsys, "jira", "--full", "--streams", "projects,issues,fields,statuses,priorities")
    assert code == 0, out
    (audit,) = runs(tmp_path / "bronze", "jira")
    statuses = [r["status"] for r in server.requests()]
    assert 429 in statuses and 503 in statuses
    assert audit["retries"] >= statuses.count(429) + statuses.count(503)
    assert audit["rate_limit_waits_s"] >= statuses.count(429)  # Retry-After honoured
    assert audit["status"] == "success"


def fast_retry_config(tmp_path):
    import shutil

    from tests.conftest import REPO

    config = tmp_path / "config"
    shutil.copytree(REPO / "config", config)
    text = (config / "sources.yaml").read_text().replace("backoff_base_s: 1 ", "backoff_base_s: 0.01 ")
    (config / "sources.yaml").write_text(text.replace("max_attempts: 6 ", "max_attempts: 20 "))
    return config


def test_bad_token_is_one_classified_line_and_an_audit_row(start_sim, sim_env, capsys, tmp_path, monkeypatch):
    server = start_sim("jira", scale={"issues": 10})
    sim_env("jira", server)
    monkeypatch.setenv("JIRA_API_TOKEN", "wrong-token-123")
    code, out = sync(capsys, "jira")
    assert code == 1
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "[AUTH_FAILED]" in errors[0] and "401" in errors[0]
    assert "Traceback" not in out and "wrong-token-123" not in out
    (audit,) = runs(tmp_path / "bronze", "jira")
    assert audit["status"] == "failed" and audit["error_class"] == "AUTH_FAILED"
    assert read_cursors(tmp_path / "bronze", "jira") == {}
    assert manifest(tmp_path / "bronze", "jira") == []


def test_missing_secret_is_a_config_error(start_sim, sim_env, capsys, monkeypatch):
    server = start_sim("jira", scale={"issues": 5})
    sim_env("jira", server)
    monkeypatch.delenv("JIRA_API_TOKEN")
    code, out = sync(capsys, "jira")
    assert code == 2 and "JIRA_API_TOKEN" in out and out.count("\n") == 1


def test_unknown_source_and_stream(capsys, start_sim, sim_env):
    sim_env("jira", start_sim("jira", scale={"issues": 5}))
    code, out = sync(capsys, "gitlab")
    assert code == 2 and "SOURCE=gitlab: unknown source; expected one of: jira, bitbucket, jenkins" in out
    code, out = sync(capsys, "jira", "--streams", "isues")
    assert code == 2 and "STREAM=isues: not a stream of jira; expected one of: projects," in out


@pytest.mark.parametrize("name", ["bitbucket", "jenkins"])
def test_other_sources_sync(start_sim, sim_env, capsys, tmp_path, name):
    server = start_sim(name)
    sim_env(name, server)
    code, out = sync(capsys, name, "--full")
    assert code == 0, out
    assert f"{name}: SUCCESS" in out
    assert not verify(tmp_path / "bronze").corrupt


def test_sync_all_runs_sources_in_parallel_and_one_failure_does_not_stop_others(
    start_sim, sim_env, capsys, tmp_path, monkeypatch
):
    for name in ("jira", "bitbucket", "jenkins"):
        sim_env(name, start_sim(name, scale={"issues": 30} if name == "jira" else None))
    monkeypatch.setenv("JENKINS_TOKEN", "wrong-jenkins-token")
    code = main(["sync-all", "--full"])
    out = capsys.readouterr().out
    assert code == 1
    assert "jira ok" in out and "bitbucket ok" in out and "jenkins FAILED" in out
    assert "[jenkins] error: jenkins: [AUTH_FAILED]" in out
    assert runs(tmp_path / "bronze", "jira")[0]["status"] == "success"
    assert runs(tmp_path / "bronze", "jenkins")[0]["status"] == "failed"


def test_sync_all_skips_unconfigured_sources(start_sim, sim_env, capsys):
    sim_env("jenkins", start_sim("jenkins"))
    code = main(["sync-all"])
    out = capsys.readouterr().out
    assert code == 0
    assert "jira: skipped (JIRA_BASE_URL is not set)" in out and "jenkins ok" in out


def test_a_disabled_stream_is_refused_not_silently_skipped(start_sim, sim_env, capsys):
    sim_env("jenkins", start_sim("jenkins"))  # the shipped config has `queue: {enabled: false ...}`
    code, out = sync(capsys, "jenkins", "--streams", "queue")
    assert code == 2 and "queue disabled in sources.yaml" in out


def test_check_exits_2_on_a_missing_secret(start_sim, sim_env, capsys, monkeypatch):
    sim_env("jira", start_sim("jira", scale={"issues": 5}))
    monkeypatch.delenv("JIRA_EMAIL")
    code = main(["check"])
    out = capsys.readouterr().out
    assert code == 2 and "jira: FAILED [CONFIG]" in out and "JIRA_EMAIL" in out


def test_report_to_an_unwritable_path_is_one_storage_line(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["report", "--out", str(blocker / "report.html")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: [STORAGE] cannot write the report") and "Traceback" not in err
