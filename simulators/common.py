"""Shared machinery of the API simulators: routing, auth, latency, rate limits, faults, call log.

Each simulator (jira, bitbucket, jenkins) is a `World` (deterministic data from a seed, with
`advance()` to change it between runs) plus a list of routes. `SimServer` serves them on a free
loopback port in a background thread, so tests, the demo and benchmarks all use the same code.

Control endpoints (no auth, never faulted), for tests and scripts:
  GET  /__sim/requests        the call log: [{"method","path","query","status","ts"}]
  POST /__sim/requests/reset  clear the call log
  POST /__sim/advance?n=N     advance the world N steps (updates, additions, deletions)
  POST /__sim/knobs           change knobs at run time (JSON body with any `Knobs` field)
  GET  /__sim/knobs           current knobs
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import math
import random
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import orjson

FAULT_KINDS = ("429", "500", "502", "503", "reset", "timeout", "truncated", "malformed")


@dataclasses.dataclass
class Knobs:
    """Run-time behaviour of a simulator, changeable through POST /__sim/knobs."""

    latency_ms: float = 0.0
    rate_limit_per_min: int = 0  # 0 = unlimited; beyond it: 429 with Retry-After
    retry_after_s: int = 1
    fault_rate: float = 0.0  # share of requests answered with a fault from fault_kinds
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    fault_seed: int = 0
    timeout_s: float = 3.0  # how long a "timeout" fault stalls before answering nothing
    suspended: bool = False  # answer every call as a suspended site would


@dataclasses.dataclass
class Request:
    """What a route handler sees of one HTTP request."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: re.Match
    base_url: str

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        return self.query.get(name, [])

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name)
        try:
            return int(value) if value not in (None, "") else default
        except ValueError as exc:
            raise HttpError(400, {"errorMessages": [f"{name} must be an integer"]}) from exc

    def json(self):
        try:
            return orjson.loads(self.body or b"{}")
        except orjson.JSONDecodeError as exc:
            raise HttpError(400, {"errorMessages": ["request body is not valid JSON"]}) from exc


@dataclasses.dataclass
class Response:
    status: int = 200
    body: object = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    content_type: str = "application/json;charset=UTF-8"


class HttpError(Exception):
    """Raised by a handler to answer with an error status and JSON body."""

    def __init__(self, status: int, body: object = None, headers: dict | None = None):
        super().__init__(status)
        self.response = Response(status, body if body is not None else {}, headers or {})


Handler = Callable[[Request], Response | object]


class Router:
    """Routes (method, path regex) to handlers; the first match wins."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern, Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(f"^{pattern}$"), handler))

    def route(self, method: str, pattern: str):
        def decorator(handler: Handler) -> Handler:
            self.add(method, pattern, handler)
            return handler

        return decorator

    def find(self, method: str, path: str) -> tuple[Handler | None, re.Match | None, bool]:
        path_known = False
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if match:
                path_known = True
                if route_method == method:
                    return handler, match, True
        return None, None, path_known


class World:
    """Base of a simulator's data; subclasses generate from `seed` and implement `advance`."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.lock = threading.RLock()
        self.step = 0

    def advance(self, n: int = 1) -> dict:
        """Change the world n steps; return a summary of what changed."""
        raise NotImplementedError


@dataclasses.dataclass
class Auth:
    """Accepted credentials: Basic (user, secret) pairs and Bearer tokens."""

    basic: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    bearer: list[str] = dataclasses.field(default_factory=list)

    def accepts(self, header: str | None) -> bool:
        if not self.basic and not self.bearer:
            return True
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return value in self.bearer
        if scheme.lower() == "basic":
            try:
                user, _, secret = base64.b64decode(value).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return False
            return (user, secret) in self.basic
        return False


class SimServer(ThreadingHTTPServer):
    """A simulator on a loopback port, served from a daemon thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        name: str,
        world: World,
        router: Router,
        auth: Auth,
        knobs: Knobs | None = None,
        port: int = 0,
        unauthorized: Callable[[], Response] | None = None,
        suspended: Callable[[], Response] | None = None,
    ) -> None:
        super().__init__(("127.0.0.1", port), _RequestHandler)
        self.name = name
        self.world = world
        self.router = router
        self.auth = auth
        self.knobs = knobs or Knobs()
        self.log: list[dict] = []
        self.log_lock = threading.Lock()
        self.window: deque[float] = deque()
        self.fault_rng = random.Random(self.knobs.fault_seed)
        self.unauthorized = unauthorized or (lambda: Response(401, {"message": "Unauthorized"}))
        self.suspended = suspended or (lambda: Response(503, {"message": "Site suspended"}))
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SimServer:
        self.thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sim-{self.name}", daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def requests(self, path_prefix: str = "") -> list[dict]:
        """The call log (API calls only, control endpoints excluded)."""
        with self.log_lock:
            return [r for r in self.log if r["path"].startswith(path_prefix)]

    def reset_log(self) -> None:
        with self.log_lock:
            self.log.clear()

    def set_knobs(self, **changes) -> None:
        for key, value in changes.items():
            if not hasattr(self.knobs, key):
                raise ValueError(f"unknown knob {key!r}")
            if key == "fault_kinds":
                value = tuple(value)
            setattr(self.knobs, key, value)
        if "fault_seed" in changes:
            self.fault_rng = random.Random(self.knobs.fault_seed)

    # -- per-request policy -------------------------------------------------------------

    def rate_limit(self) -> tuple[Response | None, dict[str, str]]:
        """(a 429 when the last 60 s used the limit up, the `X-RateLimit-*` headers of this answer).

        Like Jira Cloud, every answer carries the limit and the calls remaining while a limit is on;
        `X-RateLimit-Reset` (epoch seconds) is when the oldest call of the window leaves it, the first
        moment one more call is allowed."""
        limit = self.knobs.rate_limit_per_min
        if not limit:
            return None, {}
        now = time.monotonic()
        with self.log_lock:
            while self.window and now - self.window[0] > 60:
                self.window.popleft()
            remaining = limit - len(self.window)
            frees_in = 60 - (now - self.window[0]) if self.window else 0.0
            headers = {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(max(remaining - 1, 0)),
                "X-RateLimit-Reset": str(math.ceil(time.time() + frees_in)),
            }
            if remaining <= 0:
                headers["Retry-After"] = str(self.knobs.retry_after_s)
                return Response(429, {"errorMessages": ["Rate limit exceeded."]}, headers), {}
            self.window.append(now)
        return None, headers

    def pick_fault(self) -> str | None:
        if self.knobs.fault_rate <= 0:
            return None
        with self.log_lock:
            if self.fault_rng.random() >= self.knobs.fault_rate:
                return None
            return self.fault_rng.choice(self.knobs.fault_kinds)


class _RequestHandler(BaseHTTPRequestHandler):
    server: SimServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # header and body go out as separate writes: no 40 ms stalls

    def log_message(self, format, *args):
        return

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        self.limit_headers: dict[str, str] = {}  # set by _dispatch once the request counts against a limit
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if parts.path.startswith("/__sim/"):
            self._send(self._control(method, parts.path, query, body))
            return
        server = self.server
        if server.knobs.latency_ms:
            time.sleep(server.knobs.latency_ms / 1000.0)
        response = self._dispatch(method, parts.path, query, body)
        with server.log_lock:
            server.log.append(
                {
                    "method": method,
                    "path": parts.path,
                    "query": {k: v if len(v) > 1 else v[0] for k, v in query.items()},
                    "status": response.status if isinstance(response, Response) else 0,
                    "ts": time.time(),
                }
            )
        if isinstance(response, Response):
            if self.limit_headers:
                response = dataclasses.replace(response, headers={**self.limit_headers, **response.headers})
            self._send(response)
        else:
            self._fault(response)

    def _dispatch(self, method, path, query, body) -> Response | str:
        server = self.server
        if not server.auth.accepts(self.headers.get("Authorization")):
            return server.unauthorized()
        if server.knobs.suspended:
            return server.suspended()
        limited, self.limit_headers = server.rate_limit()
        if limited:
            return limited
        fault = server.pick_fault()
        if fault == "429":
            headers = {"Retry-After": str(server.knobs.retry_after_s)}
            return Response(429, {"errorMessages": ["Rate limit exceeded."]}, headers)
        if fault in ("500", "502", "503"):
            headers = {"Retry-After": "0"} if fault == "503" else {}
            return Response(int(fault), b"<html><body>Server Error</body></html>", headers, "text/html")
        if fault in ("reset", "timeout"):
            return fault
        handler, match, path_known = server.router.find(method, path)
        if handler is None:
            status = 405 if path_known else 404
            return Response(status, {"errorMessages": [f"No route for {method} {path}"]})
        base_url = f"http://{self.headers.get('Host') or server.url.split('//')[1]}"
        request = Request(method, path, query, dict(self.headers), body, match, base_url)
        try:
            with server.world.lock:
                result = handler(request)
        except HttpError as exc:
            return exc.response
        response = result if isinstance(result, Response) else Response(200, result)
        if fault in ("truncated", "malformed"):
            return _corrupt(response, fault)
        return response

    def _control(self, method, path, query, body) -> Response:
        server = self.server
        if path == "/__sim/requests" and method == "GET":
            return Response(200, server.requests())
        if path == "/__sim/requests/reset" and method == "POST":
            server.reset_log()
            return Response(200, {"ok": True})
        if path == "/__sim/advance" and method == "POST":
            steps = int(query.get("n", ["1"])[0])
            with server.world.lock:
                return Response(200, server.world.advance(steps))
        if path == "/__sim/knobs":
            if method == "POST":
                try:
                    server.set_knobs(**orjson.loads(body or b"{}"))
                except (ValueError, TypeError) as exc:
                    return Response(400, {"error": str(exc)})
            return Response(200, dataclasses.asdict(server.knobs))
        return Response(404, {"error": f"unknown control endpoint {path}"})

    def _send(self, response: Response) -> None:
        body = response.body
        if not isinstance(body, bytes | bytearray):
            body = orjson.dumps(body)
        headers = dict(response.headers)
        promised = headers.pop("X-Sim-Truncated", None)  # announce more than is sent, then hang up
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", promised or str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        if promised:
            self.close_connection = True

    def _fault(self, kind: str) -> None:
        if kind == "timeout":
            time.sleep(self.server.knobs.timeout_s)
        # "reset": close the socket without answering (RST thanks to SO_LINGER 0).
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _corrupt(response: Response, kind: str) -> Response:
    body = response.body if isinstance(response.body, bytes) else orjson.dumps(response.body)
    if kind == "truncated":
        # Content-Length promises the full body, half of it arrives: a truncated transfer.
        return Response(response.status, body[: max(len(body) // 2, 1)], {"X-Sim-Truncated": str(len(body))})
    return Response(
        response.status,
        b"<html><head><title>Oops</title></head><body>Bad gateway</body></html>",
        response.headers,
        "text/html",
    )


def page_window(items: list, start: int, size: int) -> tuple[list, bool]:
    """Slice items[start:start+size]; return (page, is_last)."""
    page = items[start : start + size]
    return page, start + size >= len(items)


def iso_jira(ts: float) -> str:
    """Jira's timestamp format: 2024-01-31T10:11:12.345+0000 (UTC here)."""
    millis = round(ts * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{millis:03d}+0000"


def iso_bitbucket(ts: float) -> str:
    """Bitbucket's timestamp format: 2024-01-31T10:11:12.345678+00:00."""
    micros = round(ts * 1_000_000) % 1_000_000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{micros:06d}+00:00"
