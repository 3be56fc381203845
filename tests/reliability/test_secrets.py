"""Secrets: one canary token is every credential (JIRA_API_TOKEN, BITBUCKET_APP_PASSWORD, BITBUCKET_TOKEN,
JENKINS_TOKEN, DPL_SLACK_WEBHOOK_URL's path, DPL_SMTP_PASSWORD) and the simulators accept only it. After
a full sync-all, failing runs and every command that prints or writes something, the canary — plain,
URL-quoted or inside a Basic-auth header — is in no stdout/stderr, log, alert, e-mail, bronze file
(decompressed), parquet ledger, warehouse table, report or exception text.

Every other test of this suite runs with the same canary credentials, and the autouse fixture in
conftest.py scans its outputs, alerts and files the same way after each test.
"""

from __future__ import annotations

import base64
import logging
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from pipelines.cli import main
from pipelines.dlt.pipelines import run_source
from pipelines.settings import load_settings
from tests.reliability import support
from tests.reliability.support import CANARY, FIGURES

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def test_the_scanner_finds_the_canary_in_every_kind_of_file(tmp_path_factory):
    """The 0 hits below mean something: each place the canary could hide is read."""
    tmp_path = tmp_path_factory.mktemp("planted")  # not this test's tmp_path: that one is scanned for leaks
    basic = base64.b64encode(f"sim-user:{CANARY}".encode()).decode()
    (tmp_path / "a.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(f'{{"x": "{CANARY}"}}\n'.encode()))
    pq.write_table(pa.table({"x": [f"Basic {basic}"]}), tmp_path / "runs.parquet", compression="zstd")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create table t as select repeat('x', 5000) || ? as v", [CANARY])
    con.close()
    (tmp_path / "report.html").write_text(f"<p>{CANARY.replace('-', '%2D')}</p>")  # not a form we look for
    hits = support.scan_tree(tmp_path)
    assert len(hits) == 3 and not any("report.html" in h for h in hits), hits
    assert support.canary_hits(f"token={CANARY}") == [CANARY]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


@pytest.fixture
def mailbox():
    box = Mailbox()
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    def authenticate(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.password == CANARY.encode(), auth_data=auth_data.login)

    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=support.free_port(),
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def test_no_canary_after_sync_all_failures_and_every_command(lab, tmp_path, webhook, mailbox, capsys, monkeypatch):
    # two attempts keep the failing runs short; a read timeout a loaded machine cannot miss keeps the first run whole
    config = support.config_copy(tmp_path, http=support.FAST_HTTP | {"max_attempts": 2, "read_timeout_s": 10})
    (config / "alerts.yaml").write_text(
        f"email: {{host: 127.0.0.1, port: {mailbox.port}, security: none, username: dpl, to: [ops@example.com]}}\n"
    )
    for source in support.SOURCES:
        lab.server(source)
    env = lab.run_env(support.SOURCES, tmp_path, config)
    sent = len(webhook.received)

    done = support.run_cli(["sync-all", "--full"], env)
    assert done.returncode == 0, done.stdout + done.stderr
    for source in support.SOURCES:
        assert support.runs_rows(tmp_path / "bronze", source)[-1]["status"] == "success"

    # failing runs: a wrong user (401), an API echoing the credentials it got, a vanished host
    failing = [
        ({**env, "JENKINS_USERNAME": "someone-else"}, ["sync", "jenkins"]),
        ({**env, "JIRA_BASE_URL": "https://no-such-host.invalid"}, ["sync", "jira"]),
        ({**env, "BITBUCKET_USERNAME": "nobody"}, ["sync", "bitbucket"]),
    ]
    echo = base64.b64encode(f"sim-user:{CANARY}".encode()).decode()
    support.override(
        lab.server("jenkins", fresh=True),
        r"/api/json",
        401,
        {"message": f"Invalid credentials: Authorization: Basic {echo} (token {CANARY})"},
    )
    failing.append((env, ["sync", "jenkins"]))
    for failing_env, args in failing:
        failed = support.run_driver(args, failing_env)  # a forked, fresh process: nothing registered before
        assert failed.returncode == 1 and support.error_lines(failed.stdout + failed.stderr), failed.stderr
    assert len(webhook.received) > sent and mailbox.messages  # the failures were alerted, both channels

    lab.server("jenkins", fresh=True)
    commands = [
        ["check"],
        ["silver"],
        ["anomalies"],
        ["stats"],
        ["show-runs"],
        ["show-cursors"],
        ["show-manifest"],
        ["verify"],
        ["units"],
        ["report", "--out", str(tmp_path / "report.html")],
    ]
    assert support.run_driver(commands.pop(1), env).returncode == 0  # silver, before what reads it
    with ThreadPoolExecutor(2) as pool:
        for command, done in zip(commands, pool.map(lambda c: support.run_driver(c, env), commands), strict=True):
            assert done.returncode in (0, 1), (command, done.stderr)
    assert (tmp_path / "report.html").exists()

    # exception text of a failing in-process run
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("JENKINS_USERNAME", "someone-else")
    result = run_source(load_settings(), "jenkins")
    assert result.error is not None
    support.OUTPUTS += [str(result.error), repr(result.error), result.error.message, str(result.audit_row())]
    assert main(["sync", "jira", "--streams", "nope"]) == 2
    support.captured(capsys)

    support.OUTPUTS += [str(body) for _, body in webhook.received] + mailbox.messages
    texts = list(support.OUTPUTS)
    logs = [p.read_text() for p in (tmp_path / "logs" / "jenkins").glob("*.log")]  # the run logs: scanned below
    assert any("Invalid credentials: Authorization: Basic ***" in text for text in logs), logs
    hits = [h for text in texts for h in support.canary_hits(text)] + support.scan_tree(tmp_path)
    FIGURES["canary_scanned_outputs"] += len(texts)
    assert hits == [], hits
