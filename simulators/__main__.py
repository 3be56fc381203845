"""Start simulators on free loopback ports: python -m simulators --seed 7 --sources jira,bitbucket

Prints (and with --env-file writes) the environment that points the pipelines at them, then
serves until interrupted (SIGINT/SIGTERM).
"""

import argparse
import contextlib
import signal
import sys
import threading

import orjson

from simulators import SIMULATORS, create, env_for
from simulators.common import Knobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sources", default=",".join(SIMULATORS), help="comma-separated simulators")
    parser.add_argument("--scale", default="{}", help='JSON per simulator, e.g. {"jira": {"issues": 500}}')
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--rate-limit", type=int, default=0, help="requests per minute before 429")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--env-file", help="write KEY=VALUE lines for the pipelines here")
    args = parser.parse_args(argv)

    scale = orjson.loads(args.scale)
    servers = []
    for name in [s.strip() for s in args.sources.split(",") if s.strip()]:
        knobs = Knobs(latency_ms=args.latency_ms, rate_limit_per_min=args.rate_limit, fault_rate=args.fault_rate)
        servers.append((name, create(name, seed=args.seed, scale=scale.get(name), knobs=knobs).start()))
    lines = [f"{key}={value}" for name, server in servers for key, value in env_for(name, server).items()]
    if args.env_file:
        with open(args.env_file, "w") as handle:
            handle.write("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    for _, server in servers:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
