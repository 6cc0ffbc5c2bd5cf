"""An HTTP proxy on 127.0.0.1 in front of moto's S3 server that fails on cue: it stops listening
("down": connections refused, open ones cut), answers 500 to everything ("errors"), or holds each
request for a while before passing it on ("slow").

A fault can start at a precise moment: `fail_at(rule, mode)` switches modes when the first
request matching `rule` (method and path) arrives, and that request already gets the fault (a
data file cut off mid-upload); `call_at(rule, action)` runs `action` (stop the catalog's server)
while that request waits; `hold_at(rule)` keeps it until the test releases it (or drops it, as a
client killed mid-upload leaves it). `scope` limits the modes to some requests (the archive's
prefix), the others pass. Every request is logged, so a test waits for one rather than sleeping.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

UP, DOWN, ERRORS, SLOW = "up", "down", "errors", "slow"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    mode: str  # what the proxy did with it


Rule = Callable[[str, str], bool]  # (method, path) -> whether the fault starts here


class Hold:
    """One request kept waiting by the proxy: `arrived` is set when it is; `release` lets it through
    (forward=True) or cuts its connection without an answer (forward=False)."""

    def __init__(self):
        self.arrived = threading.Event()
        self._released = threading.Event()
        self.forward = True

    def release(self, forward: bool = True) -> None:
        self.forward = forward
        self._released.set()

    def __call__(self) -> bool:
        self.arrived.set()
        self._released.wait(120)
        return self.forward


def puts_under(prefix: str) -> Rule:
    """Uploads (PUT, and POST for multipart) of objects whose path starts with `prefix` (e.g. /presswatch/lake/)."""
    return lambda method, path: method in ("PUT", "POST") and path.startswith(prefix)


class FaultyS3:
    """The proxy; use as a context manager. `url` is what AWS_ENDPOINT_URL should point at."""

    def __init__(self, upstream: str, delay: float = 1.0, scope: Rule | None = None):
        split = urlsplit(upstream)
        self.upstream = (split.hostname or "127.0.0.1", split.port or 80)
        self.delay = delay
        self.scope = scope
        self.mode = UP
        self.requests: list[Request] = []
        self._triggers: list[tuple[Rule, Callable[[], bool | None]]] = []  # one-shot actions, in order
        self._changed = threading.Condition()
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultyS3:
        self._listen()
        return self

    def __exit__(self, *exc) -> None:
        self._stop_listening()

    # -- faults -------------------------------------------------------------------------------

    def set(self, mode: str) -> None:
        """Switch to `mode` now (DOWN closes the port and cuts open connections; UP listens again);
        actions not triggered yet are dropped."""
        with self._changed:
            self._triggers.clear()
        self._switch(mode)

    def fail_at(self, rule: Rule, mode: str) -> None:
        """Switch to `mode` when the first request matching `rule` arrives (that request gets the fault)."""
        self.call_at(rule, lambda: self._switch(mode))

    def call_at(self, rule: Rule, action: Callable[[], bool | None]) -> None:
        """Run `action` when the first request matching `rule` arrives, before it is served (False: drop it)."""
        with self._changed:
            self._triggers.append((rule, action))

    def hold_at(self, rule: Rule) -> Hold:
        """Keep the first request matching `rule` waiting until the returned Hold is released."""
        hold = Hold()
        self.call_at(rule, hold)
        return hold

    def wait_for(self, rule: Rule, deadline: float = 60.0) -> Request:
        """The first logged request matching `rule`, waiting for it (AssertionError after `deadline` s)."""
        end = time.monotonic() + deadline
        with self._changed:
            while True:
                for request in self.requests:
                    if rule(request.method, request.path):
                        return request
                left = end - time.monotonic()
                assert left > 0, f"no such S3 request within {deadline:.0f}s; saw {self.requests[-5:]}"
                self._changed.wait(left)

    def _switch(self, mode: str) -> None:
        previous, self.mode = self.mode, mode
        if mode == DOWN and previous != DOWN:
            self._stop_listening()
        elif mode != DOWN and previous == DOWN:
            self._listen()

    # -- serving ------------------------------------------------------------------------------

    def _listen(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                proxy._connections.add(self.connection)

            def finish(self):
                proxy._connections.discard(self.connection)
                try:
                    super().finish()
                except OSError:
                    pass

            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except OSError:
                    self.close_connection = True

            def do_GET(self):  # noqa: N802 - http.server's naming
                proxy._handle(self)

            do_PUT = do_POST = do_DELETE = do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def _stop_listening(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        for connection in list(self._connections):
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = _read_body(handler)
        with self._changed:
            self.requests.append(Request(handler.command, handler.path, self.mode))
            self._changed.notify_all()
            matched = [t for t in self._triggers if t[0](handler.command, handler.path)][:1]
            for trigger in matched:
                self._triggers.remove(trigger)
        if matched and matched[0][1]() is False:  # the action dropped the request
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        mode = self.mode if self.scope is None or self.scope(handler.command, handler.path) else UP
        if mode == DOWN:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == ERRORS:
            payload = b"<Error><Code>InternalError</Code><Message>injected by the test</Message></Error>"
            handler.send_response(500)
            handler.send_header("Content-Type", "application/xml")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(payload)
            return
        if mode == SLOW:
            time.sleep(self.delay)  # the fault itself: a server that answers late
        self._forward(handler, body)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        upstream = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP | {"expect"}}
            if body or handler.command in ("PUT", "POST"):
                headers["Content-Length"] = str(len(body))
            upstream.request(handler.command, handler.path, body=body or None, headers=headers)
            response = upstream.getresponse()
            payload = response.read()
            handler.send_response(response.status, response.reason)
            for key, value in response.getheaders():
                if key.lower() not in _HOP_BY_HOP and key.lower() != "content-length":
                    handler.send_header(key, value)
            length = response.getheader("Content-Length") if handler.command == "HEAD" else None
            handler.send_header("Content-Length", length or str(len(payload)))
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(payload)
        finally:
            upstream.close()


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""
