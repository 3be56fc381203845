"""`make bench`: run the benchmarks, write bench/results/latest.json and bench/results/latest.md.

    python bench/run.py [--quick] [--only case,...] [--repeat N] [--out-dir DIR]

Cases: jira_full, jira_rate_limited, jira_incremental, bronze, memory, silver, silver_ducklake, bitbucket, jenkins,
s3 (see CASES). Every
figure is the median of `--repeat` runs; every speed figure is a ratio against a baseline measured
in the same run. `--quick` uses tiny sizes (the smoke test runs it: targets are not meaningful there).
With `--only`, the other cases keep their previous figures in latest.json (same mode only).
Never a timed assertion: a missed target is reported, the exit code is 0 unless a case fails to run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import s3_bench, sync_bench
from bench.report import render_markdown, rows_for

BENCH = Path(__file__).resolve().parent
SIZES = {
    "full": {
        "jira_issues": 10_000,
        "latency_ms": 50,
        "rate_limited_issues": 2_000,
        "rate_limit_per_min": 100,
        "incremental_issues": 50_000,
        "incremental_warmup_steps": 8,
        "incremental_steps": 20,
        "bronze_records": 200_000,
        "memory_sizes": [100_000, 1_000_000],
        "silver_issues": 1_000_000,
        "silver_changed": 1_000,
        "bitbucket_scale": {"repos": 12, "prs_per_repo": 40, "commits_per_repo": 80},
        "jenkins_scale": {"jobs": 12, "builds_per_job": 60, "big_job_builds": 450},
        "s3_issues": 10_000,
        "s3_publish_history": 10_000,
    },
    "quick": {
        "jira_issues": 300,
        "latency_ms": 5,
        "rate_limited_issues": 300,
        "rate_limit_per_min": 600,  # does not bind: the smoke test stays short
        "incremental_issues": 600,
        "incremental_warmup_steps": 8,
        "incremental_steps": 3,
        "bronze_records": 2_000,
        "memory_sizes": [2_000, 20_000],
        "silver_issues": 2_000,
        "silver_changed": 20,
        "bitbucket_scale": {},
        "jenkins_scale": {},
        "s3_issues": 200,
        "s3_publish_history": 200,
    },
}


def case_jira_full(sizes: dict, repeat: int, work: Path) -> dict:
    return sync_bench.jira_full(work, sizes["jira_issues"], sizes["latency_ms"], repeat)


def case_jira_rate_limited(sizes: dict, repeat: int, work: Path) -> dict:
    """Once per variant (serial, concurrent): each run is bound by the limit's minute windows."""
    return sync_bench.jira_rate_limited(
        work, sizes["rate_limited_issues"], sizes["latency_ms"], sizes["rate_limit_per_min"]
    )


def case_jira_incremental(sizes: dict, repeat: int, work: Path) -> dict:
    return sync_bench.jira_incremental(
        work,
        sizes["incremental_issues"],
        sizes["incremental_warmup_steps"],
        sizes["incremental_steps"],
        sizes["latency_ms"],
        repeat,
    )


def case_bronze(sizes: dict, repeat: int, work: Path) -> dict:
    """Twice `repeat` alternating runs: they are cheap, and this ratio is the most sensitive to a busy machine."""
    out = work / "bronze.json"
    _script("bronze_bench.py", "--records", sizes["bronze_records"], "--repeat", 2 * repeat, "--out", out)
    return json.loads(out.read_text())


def case_memory(sizes: dict, repeat: int, work: Path) -> dict:
    """One process per size and run (lazy pages through the whole runner), peak RSS of each."""
    small, large = sizes["memory_sizes"]
    figures: dict = {"mode": "runner", "sizes": [small, large], "runs": repeat}
    for label, count in (("small", small), ("large", large)):
        runs = [json.loads(_script("memory_bench.py", "--records", count).splitlines()[-1]) for _ in range(repeat)]
        figures[f"{label}_peak_rss_mb"] = _median(r["peak_rss_mb"] for r in runs)
        figures[f"{label}_peak_rss_mb_all"] = [r["peak_rss_mb"] for r in runs]
        figures[f"{label}_seconds"] = _median(r["seconds"] for r in runs)
        figures[f"{label}_rss_before_run_mb"] = _median(r["rss_before_run_mb"] for r in runs)
    figures["large_over_small"] = round(figures["large_peak_rss_mb"] / figures["small_peak_rss_mb"], 3)
    return figures


def case_silver(sizes: dict, repeat: int, work: Path) -> dict:
    out = work / "silver.json"
    _script(
        "silver_bench.py",
        *("--issues", sizes["silver_issues"], "--changed", sizes["silver_changed"], "--repeat", repeat),
        *("--workdir", work / "silver", "--out", out),
    )
    return json.loads(out.read_text())


def case_silver_ducklake(sizes: dict, repeat: int, work: Path) -> dict:
    out = work / "ducklake.json"
    _script(
        "ducklake_bench.py",
        *("--issues", sizes["silver_issues"], "--changed", sizes["silver_changed"], "--repeat", repeat),
        *("--workdir", work / "ducklake", "--out", out),
    )
    return json.loads(out.read_text())


def case_bitbucket(sizes: dict, repeat: int, work: Path) -> dict:
    return sync_bench.bitbucket_full(work, sizes["bitbucket_scale"], repeat)


def case_jenkins(sizes: dict, repeat: int, work: Path) -> dict:
    return sync_bench.jenkins_full(work, sizes["jenkins_scale"], repeat)


def case_s3(sizes: dict, repeat: int, work: Path) -> dict:
    """Bronze on S3 (moto, loopback) vs a local folder: Jira sync, publishing with a long history, silver."""
    return s3_bench.run(work, sizes["s3_issues"], sizes["latency_ms"], repeat, sizes["s3_publish_history"])


CASES = {
    "jira_full": case_jira_full,
    "jira_rate_limited": case_jira_rate_limited,
    "jira_incremental": case_jira_incremental,
    "bronze": case_bronze,
    "memory": case_memory,
    "silver": case_silver,
    "silver_ducklake": case_silver_ducklake,
    "bitbucket": case_bitbucket,
    "jenkins": case_jenkins,
    "s3": case_s3,
}


def _script(name: str, *args) -> str:
    """Run bench/<name> in its own process (clean peak RSS); its stdout."""
    command = [sys.executable, str(BENCH / name), *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def _median(values) -> float:
    import statistics

    return statistics.median(list(values))


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test); targets not meaningful")
    parser.add_argument("--only", help=f"comma-separated cases: {', '.join(CASES)}")
    parser.add_argument("--repeat", type=int, help="runs per figure (default 3, quick 1)")
    parser.add_argument("--out-dir", default=str(BENCH / "results"), help="where latest.json/latest.md go")
    args = parser.parse_args(argv)
    args.cases = [c.strip() for c in (args.only or ",".join(CASES)).split(",") if c.strip()]
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}: expected some of {', '.join(CASES)}")
    args.repeat = args.repeat or (1 if args.quick else 3)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = _previous(out_dir / "latest.json", mode)
    started, load_before = time.perf_counter(), machine()["load_average"]
    work = Path(tempfile.mkdtemp(prefix="dpl-bench-"))
    cases, failed = dict(previous.get("cases", {})), {}
    try:
        for name in args.cases:
            case_started = time.perf_counter()
            print(f"bench: {name} ...", flush=True)
            case_dir = work / name
            case_dir.mkdir()
            try:
                figures = CASES[name](SIZES[mode], args.repeat, case_dir)
            except Exception as exc:
                failed[name] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
                continue
            seconds = round(time.perf_counter() - case_started, 1)
            cases[name] = {**figures, "case_s": seconds, "measured_at": _now()}
            print(f"bench: {name} done in {seconds}s", flush=True)
    finally:
        if failed:
            print(f"bench: logs of the failed run kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    result = {
        "generated_at": _now(),
        "mode": mode,
        "repeat": args.repeat,
        "cases_run": args.cases,
        "wall_s": round(time.perf_counter() - started, 1),
        "machine": {**machine(), "load_average_before": load_before},
        "sizes": SIZES[mode],
        "rows": [{**row, "met": None} for row in rows_for(cases)] if args.quick else rows_for(cases),
        "cases": cases,
        "failed": failed,
    }
    (out_dir / "latest.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (out_dir / "latest.md").write_text(render_markdown(result))
    print((out_dir / "latest.md").read_text())
    return 1 if failed else 0


def _previous(path: Path, mode: str) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if data.get("mode") == mode else {}


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    raise SystemExit(main())
