"""Alerts: webhook and SMTP on loopback, message content, no secret anywhere, repeats, failing channels."""

import dataclasses
import datetime as dt
import json
import logging
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from pipelines.alerts import AlertsSettings, notify_failure, notify_run
from pipelines.config import build
from pipelines.dlt.streams import Gap
from pipelines.settings import load_settings
from tests.ops.ledgers import T0, add_run, result
from tests.ops.servers import Webhook, free_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
SLACK_CANARY = "CANARYslack7f3a9"
SMTP_CANARY = "CANARYsmtp-5e1b2c"
HOUR = dt.timedelta(hours=1)


class Mailbox:
    async def handle_DATA(self, server, session, envelope):
        self.messages.append((session.authenticated, envelope.content.decode()))
        return "250 OK"

    def __init__(self):
        self.messages = []


@pytest.fixture
def webhook():
    server = Webhook()
    yield server
    server.close()


@pytest.fixture
def mailbox():
    box = Mailbox()
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"dpl" and auth_data.password == SMTP_CANARY.encode()
        return AuthResult(success=ok, auth_data=auth_data.login)

    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


@pytest.fixture
def settings(monkeypatch, webhook, mailbox):
    monkeypatch.setenv("DPL_SLACK_WEBHOOK_URL", f"http://127.0.0.1:{webhook.port}/services/T0/B0/{SLACK_CANARY}")
    monkeypatch.setenv("DPL_SMTP_PASSWORD", SMTP_CANARY)
    settings = load_settings()  # registers the secrets for redaction
    return settings.replace(alerts=alerts_config(mailbox.port))


def alerts_config(port: int, **overrides) -> AlertsSettings:
    email = {"host": "127.0.0.1", "port": port, "security": "none", "username": "dpl", "to": ["ops@example.com"]}
    return build(AlertsSettings, {"email": email, **overrides})


def everything_written(root: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in root.rglob("*") if p.is_file())


def test_failed_run_alerts_both_channels_without_any_secret(settings, webhook, mailbox, caplog):
    caplog.set_level(logging.INFO)
    url = f"http://127.0.0.1:{webhook.port}/services/T0/B0/{SLACK_CANARY}"
    message = f"401 from GET /rest/api/3/myself (token {SMTP_CANARY} rejected, hook {url})"
    run = add_run(settings.bronze_dir, result("jira", T0, "failed", error=("AUTH_FAILED", message)))
    assert notify_run(settings, run) == ["slack", "email"]
    ((path, body),) = webhook.received
    assert path.endswith(SLACK_CANARY)  # it was really sent to the secret URL ...
    text = body["text"]
    for needle in ("jira", "AUTH_FAILED", run.run_id, "advice: check the source's user/e-mail and API token"):
        assert needle in text
    ((authenticated, mail),) = mailbox.messages
    assert authenticated
    assert "Subject: [DPL] jira: run FAILED [AUTH_FAILED]" in mail and run.run_id in mail
    # ... and no secret is in any message, log line or state file
    for blob in (json.dumps(body), mail, caplog.text, everything_written(settings.bronze_dir.local_path())):
        assert SLACK_CANARY not in blob and SMTP_CANARY not in blob


def test_partial_run_lists_its_gaps(settings, webhook):
    gaps = [Gap("issues", f"P{i}", "FORBIDDEN", "403 on project") for i in range(7)]
    run = add_run(settings.bronze_dir, result("jira", T0, "partial", counts={"issues": 5}, gaps=gaps))
    assert "slack" in notify_run(settings, run)
    text = webhook.received[0][1]["text"]
    assert "PARTIAL" in text and "gaps: 7" in text and "issues/P0: [FORBIDDEN]" in text and "2 more" in text


def test_success_sends_nothing_and_recovery_is_announced(settings, webhook):
    assert notify_run(settings, add_run(settings.bronze_dir, result("jira", T0))) == []
    add_run(settings.bronze_dir, result("jira", T0 + HOUR, "failed", error=("NETWORK", "reset"), n=1))
    assert webhook.received == []  # not notified: we only appended; now the recovery
    sent = notify_run(settings, add_run(settings.bronze_dir, result("jira", T0 + 2 * HOUR, n=2)))
    assert sent == ["slack", "email"]
    assert "succeeded again" in webhook.received[-1][1]["text"]
    assert "after 1 failed run(s) (NETWORK)" in webhook.received[-1][1]["text"]


def test_the_same_class_repeating_n_times_says_so_and_backs_off(settings, webhook):
    settings = settings.replace(alerts=dataclasses.replace(settings.alerts, notify_on=()))  # only the repeats
    texts = []
    for i in range(7):
        run = add_run(settings.bronze_dir, result("jira", T0 + i * HOUR, "failed", error=("SERVER_ERROR", "503"), n=i))
        before = len(webhook.received)
        notify_run(settings, run)
        texts.append(webhook.received[-1][1]["text"] if len(webhook.received) > before else None)
    assert [t is not None for t in texts] == [False, False, True, False, False, True, False]
    assert "FAILED [SERVER_ERROR] 3 times in a row" in texts[2]
    assert "3 failed runs in a row with SERVER_ERROR; schedules back off ×4" in texts[2]
    assert "6 times in a row" in texts[5] and "×32" in texts[5]


def test_a_failing_channel_logs_one_warning_and_never_raises(settings, mailbox, caplog, monkeypatch):
    broken = Webhook(status=500)
    monkeypatch.setenv("DPL_SLACK_WEBHOOK_URL", f"http://127.0.0.1:{broken.port}/services/T0/B0/{SLACK_CANARY}")
    email = dataclasses.replace(settings.alerts.email, port=free_port())  # nobody listens there
    settings = settings.replace(alerts=dataclasses.replace(settings.alerts, email=email))
    run = add_run(settings.bronze_dir, result("jira", T0, "failed", error=("NETWORK", "timeout")))
    caplog.set_level(logging.INFO)
    try:
        assert notify_run(settings, run) == []
    finally:
        broken.close()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "slack: not delivered: webhook answered HTTP 500" in warnings[0].getMessage()
    assert "email: not delivered" in warnings[1].getMessage()
    assert SLACK_CANARY not in caplog.text and SMTP_CANARY not in caplog.text

    # unreachable webhook: the error text of the HTTP library would name the path; it is not logged
    monkeypatch.setenv("DPL_SLACK_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/services/T0/B0/{SLACK_CANARY}")
    caplog.clear()
    assert notify_run(settings, run) == []
    assert "webhook unreachable (ConnectionError)" in caplog.text and SLACK_CANARY not in caplog.text


def test_notify_run_never_raises_even_on_garbage(settings, caplog):
    caplog.set_level(logging.WARNING)
    assert notify_run(settings, object()) == []
    assert len(caplog.records) == 1 and "no alert sent" in caplog.text


def test_no_channel_configured_is_quiet(monkeypatch, caplog):
    monkeypatch.delenv("DPL_SLACK_WEBHOOK_URL", raising=False)
    settings = load_settings()  # config/alerts.yaml defaults: no webhook, no recipients
    run = add_run(settings.bronze_dir, result("jira", T0, "failed", error=("NETWORK", "timeout")))
    caplog.set_level(logging.INFO)
    assert notify_run(settings, run) == []
    assert "no channel configured" in caplog.text and not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_sync_that_recorded_no_run_is_alerted(settings, webhook):
    assert notify_failure(settings, "jenkins", "CONFIG", f"JENKINS_TOKEN is not set {SMTP_CANARY}") == [
        "slack",
        "email",
    ]
    text = webhook.received[0][1]["text"]
    assert "jenkins: sync FAILED [CONFIG]" in text and "fix the named file/key" in text and SMTP_CANARY not in text
