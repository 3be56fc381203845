"""Bronze on S3 (moto's server on loopback) against the same work on a local folder, in the same run:

- `jira_sync`: a full Jira sync (`python -m pipelines sync jira --full`, fresh processes) into an s3://
  root vs into a local folder, in back-to-back pairs (local then S3, then S3 then local, ...): the figure
  is the median of the pairs' ratios, from which a shared machine's drifting load mostly cancels out
  (the ratio of the medians is reported beside it).
- `publish`: the wall time of `BronzeWriter.publish` (one part + its manifest segment) for the 10th part of
  a source vs the 10,000th (a history of 9,999 listed parts, as compaction leaves it), local and S3.
- `silver`: `python -m pipelines silver --full` from the S3 bronze of the sync above vs from a local copy
  of the same bronze (`migrate-bronze`).

Never a timed assertion: the ratios are reported by `make bench` against the targets of issue #13.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.procs import Simulator, require_success, run_cli
from pipelines.bronze.ledger import MANIFEST_SCHEMA, encode_rows
from pipelines.bronze.settings import BronzeSettings
from pipelines.bronze.storage import BronzeRoot
from pipelines.bronze.writer import BronzeWriter
from tests.s3 import S3Server

SEED = 7


def _median(values) -> float:
    return round(statistics.median(list(values)), 4)


def run(workdir: Path, issues: int, latency_ms: float, repeat: int, history: int) -> dict:
    """Every case against one moto server; the figures of all three."""
    server = S3Server().start()
    try:
        env = server.env()
        figures = {"sync": jira_sync(server, env, workdir, issues, latency_ms, repeat)}
        figures["publish"] = publish(server, env, workdir, history, repeat)
        figures["silver"] = silver(env, workdir, figures["sync"].pop("bronze"), repeat)
    finally:
        server.stop()
    return figures


def jira_sync(server: S3Server, env: dict, workdir: Path, issues: int, latency_ms: float, repeat: int) -> dict:
    """Back-to-back pairs of full syncs (local then S3, then S3 then local, ...); the last S3 bronze is kept."""
    local, remote = [], []
    with Simulator("jira", workdir, {"issues": issues}, latency_ms, SEED) as sim:
        for attempt in range(repeat):
            for kind in ("local", "s3") if attempt % 2 == 0 else ("s3", "local"):
                sim.reset()
                if kind == "local":
                    folder = workdir / f"local-{attempt}"
                    target = {**sim.env, "DPL_BRONZE_DIR": str(folder)}
                    done = run_cli(["sync", "jira", "--full"], target, workdir, kind)
                    row = require_success(done, folder, "jira")
                    local.append(done["wall_s"])
                    continue
                url = f"s3://{server.bucket()}/bronze"
                done = run_cli(["sync", "jira", "--full"], {**sim.env, **env, "DPL_BRONZE_DIR": url}, workdir, kind)
                with _environment(env):
                    require_success(done, url, "jira")
                remote.append(done["wall_s"])
    pairs = [s3 / disk for s3, disk in zip(remote, local, strict=True)]
    return {
        "issues": issues,
        "latency_ms": latency_ms,
        "records": row["records_written"],
        "files": row["files_published"],
        "local_s": _median(local),
        "s3_s": _median(remote),
        "local_s_all": [round(x, 2) for x in local],
        "s3_s_all": [round(x, 2) for x in remote],
        "s3_over_local": round(_median(pairs), 3),
        "s3_over_local_pairs": [round(x, 3) for x in pairs],
        "median_over_median": round(_median(remote) / _median(local), 3),
        "bronze": url,
    }


def publish(server: S3Server, env: dict, workdir: Path, history: int, repeat: int) -> dict:
    """Median publish time of the next part with a short history (9 parts) and a long one (history - 1)."""
    figures = {"history": history}
    with _environment(env):
        for kind in ("local", "s3"):
            roots = {}
            for label, before in (("10th", 9), ("nth", history - 1)):
                where = workdir / f"publish-{kind}-{label}" if kind == "local" else f"s3://{server.bucket()}/b"
                roots[label] = BronzeRoot(where)
                _seed_history(roots[label], before)
            samples: dict[str, list[float]] = {"10th": [], "nth": []}
            for attempt in range(max(10, 15 * repeat)):  # the two histories alternate: load drift hits both
                for label, root in roots.items():
                    writer = BronzeWriter(root, "jira", f"R{attempt:04d}", BronzeSettings())
                    writer.write_page("issues", [{"id": "1", "k": "v" * 200}] * 50, ["1"] * 50, [None] * 50)
                    started = time.perf_counter()
                    writer.publish("issues")
                    samples[label].append(time.perf_counter() - started)
            for label, values in samples.items():
                figures[f"{kind}_{label}_ms"] = round(1000 * _median(values), 2)
            figures[f"{kind}_nth_over_10th"] = round(figures[f"{kind}_nth_ms"] / figures[f"{kind}_10th_ms"], 3)
    return figures


def _seed_history(root: BronzeRoot, parts: int) -> None:
    """A manifest listing `parts` parts, as compaction leaves it (one segment); the files behind it are not needed."""
    row = {
        "source": "jira",
        "stream": "issues",
        "run_id": "H",
        "rows": 50,
        "bytes": 1000,
        "sha256": "0" * 64,
        "min_cursor": None,
        "max_cursor": None,
        "utf8_errors": 0,
        "written_at": None,
    }
    rows = [{**row, "path": f"jira/issues/2026/01/01/H-{i:05d}.jsonl.zst", "part": i} for i in range(parts)]
    root.write("jira/_manifest/0-history.parquet", encode_rows(rows, MANIFEST_SCHEMA))


def silver(env: dict, workdir: Path, bronze_url: str, repeat: int) -> dict:
    """Full silver builds from the bucket and from a local copy of the same bronze, alternating."""
    local = workdir / "silver-local-bronze"
    copied = run_cli(["migrate-bronze", "--to", str(local)], {**env, "DPL_BRONZE_DIR": bronze_url}, workdir, "copy")
    if copied["exit_code"] != 0:
        raise RuntimeError(Path(copied["log"]).read_text()[-2000:])
    times = {"local": [], "s3": []}
    for attempt in range(repeat):
        for kind, root in (("local", str(local)), ("s3", bronze_url)):
            warehouse = workdir / f"silver-{kind}-{attempt}.duckdb"
            done = run_cli(
                ["silver", "--full"],
                {**env, "DPL_BRONZE_DIR": root, "DPL_WAREHOUSE": str(warehouse)},
                workdir,
                f"silver-{kind}",
            )
            if done["exit_code"] != 0:
                raise RuntimeError(Path(done["log"]).read_text()[-2000:])
            times[kind].append(done["wall_s"])
    return {
        "local_s": _median(times["local"]),
        "s3_s": _median(times["s3"]),
        "local_s_all": [round(x, 2) for x in times["local"]],
        "s3_s_all": [round(x, 2) for x in times["s3"]],
        "s3_over_local": round(_median(times["s3"]) / _median(times["local"]), 3),
    }


@contextlib.contextmanager
def _environment(env: dict):
    """Set variables in this process for a block (the ledgers are read back here)."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
