"""The fixed simulated world, synced and built once per test process."""

from __future__ import annotations

import datetime as dt

import pytest

from pipelines.dlt.pipelines import run_source
from pipelines.dlt.streams import FULL
from pipelines.silver import build_silver
from simulators import create, env_for
from tests.silver.support import settings_for
from tests.workbench.world import Facts, build_world


@pytest.fixture(scope="session")
def jira_world(tmp_path_factory):
    """(settings, Facts, now) of the fixed world; `now` is the world clock (JQL's now())."""
    settings, world = build_world(tmp_path_factory.mktemp("workbench"))
    return settings, Facts(world), dt.datetime.fromtimestamp(world.now / 1000, dt.UTC)


@pytest.fixture(scope="session")
def delivery_world(tmp_path_factory):
    """The three simulators' default worlds (seed 7), synced and built: (settings, {source: world})."""
    settings = settings_for(tmp_path_factory.mktemp("delivery"))
    worlds = {}
    for name in ("jira", "bitbucket", "jenkins"):
        server = create(name, seed=7).start()
        try:
            run_source(settings, name, mode=FULL, env=env_for(name, server))
        finally:
            server.stop()
        worlds[name] = server.world
    build_silver(settings)
    return settings, worlds
