"""Secrets: read only from the environment (or a gitignored .env), redacted everywhere."""

from __future__ import annotations

import base64
import logging
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

MASK = "***"
SECRET_VARS = (
    "JIRA_API_TOKEN",
    "BITBUCKET_APP_PASSWORD",
    "BITBUCKET_TOKEN",
    "JENKINS_TOKEN",
    "DPL_SLACK_WEBHOOK_URL",
    "DPL_SMTP_PASSWORD",
    # object storage (bronze on s3://, gs://, az://): the SDKs read them; we only make sure they never show
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_CONNECTION_STRING",
    "PGPASSWORD",  # a DuckLake warehouse's PostgreSQL catalog: libpq reads it, we only make sure it never shows
)
_MIN_SECRET_LEN = 4


class Redactor:
    """Replaces every registered secret (and its Basic-auth encodings) with ***."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern | None = None
        self._lock = threading.Lock()

    def add(self, value: str | None, user: str | None = None) -> None:
        if not value or len(value) < _MIN_SECRET_LEN:
            return
        forms = {value}
        if user:
            forms.add(base64.b64encode(f"{user}:{value}".encode()).decode())
        with self._lock:
            self._values |= forms
            alternatives = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))

    def __call__(self, text: object) -> str:
        text = str(text)
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern else text


redact = Redactor()


class RedactingFilter(logging.Filter):
    """Logging filter that redacts the formatted message (args included) of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def load_dotenv_file(path: Path) -> None:
    """Read KEY=VALUE lines of a .env file into os.environ (existing variables win)."""
    if not path.is_file():
        return
    from dotenv import dotenv_values

    for key, value in dotenv_values(path).items():
        if value is not None and key not in os.environ:
            os.environ[key] = value


def register_environment_secrets() -> None:
    """Register every known secret variable's value (with its user, for Basic auth forms)."""
    users = {
        "JIRA_API_TOKEN": os.environ.get("JIRA_EMAIL"),
        "BITBUCKET_APP_PASSWORD": os.environ.get("BITBUCKET_USERNAME"),
        "BITBUCKET_TOKEN": os.environ.get("BITBUCKET_USERNAME"),
        "JENKINS_TOKEN": os.environ.get("JENKINS_USERNAME"),
    }
    for var in SECRET_VARS:
        redact.add(os.environ.get(var), users.get(var))
    webhook = os.environ.get("DPL_SLACK_WEBHOOK_URL")
    if webhook:
        # HTTP errors quote the URL's path without its host: the path is the secret part.
        redact.add(urlsplit(webhook).path)
