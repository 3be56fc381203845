"""Run the CLI in this process with instrumented internals: count, kill, hold or fail at a chosen call.

    python tests/reliability/driver.py [--kill POINT:N] [--hold POINT:N:DIR] [--fail POINT:N:ERRNO]
                                       [--counts FILE] -- <cli arguments>
    python tests/reliability/driver.py -- fingerprint BRONZE WAREHOUSE   (support.silver_fingerprint as JSON)

No test hook lives in production code: this script wraps functions of the imported pipelines, then
calls `pipelines.cli.main(<cli arguments>)`. Points (each counted per call, from 1):

  extract          ApiSession.send returned (a response was received, not yet used)
  write            BronzeWriter._append returned (a page is in the part's zstd stream)
  bytes            _HashingFile.write is about to write compressed bytes to the `.tmp` part
  fsync            os.fsync is about to run (parts and ledgers)
  rename           os.replace of a part `.tmp` to its final name is about to run (object storage: its upload)
  renamed          ... has just run (the part is final but not yet in the manifest)
  manifest         os.replace of a manifest segment's .tmp is about to run ("manifest-done": has run)
  cursors          os.replace of cursors.parquet.tmp is about to run ("cursors-done": has run)
  runs             os.replace of runs.parquet.tmp is about to run ("runs-done": has run)
  upsert           upsert_cursors is called (a resource's parts are published)
  resource         the runner is about to run a resource (N-1 resources are committed: a resource boundary)
  call<regex>      an API request whose URL matches <regex> (re.search) is about to be sent (`call/user/bulk`)
  ledger-write     pyarrow writes a ledger's `.tmp` file
  silver-record    build_silver records its merged files (its write transaction is open, not committed)

`--kill` sends SIGKILL to this process at the N-th call; `--hold` writes DIR/held and waits until
DIR/release exists; `--fail` raises OSError(ERRNO) there (e.g. 28 = ENOSPC). `--counts` writes the
number of calls of every point as JSON when the CLI returns (used to choose seeded kill points).

`driver.py --serve` is a fork server: it imports the pipelines once, then for every JSON line on
stdin (`{"argv": [...], "env": {...}, "cwd": ..., "stdout": path, "stderr": path}`) forks a child
that runs `main(argv)` as above (a fresh process image as far as the run is concerned: its own
environment, working directory, output files and pid, killable on its own), and answers
`{"pid": n}` then `{"code": exit status, negative for a signal}`. It saves the ~1.5 s of imports
that would otherwise dominate a suite of short, killed runs.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pyarrow.parquet as pq

from pipelines.bronze import ledger, storage, writer
from pipelines.dlt import http, pipelines
from pipelines.errors import DplError, ErrorClass
from pipelines.silver import build

COUNTS: collections.Counter = collections.Counter()
ACTIONS: dict[str, tuple[int, str, str]] = {}  # point -> (n, action, argument)
REPLACED = {"manifest.parquet": "manifest", "cursors.parquet": "cursors", "runs.parquet": "runs"}


def hit(point: str) -> None:
    """Count a call of `point` and act if it is the chosen one."""
    COUNTS[point] += 1
    chosen = ACTIONS.get(point)
    if chosen is None or chosen[0] != COUNTS[point]:
        return
    _, action, argument = chosen
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "hold":
        folder = Path(argument)
        (folder / "held").write_text(f"{os.getpid()} {point} {COUNTS[point]}")
        deadline = time.monotonic() + 120
        while not (folder / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    elif action == "fail" and argument == "server":
        raise DplError(ErrorClass.SERVER_ERROR, f"fault injected by the test at {point} (call {COUNTS[point]})")
    elif action == "fail":
        code = int(argument)
        raise OSError(code, os.strerror(code))


def after(point: str, function):
    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        hit(point)
        return result

    return wrapped


def before(point: str, function):
    def wrapped(*args, **kwargs):
        hit(point)
        return function(*args, **kwargs)

    return wrapped


def instrument() -> None:
    """Wrap the functions behind every point."""
    http.ApiSession.send = after("extract", http.ApiSession.send)
    http.ApiSession.send = _before_calls(http.ApiSession.send)
    pipelines._run_resource = before("resource", pipelines._run_resource)
    writer.BronzeWriter._append = after("write", writer.BronzeWriter._append)
    writer._HashingFile.write = before("bytes", writer._HashingFile.write)
    pipelines.upsert_cursors = before("upsert", pipelines.upsert_cursors)
    ledger.pq = _LedgerParquet()
    build.record = before("silver-record", build.record)
    os.fsync = before("fsync", os.fsync)
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):
        name = Path(dst).name
        kind = "rename" if name.endswith(writer.SUFFIX) else REPLACED.get(name)
        if Path(dst).parent.name == ledger.MANIFEST_DIR:  # a manifest segment (or a compacted one)
            kind = "manifest"
        if kind is None:
            return real_replace(src, dst, *args, **kwargs)
        hit(kind)
        result = real_replace(src, dst, *args, **kwargs)
        hit("renamed" if kind == "rename" else f"{kind}-done")
        return result

    os.replace = replace
    instrument_object_storage()


def _before_calls(send):
    """Hit the `call<regex>` points whose pattern is found in the request's URL, before it is sent."""

    def wrapped(self, request, *args, **kwargs):
        for point in [p for p in ACTIONS if p.startswith("call")]:
            if re.search(point[4:], request.url):
                hit(point)
        return send(self, request, *args, **kwargs)

    return wrapped


def instrument_object_storage() -> None:
    """The same points on an object store: a part's upload (rename/renamed), ledger PUTs (manifest, cursors, runs)."""
    real_publish = storage.BronzeRoot.publish
    real_call = storage.s3_call

    def publish(self, staged, rel):
        if self.is_local:
            return real_publish(self, staged, rel)
        hit("rename")
        result = real_publish(self, staged, rel)
        hit("renamed")
        return result

    def s3_call(fs, op, key, *args, **kwargs):
        name = key.rsplit("/", 1)[-1]
        kind = "manifest" if f"/{ledger.MANIFEST_DIR}/" in key else REPLACED.get(name)
        if op != "put" or kind is None:
            return real_call(fs, op, key, *args, **kwargs)
        hit(kind)
        result = real_call(fs, op, key, *args, **kwargs)
        hit(f"{kind}-done")
        return result

    storage.BronzeRoot.publish = publish
    storage.s3_call = s3_call


class _LedgerParquet:
    """pyarrow.parquet as the ledger module sees it, with `write_table` counted."""

    def __getattr__(self, name):
        return getattr(pq, name)

    @staticmethod
    def write_table(*args, **kwargs):
        hit("ledger-write")
        return pq.write_table(*args, **kwargs)


def parse_action(text: str, action: str) -> None:
    point, _, rest = text.partition(":")
    n, _, argument = rest.partition(":")
    ACTIONS[point] = (int(n), action, argument)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kill", action="append", default=[])
    parser.add_argument("--hold", action="append", default=[])
    parser.add_argument("--fail", action="append", default=[])
    parser.add_argument("--counts")
    parser.add_argument("cli", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    for action in ("kill", "hold", "fail"):
        for text in getattr(args, action):
            parse_action(text, action)
    instrument()
    from pipelines.cli import main as cli_main

    cli = args.cli[1:] if args.cli[:1] == ["--"] else args.cli
    if cli[:1] == ["fingerprint"]:  # the suite's silver fingerprint, computed in this process
        from tests.reliability.support import silver_fingerprint

        print(json.dumps(list(silver_fingerprint(Path(cli[1]), Path(cli[2])).items())))
        return 0
    try:
        return cli_main(cli)
    finally:
        if args.counts:
            Path(args.counts).write_text(json.dumps(dict(COUNTS)))


def serve() -> None:
    """Fork a child per command line on stdin; report its pid and exit status on stdout."""
    import pipelines.cli
    import pipelines.dlt.resources
    import pipelines.sources

    for name in pipelines.sources.SOURCE_NAMES:
        pipelines.dlt.resources.get(name)
    for line in sys.stdin:
        command = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(command)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        print(json.dumps({"code": code}), flush=True)


def _child(command: dict) -> None:
    code = 70
    try:
        os.environ.clear()
        os.environ.update(command["env"])
        os.chdir(command["cwd"])
        for fd, path in ((1, command["stdout"]), (2, command["stderr"])):
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(out, fd)
            os.close(out)
        sys.stdin.close()
        code = main(command["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        sys.exit(main(sys.argv[1:]))
