"""Silver layer: DuckDB SQL models over the bronze files listed in the manifests.

Public entry points (wired into the CLI by `pipelines/cli.py`):
`build_silver`, `anomaly_summary`, `stats`, `shell_init_sql`.
"""

from pipelines.silver.build import build_silver

__all__ = ["build_silver"]
