"""Alerts on failed, partial and repeatedly failing runs, through a Slack-compatible webhook and SMTP e-mail.

Config: config/alerts.yaml (`ALERTS_SCHEMA`, `ALERTS_DEFAULTS`); secrets from the environment:
`DPL_SLACK_WEBHOOK_URL`, `DPL_SMTP_PASSWORD`. This package stays import-light (pipelines.config
imports its schema): the sending code is loaded on first use.
"""

from __future__ import annotations

import logging

from pipelines.alerts.schema import ALERTS_DEFAULTS, ALERTS_SCHEMA, alerts_config

__all__ = ["ALERTS_DEFAULTS", "ALERTS_SCHEMA", "alerts_config", "notify_failure", "notify_run"]


def notify_run(settings, result, env=None) -> list[str]:
    """Alert on a failed/partial run, a repeated failure class or a recovery; never raises (see notify.py)."""
    try:
        from pipelines.alerts.notify import notify_run as notify
    except Exception as exc:  # never let alerting break a sync
        logging.getLogger("pipelines.alerts").warning("alerts: unavailable (%s)", type(exc).__name__)
        return []
    return notify(settings, result, env)


def notify_failure(settings, source: str, error_class: str, message: str, env=None) -> list[str]:
    """Alert on a sync that stopped before recording a run; never raises (see notify.py)."""
    try:
        from pipelines.alerts.notify import notify_failure as notify
    except Exception as exc:
        logging.getLogger("pipelines.alerts").warning("alerts: unavailable (%s)", type(exc).__name__)
        return []
    return notify(settings, source, error_class, message, env)
