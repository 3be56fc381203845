"""What the data dictionary's comments cost a silver build with nothing new (`make silver` twice).

    python bench/comments_bench.py [--repeat 7]

Builds the models over an empty bronze folder in a temporary directory, then, in the same run and
the same transaction shape as the build: re-creates every view (what a build does today: the
baseline), applies the comments after that (`create or replace` dropped the views' comments), and
applies them again when nothing differs. Prints one JSON object: medians in ms and the ratio of each
to the baseline. Not wired into `make bench` (the no-op build is being reworked there); not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.settings import Settings
from pipelines.silver import build_silver
from pipelines.silver.comments import apply_comments
from pipelines.silver.models import load_models


def measure(warehouse: Path, repeat: int) -> dict:
    """Median ms of: re-creating the views, commenting after that, commenting when nothing differs."""
    models = load_models()
    views = [m for m in models if m.materialized == "view"]
    timings: dict[str, list[float]] = {
        "recreate_views_ms": [],
        "comments_after_recreate_ms": [],
        "comments_noop_ms": [],
    }
    statements = {}
    with duckdb.connect(str(warehouse)) as con:
        for _ in range(repeat):
            con.execute("begin")
            started = time.perf_counter()
            for model in views:
                con.execute(f"create or replace view {model.name} as\n{model.sql}\n")
            timings["recreate_views_ms"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            statements["after_recreate"] = apply_comments(con, models, {})
            timings["comments_after_recreate_ms"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            statements["noop"] = apply_comments(con, models, {})
            timings["comments_noop_ms"].append((time.perf_counter() - started) * 1000)
            con.execute("commit")
    figures = {name: round(statistics.median(values), 1) for name, values in timings.items()}
    base = figures["recreate_views_ms"]
    figures["ratio_after_recreate_to_baseline"] = round(figures["comments_after_recreate_ms"] / base, 3)
    figures["ratio_noop_to_baseline"] = round(figures["comments_noop_ms"] / base, 3)
    figures["statements"] = statements
    figures["views"] = len(views)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dpl-comments-") as tmp:
        settings = Settings(
            config_dir=Path("config"), bronze_dir=Path(tmp) / "bronze", warehouse=Path(tmp) / "w.duckdb"
        )
        build_silver(settings)
        print(json.dumps(measure(settings.warehouse, args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
