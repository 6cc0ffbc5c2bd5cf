"""A loopback HTTP server that misbehaves on purpose, reproducibly from a seed.

Each request for a path is that path's attempt 1, 2, 3...; whether it gets a fault, and which,
is decided by `FaultPlan.decide(path, attempt)` from a seeded random generator keyed on the seed,
the path and the attempt number, so the same seed gives the same faults whatever the order or
concurrency of the requests. Every request is logged (path, attempt, fault, status, bytes sent).

Faults: HTTP 500/502/503, 429 with Retry-After, a stall past the client's download timeout, a
connection reset (RST), a truncated body (Content-Length larger than what is sent, then close),
a wrong Content-Length (smaller than the body, on a kept-alive connection), a redirect loop, a
redirect off the allowed domains (to 127.0.0.2:1 or to `localhost`, both loopback), and a soft 404
(a 200 page with no article).

Like Scrapy's own mock server, it listens on 127.0.0.1, port 0, and never on another address.
"""

from __future__ import annotations

import hashlib
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.servers import Route

# Fault kinds.
HTTP_500, HTTP_502, HTTP_503 = "http_500", "http_502", "http_503"
RATE_LIMITED = "http_429"
STALL = "stall"
RESET = "reset"
TRUNCATE = "truncate"
WRONG_LENGTH = "wrong_length"
REDIRECT_LOOP = "redirect_loop"
REDIRECT_OFFSITE = "redirect_offsite"
REDIRECT_OTHER_HOST = "redirect_other_host"
SOFT_404 = "soft_404"
ERRORS = (HTTP_500, HTTP_502, HTTP_503, RATE_LIMITED)
ALL_FAULTS = (
    *ERRORS,
    STALL,
    RESET,
    TRUNCATE,
    WRONG_LENGTH,
    REDIRECT_LOOP,
    REDIRECT_OFFSITE,
    REDIRECT_OTHER_HOST,
    SOFT_404,
)

SOFT_404_HTML = (
    "<!DOCTYPE html><html><head><title>Page not found</title></head><body><nav><a href='/'>Home</a>"
    "</nav><p>Sorry, we could not find that page.</p></body></html>"
)


@dataclass
class FaultPlan:
    """Which fault (or none) each attempt at a path gets.

    `rates` maps a fault kind to its probability per attempt; `fixed` maps a path to the fault its
    every attempt gets (or to a list, one entry per attempt, None meaning "answer normally");
    `exempt(path)` says which paths never get a random fault (robots.txt, discovery pages).
    """

    seed: int = 0
    rates: dict[str, float] = field(default_factory=dict)
    fixed: dict[str, str | list[str | None]] = field(default_factory=dict)
    exempt: Callable[[str], bool] | None = None
    sticky: float = 0.0  # share of pages whose first-attempt fault repeats on every attempt

    def decide(self, path: str, attempt: int) -> str | None:
        key = path if path in self.fixed else path.split("?", 1)[0]
        if key in self.fixed:
            plan = self.fixed[key]
            if isinstance(plan, str):
                return plan
            return plan[attempt - 1] if attempt <= len(plan) else None
        if (self.exempt and self.exempt(path)) or not self.rates:
            return None
        if attempt > 1 and self.sticky and random.Random(f"{self.seed}|{path}|sticky").random() < self.sticky:
            return self.decide(path, 1)
        draw = random.Random(f"{self.seed}|{path}|{attempt}").random()
        for fault, rate in sorted(self.rates.items()):
            if draw < rate:
                return fault
            draw -= rate
        return None


@dataclass(frozen=True)
class Served:
    """One request as the server saw and answered it."""

    path: str
    attempt: int
    fault: str | None
    status: int | None  # None: no status line was sent (stall, reset)
    body_sha256: str | None  # of the bytes actually sent
    complete: bool  # the whole declared body was sent
    host: str | None = None
    at: float = 0.0  # time.monotonic() when the request arrived


class FaultyServer:
    """Serve `routes` (path -> tests.servers.Route) on 127.0.0.1 with the faults `plan` decides.

    A fixed plan entry "redirect:LOCATION" answers 302 to LOCATION (any scheme: the test decides).

    Unknown paths answer 404. `stall_seconds` is how long a stalled request holds its connection
    (set it above the client's download timeout); stop() cuts every stall short.
    """

    def __init__(
        self,
        routes: dict[str, Route] | None = None,
        plan: FaultPlan | None = None,
        stall_seconds: float = 4.0,
        retry_after: int = 1,
        dynamic: Callable[[str], Route | None] | None = None,
    ):
        self.routes: dict[str, Route] = dict(routes or {})
        self.dynamic = dynamic  # path -> Route for paths not in `routes` (endless listings)
        self.plan = plan or FaultPlan()
        self.stall_seconds = stall_seconds
        self.retry_after = retry_after
        self.log: list[Served] = []
        self.attempts: dict[str, int] = {}
        self.lock = threading.Lock()
        self.in_flight = 0
        self.stopping = threading.Event()
        # Hooks for the crash tests: called with the path and attempt before the answer is sent.
        self.before_answer = None
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's naming
                site._handle(self)

            def log_message(self, *args):
                pass

            def finish(self):
                try:
                    super().finish()
                except OSError:
                    pass  # the connection was reset or closed on purpose

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # clients that time out and hang up are part of the test

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # lifecycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self) -> FaultyServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    # answers

    def expected_body(self, path: str) -> bytes | None:
        route = self.routes.get(path)
        return route.body if route else None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        arrived = time.monotonic()
        with self.lock:
            self.in_flight += 1
        try:
            self._answer(handler, arrived)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _answer(self, handler: BaseHTTPRequestHandler, arrived: float) -> None:
        target = handler.path
        path = urlsplit(target).path or "/"
        with self.lock:
            attempt = self.attempts.get(target, 0) + 1
            self.attempts[target] = attempt
        fault = self.plan.decide(target, attempt)
        if self.before_answer:
            self.before_answer(target, attempt)
        route = self.routes.get(target) or self.routes.get(path) or (self.dynamic(path) if self.dynamic else None)
        if route is None:
            route = Route("<html><body>not found</body></html>", status=404)
        host = handler.headers.get("Host")
        if fault and fault.startswith("redirect:"):
            status, sent, complete = self._redirect_to(handler, fault.split(":", 1)[1])
        else:
            answer = getattr(self, f"_{fault}") if fault else self._normal
            status, sent, complete = answer(handler, target, route)
        digest = hashlib.sha256(sent).hexdigest() if sent is not None else None
        with self.lock:
            self.log.append(Served(target, attempt, fault, status, digest, complete, host, arrived))

    def _send(self, handler, status: int, headers: dict, body: bytes, length: int | None = None, close=False):
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body) if length is None else length))
        if close:
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()

    def _normal(self, handler, target, route):
        self._send(handler, route.status, route.headers, route.body)
        return route.status, route.body, True

    def _error(self, handler, status: int, extra: dict | None = None):
        body = f"<html><body><h1>{status}</h1></body></html>".encode()
        self._send(handler, status, {"Content-Type": "text/html; charset=utf-8", **(extra or {})}, body)
        return status, body, True

    def _http_500(self, handler, target, route):
        return self._error(handler, 500)

    def _http_502(self, handler, target, route):
        return self._error(handler, 502)

    def _http_503(self, handler, target, route):
        return self._error(handler, 503)

    def _http_429(self, handler, target, route):
        return self._error(handler, 429, {"Retry-After": str(self.retry_after)})

    def _stall(self, handler, target, route):
        # Hold the connection without a status line until the client gives up, then hang up.
        self.stopping.wait(self.stall_seconds)
        handler.close_connection = True
        return None, None, False

    def _reset(self, handler, target, route):
        # SO_LINGER with a zero timeout turns close() into a TCP RST.
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        handler.connection.close()
        return None, None, False

    def _truncate(self, handler, target, route):
        body = route.body
        cut = body[: max(1, len(body) // 2)]
        handler.send_response(route.status)
        for key, value in route.headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(cut)
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_WR)
        return route.status, cut, False

    def _wrong_length(self, handler, target, route):
        # The classic bug: Content-Length counted in characters, not bytes, on a kept-alive
        # connection; the surplus bytes are left on the wire ahead of the next response.
        body = route.body
        declared = len(body.decode("utf-8", "replace")) if body else 0
        if declared == len(body):
            declared = max(0, len(body) - 16)
        self._send(handler, route.status, route.headers, body, length=declared)
        return route.status, body[:declared], False

    def _redirect_loop(self, handler, target, route):
        # A → A?hop=1 → A?hop=2 ... never ends (a fixed "redirect:/other" entry makes A → B → A).
        parts = urlsplit(target)
        hop = int(parts.query.rsplit("=", 1)[1]) if parts.query.startswith("hop=") else 0
        location = f"{parts.path}?hop={hop + 1}"
        self._send(handler, 302, {"Location": location, "Content-Type": "text/html"}, b"")
        return 302, b"", True

    def _redirect_to(self, handler, location: str):
        self._send(handler, 302, {"Location": location, "Content-Type": "text/html"}, b"")
        return 302, b"", True

    def _redirect_offsite(self, handler, target, route):
        self._send(
            handler, 302, {"Location": f"http://127.0.0.2:1{urlsplit(target).path}", "Content-Type": "text/html"}, b""
        )
        return 302, b"", True

    def _redirect_other_host(self, handler, target, route):
        # Same server, other name: `localhost` resolves to loopback but is not in allowed_domains.
        self._send(
            handler, 302, {"Location": f"http://localhost:{self.port}{target}", "Content-Type": "text/html"}, b""
        )
        return 302, b"", True

    def _soft_404(self, handler, target, route):
        body = SOFT_404_HTML.encode()
        self._send(handler, 200, {"Content-Type": "text/html; charset=utf-8"}, body)
        return 200, body, True

    def snapshot(self, bodies_under: tuple[str, ...] = ()) -> ServerLog:
        """A picklable copy of the log (and of the bodies of routes under the given prefixes)."""
        with self.lock:
            log = list(self.log)
        bodies = (
            {path: route.body for path, route in self.routes.items() if path.startswith(bodies_under)}
            if bodies_under
            else {}
        )
        return ServerLog(self.url, self.port, log, bodies, self.retry_after)

    # what the log says

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait (bounded) until no request is being answered, e.g. a stall the client gave up on."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if not self.in_flight:
                    return True
            time.sleep(0.05)
        return False

    def served(self, path: str | None = None) -> list[Served]:
        """Logged requests (for one exact path, or all), in the order they arrived."""
        with self.lock:
            return _served(self.log, path)

    def faults(self) -> dict[str, int]:
        return _faults(self.served())


@dataclass
class ServerLog:
    """What a FaultyServer saw, kept after it stopped (and across pytest-xdist workers)."""

    url: str
    port: int
    log: list[Served]
    bodies: dict[str, bytes]
    retry_after: int

    def served(self, path: str | None = None) -> list[Served]:
        return _served(self.log, path)

    def faults(self) -> dict[str, int]:
        return _faults(self.log)

    def expected_body(self, path: str) -> bytes | None:
        return self.bodies.get(path)


def _served(log: list[Served], path: str | None) -> list[Served]:
    return sorted((s for s in log if path is None or s.path == path), key=lambda s: s.at)


def _faults(log: list[Served]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in log:
        if s.fault:
            counts[s.fault] = counts.get(s.fault, 0) + 1
    return counts
