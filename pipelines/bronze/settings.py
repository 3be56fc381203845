"""Bronze settings (config/sources.yaml `bronze:`): part rotation, compression, manifest compaction, lock lease."""

from __future__ import annotations

import dataclasses

MB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class BronzeSettings:
    """How parts are cut and compressed; the field defaults are the defaults."""

    part_max_bytes: int = 128 * MB  # rotate a part at this compressed size
    part_max_rows: int = 1_000_000  # ... or at this many rows
    zstd_level: int = 3
    manifest_segments_max: int = 64  # a run compacts the manifest when it has more segments than this
    lock_lease_s: int = 120  # object storage: a lock not renewed for this long may be taken over


BRONZE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "part_max_bytes": {"type": "integer", "minimum": 1},
        "part_max_rows": {"type": "integer", "minimum": 1},
        "zstd_level": {"type": "integer", "minimum": 1, "maximum": 22},
        "manifest_segments_max": {"type": "integer", "minimum": 1},
        "lock_lease_s": {"type": "integer", "minimum": 10},
    },
}
