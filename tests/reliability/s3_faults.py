"""A small fault proxy in front of an S3 endpoint (moto's server): forwards requests, and injects
500 InternalError, 503 SlowDown or a connection reset (before or after forwarding) on chosen requests."""

from __future__ import annotations

import http.client
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINDS = ("500", "503", "reset", "reset-after")
BODIES = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "SlowDown", "Please reduce your request rate."),
}


class FaultProxy:
    """`FaultProxy(target_port, every=4)`: a fault on every 4th request that `choose` accepts, the kinds in turn."""

    def __init__(self, target_port: int, every: int = 1, kinds=KINDS, choose=None) -> None:
        self.target_port = target_port
        self.every = every
        self.kinds = kinds
        self.choose = choose or (lambda method, path: True)
        self.chosen = 0
        self.lock = threading.Lock()
        self.injected: list[tuple[str, str, str]] = []  # (kind, method, path)
        self.requests = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                proxy.handle(self)

            do_PUT = do_POST = do_DELETE = do_HEAD = do_GET  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda *args: None  # the resets we inject end connections abruptly
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _fault(self, method: str, path: str) -> str | None:
        with self.lock:
            self.requests += 1
            if not self.choose(method, path):
                return None
            self.chosen += 1
            if self.chosen % self.every:
                return None
            kind = self.kinds[(self.chosen // self.every - 1) % len(self.kinds)]
            self.injected.append((kind, method, path))
            return kind

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        kind = self._fault(request.command, request.path)
        if kind == "reset":
            _reset(request)
            return
        if kind in BODIES:
            status, code, message = BODIES[kind]
            payload = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
            request.send_response(status)
            request.send_header("Content-Type", "application/xml")
            request.send_header("Content-Length", str(len(payload)))
            request.end_headers()
            request.wfile.write(payload)
            return
        upstream = http.client.HTTPConnection("127.0.0.1", self.target_port, timeout=30)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("connection", "keep-alive")}
        upstream.request(request.command, request.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        if kind == "reset-after":  # the request did reach the store; the client never hears back
            _reset(request)
            return
        request.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                request.send_header(key, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        if request.command != "HEAD":
            request.wfile.write(data)


def _reset(request: BaseHTTPRequestHandler) -> None:
    """Close the client's connection with a TCP RST."""
    request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    request.close_connection = True
    request.connection.close()
