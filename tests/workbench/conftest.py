"""The fixed simulated world, synced and built once per test process."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.workbench.world import Facts, build_world


@pytest.fixture(scope="session")
def jira_world(tmp_path_factory):
    """(settings, Facts, now) of the fixed world; `now` is the world clock (JQL's now())."""
    settings, world = build_world(tmp_path_factory.mktemp("workbench"))
    return settings, Facts(world), dt.datetime.fromtimestamp(world.now / 1000, dt.UTC)
