"""Bronze settings (config/sources.yaml `bronze:`): part rotation and compression."""

from __future__ import annotations

import dataclasses

MB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class BronzeSettings:
    """How parts are cut and compressed; the field defaults are the defaults."""

    part_max_bytes: int = 128 * MB  # rotate a part at this compressed size
    part_max_rows: int = 1_000_000  # ... or at this many rows
    zstd_level: int = 3


BRONZE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "part_max_bytes": {"type": "integer", "minimum": 1},
        "part_max_rows": {"type": "integer", "minimum": 1},
        "zstd_level": {"type": "integer", "minimum": 1, "maximum": 22},
    },
}
