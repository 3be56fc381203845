"""Alert channels: one small adapter per transport (Slack-compatible webhook, SMTP e-mail).

A channel's `send` raises `ChannelError` with a message that never holds a secret (no URL, no
password, no server reply that could echo one); the caller logs it as one warning line.
"""

from __future__ import annotations

import dataclasses
import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import urlsplit

import requests

from pipelines.alerts.settings import AlertsSettings, EmailSettings
from pipelines.secrets import redact

SLACK_URL_VAR = "DPL_SLACK_WEBHOOK_URL"
SMTP_PASSWORD_VAR = "DPL_SMTP_PASSWORD"


class ChannelError(Exception):
    """A channel could not deliver; the message is safe to log."""


@dataclasses.dataclass
class Alert:
    """One message: a subject line and body lines, already redacted."""

    source: str
    kind: str  # failed | partial | repeated | recovered
    subject: str
    lines: list[str]
    run_id: str | None = None
    error_class: str | None = None

    @property
    def text(self) -> str:
        """Subject and body as one text (webhook messages)."""
        return "\n".join([self.subject, *self.lines])


class Channel(Protocol):
    """A transport: `send` delivers one alert or raises ChannelError."""

    name: str

    def send(self, alert: Alert) -> None:
        """Deliver `alert`; raise ChannelError (with a message safe to log) when it cannot."""
        ...


class SlackWebhook:
    """POST `{"text": ...}` to a Slack (or Mattermost, Rocket.Chat, ...) incoming webhook."""

    name = "slack"

    def __init__(self, url: str, timeout_s: float = 10, username: str | None = None) -> None:
        self.url, self.timeout_s, self.username = url, timeout_s, username
        parts = urlsplit(url)
        for piece in (url, parts.path, parts.query):
            redact.add(piece)  # error texts of HTTP libraries quote the path without the host

    def send(self, alert: Alert) -> None:
        """POST the alert's text; any non-2xx answer is a ChannelError."""
        payload = {"text": redact(alert.text)}
        if self.username:
            payload["username"] = self.username
        try:
            response = requests.post(self.url, json=payload, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise ChannelError(f"webhook unreachable ({type(exc).__name__})") from None
        if response.status_code >= 300:
            raise ChannelError(f"webhook answered HTTP {response.status_code}")


class SmtpEmail:
    """Send a plain-text e-mail through an SMTP server (STARTTLS, implicit TLS or none; optional login)."""

    name = "email"

    def __init__(self, config: EmailSettings, password: str | None = None) -> None:
        self.config, self.password = config, password
        redact.add(password, config.username or None)

    def send(self, alert: Alert) -> None:
        """Send the alert as a plain-text e-mail to every configured recipient."""
        cfg = self.config
        message = EmailMessage()
        message["Subject"] = redact(f"{cfg.subject_prefix} {alert.subject}".strip())
        message["From"] = cfg.sender
        message["To"] = ", ".join(cfg.to)
        message.set_content(redact("\n".join(alert.lines)) + "\n")
        try:
            self._deliver(message)
        except (OSError, smtplib.SMTPException) as exc:
            code = getattr(exc, "smtp_code", None)
            detail = f"SMTP {code}" if code else type(exc).__name__
            raise ChannelError(f"{cfg.host}:{cfg.port} refused or unreachable ({detail})") from None

    def _deliver(self, message: EmailMessage) -> None:
        cfg = self.config
        context = ssl.create_default_context()
        if cfg.security == "ssl":
            server = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_s, context=context)
        else:
            server = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_s)
        with server:
            if cfg.security == "starttls":
                server.starttls(context=context)
            if cfg.username:
                server.login(cfg.username, self.password or "")
            server.send_message(message)


def channels_from(config: AlertsSettings, env) -> list[Channel]:
    """The channels configured in alerts.yaml whose secrets/recipients are present."""
    channels: list[Channel] = []
    url = (env.get(SLACK_URL_VAR) or "").strip()
    if config.slack.enabled and url:
        channels.append(SlackWebhook(url, config.slack.timeout_s, config.slack.username or None))
    if config.email.enabled and config.email.to:
        channels.append(SmtpEmail(config.email, env.get(SMTP_PASSWORD_VAR) or None))
    return channels
