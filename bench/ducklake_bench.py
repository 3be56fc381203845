"""Silver on a DuckLake (catalog in SQLite, data on local disk) against the DuckDB-file warehouse, same bronze.

    python bench/ducklake_bench.py --issues 1000000 --changed 1000 --repeat 3 --out bench/results/ducklake.json

Bronze is silver_bench.py's synthetic Jira (the real bronze writer). Each of `--repeat` rounds builds
in full into a new file warehouse and into a new DuckLake (`file_full_build_s`, `full_build_s`); which
goes first alternates from round to round, so that neither always finds the warmer page cache. Then
`--repeat` incremental merges of `--changed` re-delivered issues go into the last lake
(`incremental_s`), then one build with nothing new (`noop_s`). Figures are medians; `*_cpu_s` are
this process's CPU seconds.
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path
from statistics import median

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import silver_bench
from bench.silver_bench import timed, write_run
from pipelines.bronze.ledger import manifest_files
from pipelines.settings import Settings
from pipelines.silver import build_silver
from pipelines.silver.target import parse_warehouse

CATALOG = "sqlite"  # readers in other processes while a build writes (a DuckDB-file catalog would lock them out)


def lake_settings(work: Path, name: str) -> Settings:
    """Settings on a new DuckLake under work/name (catalog and data removed first)."""
    shutil.rmtree(work / name, ignore_errors=True)
    target = parse_warehouse(f"ducklake:{CATALOG}:{work / name / 'catalog.sqlite'}", str(work / name / "data"))
    return Settings(config_dir=work, bronze_dir=work / "bronze", warehouse=target)


def file_settings(work: Path) -> Settings:
    """Settings on a new DuckDB-file warehouse."""
    for leftover in (work / "file.duckdb", work / "file.duckdb.wal"):
        leftover.unlink(missing_ok=True)
    return Settings(config_dir=work, bronze_dir=work / "bronze", warehouse=work / "file.duckdb")


def measure(issues: int, changed: int, repeat: int, work: Path) -> dict:
    """Full builds (file, lake, in turn), then incremental merges and a no-op build on the lake."""
    bronze = work / "bronze"
    write_run(bronze, "run-full", range(issues), 0, True)
    files, lakes = [], []
    for round_ in range(repeat):  # which goes first alternates: neither always gets the warmer cache
        lake = lake_settings(work, f"lake{round_}")
        for kind in ("file", "lake") if round_ % 2 == 0 else ("lake", "file"):
            if kind == "file":
                files.append(timed(build_silver, file_settings(work), full=True))
            else:
                lakes.append(timed(build_silver, lake, full=True))
    incrementals, deltas = [], []
    for version in range(1, repeat + 1):
        sample = random.Random(version).sample(range(issues), min(changed, issues))
        write_run(bronze, f"run-incremental-{version}", sample, version, False)
        wall, cpu, delta = timed(build_silver, lake)
        incrementals.append((wall, cpu))
        deltas.append(delta)
    noop_s, _, _ = timed(build_silver, lake)
    file_s, lake_s = median(f[0] for f in files), median(f[0] for f in lakes)
    incremental_s = median(i[0] for i in incrementals)
    data_files = list((work / f"lake{repeat - 1}" / "data").rglob("*.parquet"))
    return {
        "issues": issues,
        "changed": min(changed, issues),
        "runs": repeat,
        "catalog": CATALOG,
        "bronze_files": len(manifest_files(bronze)),
        "file_full_build_s": round(file_s, 2),
        "full_build_s": round(lake_s, 2),
        "full_over_file": round(lake_s / file_s, 2),
        "full_build_cpu_s": round(median(f[1] for f in lakes), 2),
        "file_full_build_cpu_s": round(median(f[1] for f in files), 2),
        "incremental_s": round(incremental_s, 3),
        "incremental_cpu_s": round(median(i[1] for i in incrementals), 3),
        "full_over_incremental": round(lake_s / incremental_s, 1),
        "noop_s": round(noop_s, 3),
        "file_full_build_s_all": [round(f[0], 2) for f in files],
        "full_build_s_all": [round(f[0], 2) for f in lakes],
        "incremental_s_all": [round(i[0], 3) for i in incrementals],
        "data_files": len(data_files),
        "data_bytes": sum(p.stat().st_size for p in data_files),
        "rows": {name: entry["rows"] for name, entry in lakes[-1][2].items() if entry["rows"]},
        "incremental_changed": {name: entry["changed"] for name, entry in deltas[-1].items() if entry["changed"]},
        "duckdb": duckdb.__version__,
    }


if __name__ == "__main__":
    raise SystemExit(silver_bench.main(measure, __doc__))
