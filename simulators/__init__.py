"""Local, deterministic fakes of the Jira Cloud, Bitbucket Cloud and Jenkins APIs.

Used by `make demo`, the tests and the benchmarks. Production code never imports this package.
Each simulator module exposes `create(seed, scale=None, knobs=None, port=0) -> SimServer`
and the credentials it accepts (`CREDENTIALS`), so callers can point a pipeline at it.
"""

import importlib

SIMULATORS = ("jira", "bitbucket", "jenkins")


def create(name: str, seed: int = 7, scale: dict | None = None, knobs=None, port: int = 0):
    """Build (not start) the simulator called `name`."""
    if name not in SIMULATORS:
        raise ValueError(f"unknown simulator {name!r}; choose from {', '.join(SIMULATORS)}")
    module = importlib.import_module(f"simulators.{name}")
    return module.create(seed=seed, scale=scale, knobs=knobs, port=port)


def env_for(name: str, server) -> dict[str, str]:
    """The environment variables that point a pipeline at a running simulator."""
    module = importlib.import_module(f"simulators.{name}")
    return module.env_for(server)
