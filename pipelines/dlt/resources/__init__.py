"""Source modules, one per system. Each module exposes:

- `STREAMS`: {name: StreamSpec} — every bronze stream it writes;
- `DEFAULTS`: its section of config/sources.yaml with every default, and `CONFIG_SCHEMA`
  (JSON Schema of that section; unknown keys are errors);
- `BASE_URL_VAR` and `read_env(env) -> dict`: the secrets it needs, read from the environment
  and passed in explicitly (raises ConfigError naming the missing variable);
- `source(ctx: SyncContext)`: a `@dlt.source` whose resources yield `Page`s;
- `check(ctx) -> str`: one cheap authenticated call, returns a one-line description.
"""

from __future__ import annotations

import importlib
from types import ModuleType

SOURCE_NAMES: tuple[str, ...] = ("jira", "bitbucket", "jenkins")


def get(name: str) -> ModuleType:
    """The source module called `name`."""
    if name not in SOURCE_NAMES:
        raise KeyError(name)
    return importlib.import_module(f"pipelines.dlt.resources.{name}")


def available() -> list[str]:
    """Source names whose module exists in this checkout."""
    names = []
    for name in SOURCE_NAMES:
        try:
            get(name)
        except ModuleNotFoundError as exc:
            if exc.name != f"pipelines.dlt.resources.{name}":
                raise
            continue
        names.append(name)
    return names
