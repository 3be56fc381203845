"""Shared machinery of the reliability suite: the simulator lab, subprocess runs, silver fingerprints,
cursor and orphan checks, and the canary scan.

"Same silver result" (see README.md): for every table of the warehouse except the build's own
bookkeeping (`_silver_files`, `_silver_state`), the same row count and the same `bit_xor` of row
hashes over the *business* columns — every column except those that name the run or the moment of
ingestion (`VOLATILE`), which legitimately differ between two runs that read the same data. Views
are functions of the tables, so equal tables give equal views; the soak variants compare them too.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import copy
import dataclasses
import functools
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.parse
import uuid
from pathlib import Path

import duckdb
import orjson
import pyarrow.parquet as pq
import yaml
import zstandard

from pipelines.bronze.ledger import cursor_after, read_ledger
from pipelines.silver.warehouse import table_checksum
from tests.conftest import REPO

SOAK = os.environ.get("DPL_SOAK") == "1"
DRIVER = Path(__file__).with_name("driver.py")
PYTHON = sys.executable
SOURCES = ("jira", "bitbucket", "jenkins")
ADVANCE_STEPS = 3  # world changes between the first (full) and the second (incremental) sync

CANARY = "CANARY-9f3e7d1c-do-not-leak"
USERS = {"jira": "demo@example.com", "bitbucket": "sim-user", "jenkins": "sim-user"}
BITBUCKET_EMAIL = "sim-user@example.com"

_BB = {"repos": 2, "prs_per_repo": 6, "commits_per_repo": 10, "big_repo_factor": 2}
SCALES = {
    "jira": {
        "issues": 40,
        "projects": 3,
        "users": 12,
        "custom_fields": 20,
        "sprints_per_board": 4,
        "versions_per_project": 3,
        "long_share": 0.1,
        "long_comments": 30,
        "long_worklogs": 30,
        "long_changelog": 50,
    },
    "bitbucket": _BB,
    "jenkins": {"jobs": 1, "builds_per_job": 4, "big_job_builds": 105, "bitbucket": _BB},
}
if SOAK:
    _BB = {"repos": 4, "prs_per_repo": 14, "commits_per_repo": 30, "big_repo_factor": 4}
    SCALES = {"jira": {"issues": 400}, "bitbucket": _BB, "jenkins": {"bitbucket": _BB}}

FIGURES: collections.Counter = collections.Counter()  # the suite's figures, printed at the end

# Columns naming a run or an ingestion moment: they differ between two runs reading the same data.
VOLATILE = {"_run_id", "_ingested_at", "census_run_id", "census_started_at", "merged_at", "__run_id"}
BOOKKEEPING = {"_silver_files", "_silver_state"}
JENKINS_NUMBER_SPAN = 10**10  # pipelines/dlt/resources/jenkins/builds.py NUMBER_SPAN


# -- the canary ---------------------------------------------------------------------------------


@functools.cache
def canary_forms() -> tuple[str, ...]:
    """The canary as it could leak: plain, URL-quoted, and in every Basic-auth encoding we use."""
    users = {*USERS.values(), BITBUCKET_EMAIL, "dpl"}
    forms = {CANARY, urllib.parse.quote(CANARY), base64.b64encode(CANARY.encode()).decode()}
    forms |= {base64.b64encode(f"{user}:{CANARY}".encode()).decode() for user in users}
    return tuple(sorted(forms))


def canary_hits(text: str | bytes) -> list[str]:
    """The canary forms found in `text`."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return sorted(set(_canary_pattern().findall(text)))


@functools.cache
def _canary_pattern() -> re.Pattern:
    return re.compile("|".join(re.escape(form) for form in canary_forms()))


def scan_tree(root: Path) -> list[str]:
    """Every file under `root` (zstd and parquet decoded, DuckDB tables dumped) holding the canary."""
    found = []
    for path in sorted(Path(root).rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            text = _readable(path)
        except Exception as exc:
            text = f"unreadable: {exc}"
        if canary_hits(text):
            found.append(f"{path}: {canary_hits(text)}")
    return found


def _readable(path: Path) -> str:
    raw = path.read_bytes()
    parts = [raw.decode("utf-8", "replace")]
    if path.name.endswith((".zst", ".zst.tmp")):
        with contextlib.suppress(zstandard.ZstdError):
            parts.append(zstandard.ZstdDecompressor().decompressobj().decompress(raw).decode("utf-8", "replace"))
    elif path.suffix == ".parquet" or path.name.endswith(".parquet.tmp"):
        with contextlib.suppress(Exception):  # a torn .tmp ledger: its raw bytes were scanned
            parts.append(json.dumps(pq.read_table(path).to_pylist(), default=str))
    elif path.suffix == ".duckdb":
        parts.append(dump_warehouse(path))
    return "\n".join(parts)


def dump_warehouse(path: Path) -> str:
    """Every row of every table of a warehouse, as text (views only derive from tables)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        return f"(cannot open {path}: {exc})"
    try:
        query = "select table_name from information_schema.tables where table_type = 'BASE TABLE'"
        names = [r[0] for r in con.execute(query).fetchall()]
        return "\n".join(str(con.execute(f'select * from "{name}"').fetchall()) for name in names)
    finally:
        con.close()


# -- the simulator lab --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclasses.dataclass
class Reference:
    """A clean run's bronze, its silver fingerprint and how often each driver point was hit."""

    bronze: Path
    fingerprint: dict
    counts: dict


class Lab:
    """One simulator per source on a fixed loopback port, at a chosen world step, with canary credentials.

    Bronze payloads quote the server's URL (`self` links), so every run of a source must talk to the
    same port: a world at another step is a new server on the same port. Clean reference runs are
    cached for the whole session.
    """

    def __init__(self, root: Path, webhook_url: str) -> None:
        self.root = root
        self.webhook_url = webhook_url
        self.ports = {name: free_port() for name in SOURCES}
        self.servers: dict[str, object] = {}
        self.steps: dict[str, int] = {}
        self.dirty: set[str] = set()
        self.references: dict[tuple[str, str], Reference] = {}

    def server(self, source: str, step: int = 0, fresh: bool = False):
        """The source's simulator at world `step` (a new one when `fresh`: default knobs and routes)."""
        from simulators import create

        current = self.servers.get(source)
        if current is not None and self.steps[source] == step and not fresh and source not in self.dirty:
            return current
        if current is not None:
            current.stop()
        server = create(source, seed=7, scale=copy.deepcopy(SCALES[source]), port=self.ports[source])
        if step:
            server.world.advance(step)
        auth = server.auth
        auth.basic = [(USERS[source], CANARY)] + ([(BITBUCKET_EMAIL, CANARY)] if source == "bitbucket" else [])
        auth.bearer = [CANARY] if source == "bitbucket" else []
        self.servers[source], self.steps[source] = server.start(), step
        if fresh:
            self.dirty.add(source)  # the caller may change knobs or routes: never reuse it
        else:
            self.dirty.discard(source)
        return server

    def env(self, *sources: str) -> dict[str, str]:
        """Connection variables of the given sources, every credential being the canary."""
        from simulators import env_for

        env = {"DPL_SLACK_WEBHOOK_URL": self.webhook_url, "DPL_SMTP_PASSWORD": CANARY}
        for source in sources:
            server = self.servers.get(source) or self.server(source)
            env.update(env_for(source, server))
        if "jira" in sources:
            env["JIRA_API_TOKEN"] = CANARY
        if "bitbucket" in sources:
            env.update(BITBUCKET_APP_PASSWORD=CANARY, BITBUCKET_TOKEN=CANARY)
        if "jenkins" in sources:
            env["JENKINS_TOKEN"] = CANARY
        return env

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()

    # -- clean references ----------------------------------------------------------------------

    def reference(self, source: str, kind: str) -> Reference:
        """A clean run, cached: `full0` (full at step 0), `full1` (full at the advanced step),
        `incr1` (`full0`'s bronze, then an incremental run at the advanced step)."""
        key = (source, kind)
        if key not in self.references:
            if kind == "incr1":
                base = self.reference(source, "full0")
            folder = self.root / f"ref-{source}-{kind}"
            bronze = folder / "bronze"
            if kind == "incr1":
                shutil.copytree(base.bronze, bronze)
            self.server(source, 0 if kind == "full0" else ADVANCE_STEPS)
            counts = folder / "counts.json"
            args = ["sync", source] + ([] if kind == "incr1" else ["--full"])
            done = run_driver(args, self.run_env(source, folder), counts=counts)
            assert done.returncode == 0, done.stdout + done.stderr
            silver = fingerprint(bronze, folder / "silver.duckdb")
            self.references[key] = Reference(bronze, silver, json.loads(counts.read_text()))
        return self.references[key]

    def run_env(self, source: str | tuple, folder: Path, config: Path | None = None) -> dict[str, str]:
        """The environment of a CLI subprocess writing into `folder`."""
        sources = (source,) if isinstance(source, str) else source
        folder.mkdir(parents=True, exist_ok=True)
        return {
            **os.environ,
            **self.env(*sources),
            "DPL_CONFIG_DIR": str(config or REPO / "config"),
            "DPL_BRONZE_DIR": str(folder / "bronze"),
            "DPL_WAREHOUSE": str(folder / "warehouse.duckdb"),
            "DLT_DATA_DIR": str(folder / "dlt"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
            "PYTHONPATH": str(REPO),
        }


def override(server, pattern: str, status: int = 200, body=None, *, method="GET", when=None, handler=None) -> None:
    """Answer paths matching `pattern` ahead of every simulator route: with `handler(request)`, or
    with `status` and `body` (only when `when(request)` holds, if given)."""
    from simulators.common import Response

    original = server.router.find

    def answer(request):
        if handler is not None:
            return handler(request)
        if when is None or when(request):
            return Response(status, body if body is not None else {"errorMessages": [f"answered {status} by a test"]})
        found, match, _ = original(request.method, request.path)
        request.match = match
        return found(request)

    def find(verb, path):
        match = re.fullmatch(pattern, path)
        if match and verb == method:
            return answer, match, True
        return original(verb, path)

    server.router.find = find


# -- running the CLI ----------------------------------------------------------------------------

OUTPUTS: list[str] = []  # every stdout/stderr of the suite, scanned for the canary at the end of each test


class Zygote:
    """A `driver.py --serve` fork server: each run is a forked child, killable on its own."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, str(DRIVER), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "RUNTIME__DLTHUB_TELEMETRY": "false", "PYTHONPATH": str(REPO)},
        )
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def run(self, argv: list[str], env: dict, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
        out, err = cwd / f".out-{uuid.uuid4().hex[:8]}", cwd / f".err-{uuid.uuid4().hex[:8]}"
        command = {"argv": argv, "env": env, "cwd": str(cwd), "stdout": str(out), "stderr": str(err)}
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        pid = self.lines.get(timeout=60)["pid"]
        try:
            answer = self.lines.get(timeout=timeout)
        except queue.Empty:
            os.kill(pid, signal.SIGKILL)
            self.lines.get(timeout=30)
            raise TimeoutError(f"driver {argv} still running after {timeout} s") from None
        texts = [path.read_text(errors="replace") for path in (out, err)]
        out.unlink()
        err.unlink()
        return subprocess.CompletedProcess(argv, answer["code"], *texts)

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class ZygotePool:
    """`size` fork servers shared by threads (one run per server at a time)."""

    def __init__(self, size: int = 2) -> None:
        self.idle: queue.Queue = queue.Queue()
        self.all = [Zygote() for _ in range(size)]
        for zygote in self.all:
            self.idle.put(zygote)

    def run(self, argv, env, cwd, timeout):
        zygote = self.idle.get()
        try:
            return zygote.run(argv, env, cwd, timeout)
        finally:
            self.idle.put(zygote)

    def close(self) -> None:
        for zygote in self.all:
            zygote.close()


POOL: ZygotePool | None = None  # set by the `lab` fixture


def run_driver(cli: list[str], env: dict, *, kill=None, hold=None, fail=None, counts=None, timeout=180):
    """Run the CLI under the instrumenting driver in its own process; return a CompletedProcess."""
    argv = []
    for flag, value in (("--kill", kill), ("--hold", hold), ("--fail", fail)):
        for one in [value] if isinstance(value, str) else value or ():
            argv += [flag, one]
    if counts:
        argv += ["--counts", str(counts)]
    argv += ["--", *cli]
    bronze = env.get("DPL_BRONZE_DIR", "/tmp")
    cwd = Path(bronze).parent if "://" not in bronze else Path(env["DPL_WAREHOUSE"]).parent  # s3://: the warehouse's
    cwd.mkdir(parents=True, exist_ok=True)
    if POOL is not None:
        done = POOL.run(argv, env, cwd, timeout)
    else:
        done = subprocess.run(
            [PYTHON, str(DRIVER), *argv], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    OUTPUTS.append(done.stdout + done.stderr)
    return done


def run_cli(cli: list[str], env: dict, timeout=180) -> subprocess.CompletedProcess:
    """`python -m pipelines <cli>` in a subprocess."""
    done = subprocess.run(
        [PYTHON, "-m", "pipelines", *cli], env=env, cwd=env.get("DPL_BRONZE_DIR", "/").rsplit("/", 1)[0],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    OUTPUTS.append(done.stdout + done.stderr)
    return done


def captured(capsys) -> str:
    """What an in-process CLI call printed (stdout + stderr), kept for the canary scan."""
    got = capsys.readouterr()
    OUTPUTS.append(got.out + got.err)
    return got.out + got.err


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error:")]


def assert_one_classified_line(text: str, error_class: str) -> str:
    """Exactly one `error:` line, of the given class, with advice after an em dash; no traceback."""
    assert "Traceback" not in text, text
    lines = error_lines(text)
    assert len(lines) == 1, text
    assert f"[{error_class}]" in lines[0] and " — " in lines[0], lines[0]
    return lines[0]


# -- configs ------------------------------------------------------------------------------------


def config_copy(folder: Path, **changes) -> Path:
    """A copy of config/ with `sources.yaml` sections updated, e.g. http={"max_attempts": 3}."""
    config = folder / "config"
    shutil.copytree(REPO / "config", config, dirs_exist_ok=True)
    path = config / "sources.yaml"
    data = yaml.safe_load(path.read_text())
    for section, values in changes.items():
        data[section] = {**(data.get(section) or {}), **values}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return config


FAST_HTTP = {
    "connect_timeout_s": 1,
    "read_timeout_s": 0.5,
    "max_attempts": 12,
    "max_elapsed_s": 60,
    "backoff_base_s": 0.01,
    "backoff_max_s": 0.05,
}


# -- silver -------------------------------------------------------------------------------------


def settings_for(bronze: Path, warehouse: Path, config: Path | None = None):
    from pipelines.settings import load_settings

    return load_settings(
        {
            "DPL_CONFIG_DIR": str(config or REPO / "config"),
            "DPL_BRONZE_DIR": str(bronze),
            "DPL_WAREHOUSE": str(warehouse),
        }
    )


def fingerprint(bronze: Path, warehouse: Path) -> dict[str, tuple[int, int]]:
    """`silver_fingerprint`, computed in a forked driver process when the pool runs (in parallel, off
    the GIL of this process, which serves the simulators)."""
    if POOL is None:
        return silver_fingerprint(bronze, warehouse)
    env = {**os.environ, "DPL_BRONZE_DIR": str(bronze), "DPL_WAREHOUSE": str(warehouse), "PYTHONPATH": str(REPO)}
    done = run_driver(["fingerprint", str(bronze), str(warehouse)], env)
    assert done.returncode == 0, done.stderr
    return {name: tuple(value) for name, value in json.loads(done.stdout.strip().splitlines()[-1])}


def silver_fingerprint(bronze: Path, warehouse: Path) -> dict[str, tuple[int, int]]:
    """Build silver from `bronze` into a new `warehouse`; {relation: (rows, digest of business columns)}."""
    from pipelines.silver import build_silver

    warehouse.unlink(missing_ok=True)
    build_silver(settings_for(bronze, warehouse), full=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    kinds = "('BASE TABLE', 'VIEW')" if SOAK else "('BASE TABLE')"
    try:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                f"where table_schema = 'main' and table_type in {kinds} order by 1"
            ).fetchall()
            if r[0] not in BOOKKEEPING
        ]
        result = {}
        for name in names:
            columns = [r[0] for r in con.execute(f'describe "{name}"').fetchall() if r[0] not in VOLATILE]
            listed = ", ".join(f'"{c}"' for c in columns)
            result[name] = table_checksum(con, f'(select {listed} from "{name}")')
        return result
    finally:
        con.close()


def rerun_problems(name: str, bronze: Path, warehouse: Path, reference: Reference, source: str) -> list[str]:
    """After a re-run: silver equal to the clean run's, no duplicate key, no cursor ahead of published data."""
    problems = []
    diff = fingerprint_diff(fingerprint(bronze, warehouse), reference.fingerprint)
    if diff:
        problems.append(f"{name}: silver differs from a clean run: {diff}")
    if duplicate_keys(warehouse):
        problems.append(f"{name}: duplicate silver keys {duplicate_keys(warehouse)}")
    violations, _ = cursor_violations(bronze, reference.bronze, source)
    return problems + [f"{name}: after the re-run: {v}" for v in violations]


def duplicate_keys(warehouse: Path) -> dict[str, int]:
    """{table: rows beyond one per unique key} for every stored model with a unique key."""
    from pipelines.silver.models import load_models

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        extra = {}
        for model in load_models():
            if not model.unique_key or model.materialized not in ("merge", "table"):
                continue
            keys = ", ".join(model.unique_key)
            count, distinct = con.execute(f"select count(*), count(distinct ({keys})) from {model.name}").fetchone()
            if count != distinct:
                extra[model.name] = count - distinct
        return extra
    finally:
        con.close()


def fingerprint_diff(got: dict, want: dict) -> dict:
    return {k: (got.get(k), want.get(k)) for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)}


def silver_files(warehouse: Path) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {r[0] for r in con.execute("select path from _silver_files").fetchall()}
    finally:
        con.close()


# -- bronze -------------------------------------------------------------------------------------


def manifest_rows(bronze: Path, source: str) -> list[dict]:
    return read_ledger(bronze, source, "manifest")


def rows(bronze: Path, source: str, kind: str) -> list[dict]:
    """The rows of one ledger (manifest, cursors, runs)."""
    return read_ledger(bronze, source, kind)


def runs_rows(bronze: Path, source: str) -> list[dict]:
    return read_ledger(bronze, source, "runs")


def cursor_rows(bronze: Path, source: str) -> list[dict]:
    return read_ledger(bronze, source, "cursors")


def envelopes(bronze: Path, source: str) -> list[dict]:
    """Every envelope of the files listed in the source's manifest."""
    lines = []
    for row in manifest_rows(bronze, source):
        with open(bronze / row["path"], "rb") as handle, zstandard.ZstdDecompressor().stream_reader(handle) as reader:
            lines.extend(json.loads(line) for line in reader.read().splitlines())  # exact big integers
    return lines


def latest_payloads(bronze: Path, source: str) -> dict[tuple[str, str, str], str]:
    """{(source, stream, __id): the latest payload (by ingestion time, then manifest order), as canonical JSON}
    over the files listed in the manifest (`_rejected` left out: it has no ids)."""
    latest: dict[tuple[str, str, str], tuple[str, str]] = {}
    for envelope in envelopes(bronze, source):
        if envelope["__stream"] == "_rejected":
            continue
        key = (envelope["__source"], envelope["__stream"], str(envelope["__id"]))
        stamp = envelope["__ingested_at_utc"]
        if key not in latest or stamp >= latest[key][0]:
            latest[key] = (stamp, json.dumps(envelope["payload"], sort_keys=True))
    return {key: payload for key, (_, payload) in latest.items()}


def payload_variants(bronze: Path, source: str) -> dict[tuple[str, str, str], set[str]]:
    """Per (source, stream, __id), every payload the latest run that wrote it wrote for it: a record seen
    from two parents in one run (an issue link, from both of its issues) may end up as either view."""
    written: dict[tuple[str, str, str], tuple[str, set[str]]] = {}
    for envelope in envelopes(bronze, source):
        if envelope["__stream"] == "_rejected":
            continue
        key = (envelope["__source"], envelope["__stream"], str(envelope["__id"]))
        run, payload = envelope["__run_id"], json.dumps(envelope["payload"], sort_keys=True)
        if key not in written or run > written[key][0]:
            written[key] = (run, {payload})
        elif run == written[key][0]:
            written[key][1].add(payload)
    return {key: payloads for key, (_, payloads) in written.items()}


def payload_diff(got: dict, want: dict, limit: int = 5) -> list[str]:
    """How bronze's `latest_payloads` differ from a clean run's `payload_variants`: ids missing, extra, or
    whose latest payload is none the clean run's latest run wrote for them (a few of each)."""
    missing = sorted(want.keys() - got.keys())
    extra = sorted(got.keys() - want.keys())
    changed = sorted(k for k in want.keys() & got.keys() if got[k] not in want[k])
    out = []
    for label, keys in (("missing", missing), ("extra", extra), ("other payload", changed)):
        if keys:
            out.append(f"{len(keys)} {label}: {['|'.join(k) for k in keys[:limit]]}")
    return out


def scope_of(envelope: dict) -> str:
    """The cursor scope a record belongs to (project key, repository, job, or `*`)."""
    parent = envelope.get("__parent")
    if isinstance(parent, dict):
        for key in ("job", "repository", "project_key"):
            if parent.get(key):
                return parent[key]
        if parent.get("issue_key"):
            return parent["issue_key"].rsplit("-", 1)[0]
    payload = envelope.get("payload")
    project = ((payload or {}).get("fields") or {}).get("project") if isinstance(payload, dict) else None
    return project["key"] if isinstance(project, dict) and project.get("key") else "*"


def cursor_violations(bronze: Path, reference: Path, source: str) -> tuple[list[str], int]:
    """Cursors ahead of published data: (problems, cursors checked).

    A stored cursor (stream, scope, value) is backed when every record of that stream and scope
    that a clean run at the same world state received with a cursor value <= value is in a file
    listed in the manifest. Bitbucket commit cursors (branch heads) are backed when every head is;
    Jenkins build cursors (`newest build time * 10**10 + number`) compare by their number.
    """
    published = {(e["__stream"], str(e["__id"]), str(e["__cursor"])) for e in envelopes(bronze, source)}
    wanted = _cursored_records(reference, source)
    problems, checked = [], 0
    for row in cursor_rows(bronze, source):
        stream, scope, value = row["stream"], row["scope"], row["cursor_value"]
        if stream == "commits" and source == "bitbucket":
            checked += 1
            heads = orjson.loads(value)["heads"]
            ids = {i for s, i, _ in published if s == "commits"}
            missing = [h for h in heads.values() if f"{scope}#{h}" not in ids]
            problems += [f"commits/{scope}: head {h} not published" for h in missing]
            continue
        records = wanted.get((stream, scope))
        if not records:
            continue
        checked += 1
        if source == "jenkins" and stream == "builds":
            value = str(int(value) % JENKINS_NUMBER_SPAN)  # `built_ms * 10**10 + number`: the number part
        for record_id, record_cursor in records:
            if not cursor_after(record_cursor, value) and (stream, record_id, str(record_cursor)) not in published:
                problems.append(f"{stream}/{scope}: cursor {value} but {record_id} ({record_cursor}) not published")
    return problems, checked


@functools.cache
def _cursored_records(reference: Path, source: str) -> dict[tuple[str, str], list[tuple[str, object]]]:
    """{(stream, scope): [(id, cursor)]} of a (never changing) reference bronze."""
    wanted: dict[tuple[str, str], list[tuple[str, object]]] = {}
    for e in envelopes(reference, source):
        if e["__cursor"] is not None and e["__stream"] != "_rejected":
            wanted.setdefault((e["__stream"], scope_of(e)), []).append((str(e["__id"]), e["__cursor"]))
    return wanted
