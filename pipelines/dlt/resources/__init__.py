"""Source modules, one per system (the list itself is the leaf registry `pipelines/sources.py`).

Each module exposes:

- `STREAMS`: {name: StreamSpec} — every bronze stream it writes;
- `DEFAULTS`: its section of config/sources.yaml with every default (every stream listed, in
  `STREAMS` order), and `CONFIG_SCHEMA` (JSON Schema of that section; unknown keys are errors);
- `BASE_URL_VAR` (from the registry) and `read_env(env) -> dict`: the secrets it needs, read from
  the environment and passed in explicitly (raises ConfigError naming the missing variable);
- `source(ctx: SyncContext)`: a `@dlt.source` whose resources yield `Page`s;
- `check(ctx) -> str`: one cheap authenticated call, returns a one-line description.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from pipelines.sources import SOURCE_NAMES


def get(name: str) -> ModuleType:
    """The source module called `name` (KeyError for a name the registry does not know)."""
    if name not in SOURCE_NAMES:
        raise KeyError(name)
    return importlib.import_module(f"pipelines.dlt.resources.{name}")
