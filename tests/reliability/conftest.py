"""Reliability suite fixtures: the simulator lab (canary credentials) and a canary scan after every test."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipelines.secrets import redact
from tests.conftest import FIGURES_DIR_VAR
from tests.ops.servers import Webhook
from tests.reliability import support
from tests.reliability.support import FIGURES


@pytest.fixture(scope="session")
def webhook():
    """A loopback Slack-compatible receiver: the alerts of failed runs land here (and are scanned)."""
    server = Webhook()
    yield server
    server.close()


@pytest.fixture(scope="session")
def lab(tmp_path_factory, webhook):
    """Simulators on fixed loopback ports with the canary as every credential; clean references cached."""
    root = tmp_path_factory.mktemp("lab")
    lab = support.Lab(root, f"http://127.0.0.1:{webhook.port}/services/T0/B0/{support.CANARY}")
    support.POOL = support.ZygotePool(2)
    yield lab
    support.POOL.close()
    support.POOL = None
    lab.stop()
    hits = support.scan_tree(root)
    FIGURES["canary_scanned_trees"] += 1
    assert not hits, f"canary found in the lab's files: {hits}"


@pytest.fixture
def canary_env(lab, monkeypatch):
    """Export the lab's connection variables (canary credentials) into this process."""

    def export(*sources: str) -> dict:
        env = lab.env(*sources)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return env

    return export


@pytest.fixture(autouse=True)
def no_canary_anywhere(tmp_path, webhook):
    """After each test: the canary is in no output (stdout, stderr, logs), alert or file the test produced.

    The redaction registry is emptied first, so that an in-process run redacts only what it registers
    itself, as a fresh process would (earlier tests must not mask a secret this one forgot).
    """
    support.OUTPUTS.clear()
    redact._values.clear()
    redact._pattern = None
    received = len(webhook.received)
    yield
    texts = [*support.OUTPUTS, *(str(body) for _, body in webhook.received[received:])]
    hits = [h for text in texts for h in support.canary_hits(text)] + support.scan_tree(tmp_path)
    FIGURES["canary_scanned_outputs"] += len(texts)
    FIGURES["canary_scanned_trees"] += 1
    FIGURES["canary_hits"] += len(hits)
    assert not hits, f"canary leaked: {hits}"


def pytest_sessionfinish(session):
    """Leave this process's figures where the root conftest's summary sums them (xdist workers included)."""
    folder = os.environ.get(FIGURES_DIR_VAR)
    if folder and FIGURES:
        name = getattr(session.config, "workerinput", {}).get("workerid", "main")
        (Path(folder) / f"{name}.json").write_text(json.dumps(dict(FIGURES)))
