"""Silver layer: DuckDB SQL models over the bronze files listed in the manifests.

Entry points wired into the CLI: `build_silver(settings, full=False)`, `anomaly_summary(settings)`,
`stats(settings, source=None, stream=None)`, `shell_init_sql(settings)`.
"""

from pipelines.silver.build import build_silver
from pipelines.silver.report import anomaly_summary, shell_init_sql, stats

__all__ = ["anomaly_summary", "build_silver", "shell_init_sql", "stats"]
