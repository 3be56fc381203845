"""Alerts on failed, partial and repeatedly failing runs, through a Slack-compatible webhook and SMTP e-mail.

Config: config/alerts.yaml (`AlertsSettings`); secrets from the environment: `DPL_SLACK_WEBHOOK_URL`,
`DPL_SMTP_PASSWORD`. Sending never raises: a problem is one warning line (see notify.py).
"""

from __future__ import annotations

from pipelines.alerts.notify import notify_failure, notify_run
from pipelines.alerts.settings import ALERTS_SCHEMA, AlertsSettings

__all__ = ["ALERTS_SCHEMA", "AlertsSettings", "notify_failure", "notify_run"]
