"""Bronze writer vs the floor (plain loop: orjson.dumps + zstd) on the same Jira-like records.

    python bench/bronze_bench.py --records 200000 --repeat 3 --out bench/results/bronze.json

Both sides get the same in-memory pages of 100 records (~3 KB each, bench/records.py); ours also
computes ids and cursors, writes the envelope, partitions, hashes and publishes with a manifest row.
Runs alternate floor/ours; figures are medians, the ratio is ours/floor records per second measured
in the same run. `writer_alone_over_floor_rate` splits the cost: the writer with ids and cursors
computed beforehand. `peak_rss_mb` is this process's peak (the records in memory included);
`writer_rss_mb` what writing added on top of the records.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson
import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.peak import current_rss_mb, peak_rss_mb
from bench.records import make_records
from pipelines.bronze.writer import BronzeWriter
from pipelines.dlt.streams import cursor_from, id_from

PAGE = 100


def floor(records: list[dict], folder: Path) -> float:
    """Seconds to write the records with a plain loop: orjson.dumps + newline into one zstd stream."""
    started = time.perf_counter()
    with open(folder / "floor.jsonl.zst", "wb") as handle:
        writer = zstandard.ZstdCompressor(level=3).stream_writer(handle)
        for start in range(0, len(records), PAGE):
            for record in records[start : start + PAGE]:
                writer.write(orjson.dumps(record) + b"\n")
        writer.flush(zstandard.FLUSH_FRAME)
    return time.perf_counter() - started


def ours(records: list[dict], folder: Path) -> tuple[float, float]:
    """Seconds to write the records through the bronze writer, ids and cursors included; and of them,
    the seconds of `close()` (publish: fsync, rename, fsync of the folder, manifest row)."""
    id_of, cursor_of = id_from("id"), cursor_from(("fields", "updated"))
    started = time.perf_counter()
    writer = BronzeWriter(folder, "jira", "BENCH")
    for start in range(0, len(records), PAGE):
        page = records[start : start + PAGE]
        writer.write_page("issues", page, [id_of(r, None) for r in page], [cursor_of(r) for r in page], None)
    closing = time.perf_counter()
    writer.close()
    ended = time.perf_counter()
    return ended - started, ended - closing


def writer_alone(records: list[dict], ids: list, cursors: list, folder: Path) -> float:
    """Seconds of the bronze writer alone: ids and cursors computed beforehand (a diagnostic split)."""
    started = time.perf_counter()
    writer = BronzeWriter(folder, "jira", "BENCH")
    for start in range(0, len(records), PAGE):
        end = start + PAGE
        writer.write_page("issues", records[start:end], ids[start:end], cursors[start:end], None)
    writer.close()
    return time.perf_counter() - started


def measure(count: int, repeat: int) -> dict:
    """Records per second of the floor and of the writer (medians of `repeat` alternating runs)."""
    records = make_records(count)
    with_records = current_rss_mb()
    sizes = [len(orjson.dumps(r)) for r in records[:1000]]
    id_of, cursor_of = id_from("id"), cursor_from(("fields", "updated"))
    ids, cursors = [id_of(r, None) for r in records], [cursor_of(r) for r in records]
    floor_s, ours_s, alone_s, close_s = [], [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            floor_s.append(floor(records, Path(tmp)))
        with tempfile.TemporaryDirectory() as tmp:
            total, closing = ours(records, Path(tmp))
            ours_s.append(total)
            close_s.append(closing)
        with tempfile.TemporaryDirectory() as tmp:
            alone_s.append(writer_alone(records, ids, cursors, Path(tmp)))
    peak = peak_rss_mb()
    floor_rate, ours_rate = count / statistics.median(floor_s), count / statistics.median(ours_s)
    return {
        "records": count,
        "runs": repeat,
        "avg_record_bytes": round(sum(sizes) / len(sizes)),
        "floor_records_per_s": round(floor_rate),
        "writer_records_per_s": round(ours_rate),
        "writer_over_floor_rate": round(ours_rate / floor_rate, 3),
        "writer_alone_over_floor_rate": round(statistics.median(floor_s) / statistics.median(alone_s), 3),
        "floor_s_all": [round(s, 2) for s in floor_s],
        "writer_s_all": [round(s, 2) for s in ours_s],
        "writer_alone_s_all": [round(s, 2) for s in alone_s],
        "writer_close_s_all": [round(s, 3) for s in close_s],
        "peak_rss_mb": round(peak),
        "writer_rss_mb": round(peak - with_records),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args()
    result = measure(args.records, args.repeat)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
