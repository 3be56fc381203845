"""Bronze writer vs the floor (plain loop: orjson.dumps + zstd) on the same Jira-like records.

    python bench/bronze_bench.py --records 200000 --repeat 3 --out bench/results/bronze.json

Both sides get the same pages of 100 records; ours also computes ids and cursors and writes the
envelope, partitions, hashes and publishes with a manifest row. Figures are medians; the ratio
is ours/floor records per second, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.records import make_records
from pipelines.bronze.writer import BronzeWriter
from pipelines.dlt.streams import cursor_from, id_from

PAGE = 100


def floor(records: list[dict], folder: Path) -> float:
    started = time.perf_counter()
    with open(folder / "floor.jsonl.zst", "wb") as handle:
        writer = zstandard.ZstdCompressor(level=3).stream_writer(handle)
        for start in range(0, len(records), PAGE):
            for record in records[start : start + PAGE]:
                writer.write(orjson.dumps(record) + b"\n")
        writer.flush(zstandard.FLUSH_FRAME)
    return time.perf_counter() - started


def ours(records: list[dict], folder: Path) -> float:
    id_of, cursor_of = id_from("id"), cursor_from(("fields", "updated"))
    started = time.perf_counter()
    writer = BronzeWriter(folder, "jira", "BENCH")
    for start in range(0, len(records), PAGE):
        page = records[start : start + PAGE]
        writer.write_page("issues", page, [id_of(r, None) for r in page], [cursor_of(r) for r in page], None)
    writer.close()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args()
    records = make_records(args.records)
    avg_size = sum(len(orjson.dumps(r)) for r in records[:1000]) / min(1000, len(records))
    floor_s, ours_s = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            floor_s.append(floor(records, Path(tmp)))
        with tempfile.TemporaryDirectory() as tmp:
            ours_s.append(ours(records, Path(tmp)))
    result = {
        "records": args.records,
        "avg_record_bytes": round(avg_size),
        "floor_records_per_s": round(args.records / statistics.median(floor_s)),
        "writer_records_per_s": round(args.records / statistics.median(ours_s)),
        "writer_vs_floor_time": round(statistics.median(ours_s) / statistics.median(floor_s), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
