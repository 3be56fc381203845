"""Peak RSS of one bronze run of N Jira-like records, made lazily page by page (nothing kept).

    python bench/memory_bench.py --records 1000000 --mode runner

Run one process per size (bench/run.py does): its peak RSS (VmHWM) then measures that size alone.
`--mode runner`: the whole runner (`run_source`: dlt resource iteration, envelope, drift sampling,
bronze writer, manifest, cursors, audit) on a synthetic source yielding 100-record pages;
`--mode writer`: the bronze writer alone. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dlt

from bench.peak import current_rss_mb, peak_rss_mb
from bench.records import pages
from pipelines.bronze.writer import BronzeWriter
from pipelines.dlt import pipelines as runner
from pipelines.dlt.streams import FULL, Page, StreamSpec, cursor_from, id_from
from pipelines.settings import Settings
from pipelines.sources import SourceSettings, StreamSettings
from pipelines.timeutil import TimeSettings

SPEC = StreamSpec("issues", "id", id_from("id"), "fields.updated", cursor_from(("fields", "updated")))


def synthetic_source(records: int):
    """A source module (see pipelines/dlt/resources/__init__.py) whose one resource yields `records` issues."""

    def source(ctx):
        @dlt.resource(name="issues")
        def issues():
            for page in pages(records):
                yield Page("issues", page, "BENCH")

        @dlt.source(name="bench", max_table_nesting=0)
        def bench():
            return [issues]

        return bench()

    return types.SimpleNamespace(
        STREAMS={"issues": SPEC}, BASE_URL_VAR="BENCH_URL", read_env=lambda env: {}, source=source
    )


def run_runner(records: int, work: Path) -> int:
    bench = SourceSettings("bench", True, {"issues": StreamSettings(True, "FULL", "id", "fields.updated")})
    settings = Settings(
        config_dir=work,
        bronze_dir=work / "bronze",
        warehouse=work / "bench.duckdb",
        sources={"bench": bench},
        time=TimeSettings(progress_interval_s=3600),
    )
    runner.get = lambda name: synthetic_source(records)  # the runner's source lookup, for this process only
    result = runner.run_source(settings, "bench", mode=FULL, env={})
    if result.status != "success":
        raise RuntimeError(f"run {result.status}: {result.error}")
    return result.records_written


def run_writer(records: int, work: Path) -> int:
    writer = BronzeWriter(work / "bronze", "bench", "MEMORY")
    id_of, cursor_of, written = SPEC.id_of, SPEC.cursor_of, 0
    for page in pages(records):
        written += writer.write_page("issues", page, [id_of(r, None) for r in page], [cursor_of(r) for r in page])
    writer.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--mode", choices=("runner", "writer"), default="runner")
    args = parser.parse_args()
    before = current_rss_mb()
    with tempfile.TemporaryDirectory(prefix="memory-bench-") as tmp:
        started = time.perf_counter()
        written = (run_runner if args.mode == "runner" else run_writer)(args.records, Path(tmp))
        seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    figures = {"records": written, "mode": args.mode, "seconds": round(seconds, 2),
               "peak_rss_mb": round(peak, 1), "rss_before_run_mb": round(before, 1)}  # fmt: skip
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
