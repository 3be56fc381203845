"""`make record`: a sanitized vcrpy cassette of a real site, for a bug report.

A full sync of one source (Jira: optionally one project) runs into a throw-away bronze folder while
vcrpy records every HTTP interaction. The cassette is then scrubbed before it is written where the
user asked: request headers that authenticate (`Authorization`, `Cookie`, tokens) are dropped by
vcrpy's filters, `Set-Cookie` and similar response headers too; account ids and e-mail addresses are
replaced everywhere (URLs, bodies, headers) by stable pseudonyms (`account-0001`,
`user0001@example.invalid`), so the cassette still replays through the source; the site's host
becomes `<source>.example.invalid` (Bitbucket's public API host is kept); any registered secret left
is masked. Bodies are otherwise kept byte for byte. The raw recording never leaves a private temp
folder, removed at the end.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote, urlsplit

import orjson
import vcr
import yaml

from pipelines.dlt.pipelines import run_source
from pipelines.dlt.streams import FULL
from pipelines.errors import ConfigError
from pipelines.secrets import SECRET_VARS, redact
from pipelines.settings import Settings
from pipelines.sources import SOURCE_NAMES

SECRET_HEADERS = ("authorization", "cookie", "proxy-authorization", "x-atlassian-token", "x-api-key", "x-auth-token")
DROPPED_RESPONSE_HEADERS = {"set-cookie", "www-authenticate", "x-aaccountid", "atl-traceid", "x-arequestid"}
ACCOUNT_KEYS = {"accountId", "authorAccountId", "account_id", "accountIds"}
EMAIL_KEYS = {"emailAddress", "email"}
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
MATCH_ON = ("method", "scheme", "host", "port", "path", "query", "body")
PUBLIC_HOSTS = {"api.bitbucket.org"}
BASE_URLS = {"jira": "JIRA_BASE_URL", "bitbucket": "BITBUCKET_BASE_URL", "jenkins": "JENKINS_BASE_URL"}


@dataclasses.dataclass
class Recording:
    """What `record` wrote: the cassette, its interactions, and how many identities were replaced."""

    path: Path
    interactions: int
    accounts: int
    emails: int
    run_status: str
    error: str | None = None


def record(
    settings: Settings, source: str, out: Path, project: str | None = None, env: Mapping[str, str] | None = None
) -> Recording:
    """Sync `source` (full) while recording its HTTP, then write the scrubbed cassette to `out`."""
    if source not in SOURCE_NAMES:
        raise ConfigError(f"unknown source {source!r}: expected one of {', '.join(SOURCE_NAMES)}")
    if project and source != "jira":
        raise ConfigError("PROJECT applies to jira only (it restricts the recording to one project key)")
    env = os.environ if env is None else env
    for var in SECRET_VARS:
        redact.add(env.get(var))
    if project:
        jira = settings.source("jira")
        restricted = dataclasses.replace(jira, options={**jira.options, "projects": [project]})
        settings = settings.replace(sources={**settings.sources, "jira": restricted})
    settings = serial(settings)
    work = Path(tempfile.mkdtemp(prefix="dpl-record-"))
    try:
        raw = work / "raw.yaml"
        recorder = vcr.VCR(record_mode="all", filter_headers=SECRET_HEADERS, decode_compressed_response=True)
        with recorder.use_cassette(str(raw), match_on=MATCH_ON):
            result = run_source(settings.replace(bronze_dir=work / "bronze"), source, mode=FULL, env=env)
        cassette = yaml.safe_load(raw.read_text(encoding="utf-8")) if raw.exists() else {"interactions": []}
        scrubber = Scrubber(source, env.get(BASE_URLS[source]) or "")
        text = scrubber.scrub(cassette)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    error = redact(result.error) if result.error else None
    counts = (len(cassette["interactions"]), len(scrubber.accounts), len(scrubber.emails))
    return Recording(out, *counts, result.status, error)


def serial(settings: Settings) -> Settings:
    """The settings with one call in flight: a cassette is recorded (and replays) in one deterministic order."""
    return settings.replace(http=dataclasses.replace(settings.http, max_concurrency=1))


class Scrubber:
    """Finds account ids and e-mail addresses in a cassette and replaces them (and the site host) everywhere."""

    def __init__(self, source: str, base_url: str) -> None:
        self.source = source
        host = urlsplit(base_url).netloc if base_url else ""
        self.host = host if host and urlsplit(base_url).hostname not in PUBLIC_HOSTS else ""
        self.accounts: dict[str, str] = {}
        self.emails: dict[str, str] = {}

    def scrub(self, cassette: dict) -> str:
        """The scrubbed cassette as YAML text."""
        for interaction in cassette["interactions"]:
            for part in (interaction["request"], interaction["response"]):
                body = part.get("body")
                text = body.get("string") if isinstance(body, dict) else body
                if isinstance(text, bytes):
                    text = text.decode("utf-8", "replace")
                if text:
                    self.collect(text)
        for interaction in cassette["interactions"]:
            request, response = interaction["request"], interaction["response"]
            request["uri"] = self.replace(request["uri"])
            request["headers"] = self.headers(request.get("headers") or {}, set())
            response["headers"] = self.headers(response.get("headers") or {}, DROPPED_RESPONSE_HEADERS)
            for part in (request, response):
                body = part.get("body")
                if isinstance(body, dict) and body.get("string"):
                    value = body["string"]
                    body["string"] = self.replace(
                        value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                    )
                elif isinstance(body, str | bytes) and body:
                    part["body"] = self.replace(body.decode("utf-8", "replace") if isinstance(body, bytes) else body)
        return redact(yaml.safe_dump(cassette, allow_unicode=True, sort_keys=False, width=1 << 20))

    def collect(self, text: str) -> None:
        """Note the account ids (by key) and e-mail addresses (by key and by shape) of one body."""
        with contextlib.suppress(orjson.JSONDecodeError):
            walk(orjson.loads(text), self.note)
        for email in EMAIL.findall(text):
            self.note_email(email)

    def note(self, key: str, value) -> None:
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, str) or not item:
                continue
            if key in ACCOUNT_KEYS and item not in self.accounts:
                self.accounts[item] = f"account-{len(self.accounts) + 1:04d}"
            elif key in EMAIL_KEYS:
                self.note_email(item)

    def note_email(self, email: str) -> None:
        if email not in self.emails and not email.endswith("@example.invalid"):
            self.emails[email] = f"user{len(self.emails) + 1:04d}@example.invalid"

    def replace(self, text: str) -> str:
        """Every known identity (plain, URL-encoded and JSON-escaped) and the host replaced."""
        pairs = [*self.accounts.items(), *self.emails.items()]
        if self.host:
            pairs.append((self.host, f"{self.source}.example.invalid"))
        for old, new in sorted(pairs, key=lambda p: len(p[0]), reverse=True):
            for form in {old, quote(old, safe=""), quote(old), old.replace("/", "\\/")}:
                text = text.replace(form, new)
        return EMAIL.sub(lambda m: self.emails.get(m.group(0), m.group(0)), text)

    def headers(self, headers: dict, dropped: set[str]) -> dict:
        return {
            name: [self.replace(str(v)) for v in (values if isinstance(values, list) else [values])]
            for name, values in headers.items()
            if name.lower() not in dropped and name.lower() not in SECRET_HEADERS
        }


def walk(value, visit) -> None:
    """Call `visit(key, value)` for every key of every object in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            visit(key, item)
            walk(item, visit)
    elif isinstance(value, list):
        for item in value:
            walk(item, visit)
