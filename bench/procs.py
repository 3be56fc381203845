"""Processes for the sync benchmarks: a simulator in its own process, and pipeline runs as CLI subprocesses.

The simulator runs as `python -m simulators` (its CPU never shares the GIL with the pipeline) and is
driven through its control endpoints. A pipeline run is `python -m pipelines sync <source> [--full]`
with the simulator's environment and a private bronze dir; its wall time, CPU time and peak RSS are
measured from outside (`os.wait4`) and by bench/peak.py inside, its audit row is read from runs.parquet.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import requests

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BASE_URL_VARS = {"jira": "JIRA_BASE_URL", "bitbucket": "BITBUCKET_BASE_URL", "jenkins": "JENKINS_BASE_URL"}
START_TIMEOUT_S = 180


class Simulator:
    """One simulator (`python -m simulators --sources <name>`) in a child process."""

    def __init__(self, name: str, workdir: Path, scale: dict | None = None, latency_ms: float = 0, seed: int = 7):
        self.name = name
        env_file = Path(workdir) / f"sim-{name}.env"
        env_file.unlink(missing_ok=True)
        self.log = open(Path(workdir) / f"sim-{name}.log", "wb")  # noqa: SIM115 (closed in stop())
        command = [PYTHON, "-m", "simulators", "--seed", str(seed), "--sources", name]
        command += ["--scale", orjson.dumps({name: scale or {}}).decode(), "--latency-ms", str(latency_ms)]
        command += ["--env-file", str(env_file)]
        self.process = subprocess.Popen(command, cwd=REPO, stdout=self.log, stderr=subprocess.STDOUT, env=_clean_env())
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (env_file.exists() and env_file.read_text().endswith("\n")):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"simulator {name} did not start: see {self.log.name}")
            time.sleep(0.1)
        self.env = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
        parts = urlsplit(self.env[BASE_URL_VARS[name]])
        self.control = f"{parts.scheme}://{parts.netloc}/__sim"
        self.http = requests.Session()

    def requests(self) -> list[dict]:
        """The call log since the last reset."""
        return self.http.get(f"{self.control}/requests", timeout=120).json()

    def reset(self) -> None:
        self.http.post(f"{self.control}/requests/reset", timeout=60).raise_for_status()

    def advance(self, steps: int) -> dict:
        """Change the world `steps` steps; the summary of what changed."""
        response = self.http.post(f"{self.control}/advance", params={"n": steps}, timeout=300)
        response.raise_for_status()
        return response.json()

    def knobs(self, **changes) -> dict:
        response = self.http.post(f"{self.control}/knobs", json=changes, timeout=60)
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def run_cli(args: list[str], env: dict, workdir: Path, log_name: str = "cli") -> dict:
    """Run `python -m pipelines <args>` in a fresh process; wall/CPU seconds, peak RSS and exit code.

    The child runs in `workdir` (no stray .env is read) with the repo's config, the given
    environment on top of this one (credentials of real sources removed) and telemetry off.
    """
    full_env = {
        **_clean_env(),
        "DPL_CONFIG_DIR": str(REPO / "config"),
        "DLT_DATA_DIR": str(Path(workdir) / "dlt"),
        "DPL_WAREHOUSE": str(Path(workdir) / "warehouse.duckdb"),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "PYTHONPATH": str(REPO),
        **env,
    }
    log_path, peak_path = Path(workdir) / f"{log_name}.log", Path(workdir) / f"{log_name}.peak"
    command = [PYTHON, str(REPO / "bench" / "peak.py"), str(peak_path), "-m", "pipelines", *args]
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=workdir, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": float(peak_path.read_text()) if peak_path.exists() else None,
        "exit_code": os.waitstatus_to_exitcode(status),
        "log": str(log_path),
    }


def last_run(bronze_dir: Path, source: str) -> dict:
    """The newest audit row of `source` (runs.parquet)."""
    from pipelines.bronze.ledger import read_ledger

    rows = read_ledger(bronze_dir, source, "runs")
    if not rows:
        raise RuntimeError(f"no audit row for {source} in {bronze_dir}")
    return rows[-1]


def require_success(result: dict, bronze_dir: Path, source: str) -> dict:
    """The run's audit row; a failed run stops the benchmark with the tail of its log."""
    row = None
    with contextlib.suppress(RuntimeError):
        row = last_run(bronze_dir, source)
    if result["exit_code"] != 0 or row is None or row["status"] != "success":
        tail = Path(result["log"]).read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{source} sync failed (exit {result['exit_code']}):\n{tail}")
    return row


def _clean_env() -> dict:
    """This environment without any real source's credentials or URLs."""
    prefixes = ("JIRA_", "BITBUCKET_", "JENKINS_", "DPL_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
