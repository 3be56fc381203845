"""Headless Chromium for the report tests (Debian package `chromium`; .ci/run installs it, tests skip without)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    pytest.skip("no Chromium on this machine (Debian: apt-get install -y chromium)")


def chromium_flags(tmp_path) -> list[str]:
    """Headless Chromium, no network, no profile of the user's, console messages on stderr."""
    return [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-extensions",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]


def rendered_dom(page: Path, tmp_path) -> str:
    """The DOM after the page's scripts ran; fails on a script error or any console message."""
    dom = subprocess.run(
        [*chromium_flags(tmp_path), "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=90
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-rendered="yes"' in dom.stdout  # the page script ran to its end, no error collected
    console = [line for line in dom.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []  # no script error, no blocked (external) load
    return dom.stdout
