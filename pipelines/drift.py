"""Schema drift: the set of JSON paths seen per stream, and what appeared or vanished since before.

The runner feeds every page to a `PathCollector` (`observe`) and calls `commit` once the run is
over. Payloads are only read, never altered. Paths name object keys from the record's root, with
arrays collapsed to `[]`: `fields.customfield_10020[].name`.

Cost: walking every key of every record costs ~4× what the bronze writer spends on a Jira-like
issue, so the collector walks a deterministic sample — the first `warmup` records of each stream
in the run, then one record in `stride` (a prime, so periodic data does not alias) — and only the
first `max_items` elements of an array, down to `max_depth` object levels.

To stay quiet on sparse fields (set on a few records, absent from a given run or sample), a path
is *new* when the stream's known set does not hold it, and *vanished* only when it was common
(in at least `common_share` of the sampled records) in the last run that saw it and the current
run sampled at least `min_sample` records without it. The known set lives in
`bronze/<source>/paths.parquet`; events go to `bronze/<source>/drift.parquet` (both rewritten
atomically). A stream's first observation records a `baseline` event per path.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from pipelines.bronze.ledger import read_ledger, write_ledger
from pipelines.display import table

_CONTAINERS = (dict, list)


class PathCollector:
    """Collects JSON path sets per stream during one run; `commit` records the drift."""

    def __init__(
        self,
        warmup: int = 50,
        stride: int = 97,
        max_items: int = 5,
        max_depth: int = 8,
        common_share: float = 0.5,
        min_sample: int = 20,
    ) -> None:
        self.warmup, self.stride, self.max_items, self.max_depth = warmup, stride, max_items, max_depth
        self.common_share, self.min_sample = common_share, min_sample
        self.seen: Counter = Counter()  # stream -> records observed
        self.sampled: Counter = Counter()  # stream -> records walked
        self.counts: dict[str, Counter] = {}  # stream -> {path: sampled records holding it}

    def observe(self, stream: str, records: list) -> None:
        """Look at one page of a stream (cheap: walks only the sampled records)."""
        if not records or stream.startswith("_"):
            return
        start = self.seen[stream]
        self.seen[stream] = start + len(records)
        step = self.stride
        warm = max(0, min(len(records), self.warmup - start))
        first = (-start) % step  # the first index whose position in the stream is a multiple of `step`
        if first < warm:
            first += -(-(warm - first) // step) * step
        picks = [*records[:warm], *records[first::step]]
        counts = self.counts.setdefault(stream, Counter())
        for record in picks:
            paths: set[str] = set()
            self._walk(record, "", paths, self.max_depth)
            counts.update(paths)
        self.sampled[stream] += len(picks)

    def paths(self, stream: str) -> set[str]:
        """Every path seen (sampled) in `stream` so far in this run."""
        return set(self.counts.get(stream, ()))

    def _walk(self, value, prefix: str, out: set, depth: int) -> None:
        if type(value) is dict:
            for key, child in value.items():
                path = f"{prefix}.{key}" if prefix else str(key)
                out.add(path)
                if depth > 1 and type(child) in _CONTAINERS:
                    self._walk(child, path, out, depth - 1)
        elif type(value) is list:
            path = prefix + "[]"
            for child in value[: self.max_items]:
                if type(child) in _CONTAINERS:
                    self._walk(child, path, out, depth)

    def commit(self, bronze_dir: Path, source: str, run_id: str, complete: bool = True) -> list[dict]:
        """Record new/vanished paths of every observed stream; returns the events written.

        With `complete=False` (a failed run) only new paths are recorded: absence proves nothing.
        """
        if not self.counts:
            return []
        now = dt.datetime.now(dt.UTC)
        known = {(r["stream"], r["path"]): r for r in read_ledger(bronze_dir, source, "paths")}
        events = []
        for stream, counts in sorted(self.counts.items()):
            sampled = self.sampled[stream]
            had = {path for (s, path) in known if s == stream}
            found = [(path, "new" if had else "baseline", counts[path] / sampled) for path in sorted(set(counts) - had)]
            for path, hits in counts.items():
                row = known.setdefault((stream, path), {"stream": stream, "path": path, "first_run_id": run_id})
                row.update(last_run_id=run_id, last_seen_at=now, share=hits / sampled)
            if complete and sampled >= self.min_sample:
                for path in sorted(had - set(counts)):
                    share = known[(stream, path)]["share"] or 0.0
                    if share >= self.common_share:
                        found.append((path, "vanished", share))
                        del known[(stream, path)]
            events += [
                {
                    "run_id": run_id,
                    "stream": stream,
                    "change": change,
                    "path": path,
                    "share": round(share, 4),
                    "sampled": sampled,
                    "detected_at": now,
                }
                for path, change, share in found
            ]
        write_ledger(bronze_dir, source, "paths", sorted(known.values(), key=lambda r: (r["stream"], r["path"])))
        if events:
            write_ledger(bronze_dir, source, "drift", read_ledger(bronze_dir, source, "drift") + events)
        return events


def read_drift(bronze_dir: Path, source: str) -> list[dict]:
    """Every drift event of a source, oldest first."""
    return read_ledger(bronze_dir, source, "drift")


def latest_changes(bronze_dir: Path, source: str) -> dict[str, dict]:
    """{stream: {"run_id", "new", "vanished", "at"}} of the last run that changed each stream's paths."""
    latest: dict[str, dict] = {}
    for row in read_drift(bronze_dir, source):
        if row["change"] == "baseline":
            continue
        entry = latest.get(row["stream"])
        if entry is None or entry["run_id"] != row["run_id"]:
            entry = latest[row["stream"]] = {"run_id": row["run_id"], "new": 0, "vanished": 0, "at": row["detected_at"]}
        entry[row["change"]] += 1
    return latest


def drift_label(change: dict | None) -> str:
    """`+3 −1 2026-11-21` for a `latest_changes` entry, '' for none."""
    if not change:
        return ""
    return f"+{change['new']} −{change['vanished']} {change['at']:%Y-%m-%d}"


def summary_rows(bronze_dir: Path, source: str, stream: str | None = None, limit: int = 20) -> list[dict]:
    """The last `limit` new/vanished events (for `make stats`): run_id, stream, change, path, detected_at."""
    rows = [r for r in read_drift(bronze_dir, source) if r["change"] != "baseline"]
    rows = [r for r in rows if stream is None or r["stream"] == stream]
    return rows[-limit:] if limit else rows


def format_summary(bronze_dir: Path, source: str, stream: str | None = None, limit: int = 20) -> str:
    """A text table of the last new/vanished paths of a source (for `make stats`); '' when there are none."""
    rows = summary_rows(bronze_dir, source, stream, limit)
    if not rows:
        return ""
    title = f"Schema drift of {source} (last {len(rows)} new/vanished JSON paths; share = of sampled records)"
    return title + "\n" + table(rows, ["detected_at", "stream", "change", "path", "share", "run_id"])
