"""Load settings (config/load.yaml): where and how `make load` mirrors bronze into a dlt destination."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class LoadSettings:
    """The field defaults are the defaults."""

    dataset_name: str = "bronze"  # the destination dataset (schema) holding the <source>__<stream> tables
    pipeline_name: str = "dpl_bronze"  # the dlt pipeline; its state in the destination lists the loaded files
    batch_rows: int = 200_000  # records per load package: each committed package moves the loaded set on


LOAD_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "dataset_name": {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$"},
        "pipeline_name": {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$"},
        "batch_rows": {"type": "integer", "minimum": 1},
    },
}
