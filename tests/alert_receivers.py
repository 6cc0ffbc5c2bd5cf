"""Loopback receivers for alert tests: an SMTP server (aiosmtpd) and an HTTP webhook receiver.

Both keep what they received, so a test reads the messages as a person (or a program) got them.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.content)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server():
    """An SMTP server on 127.0.0.1 that accepts any mail (and any login); yields (port, inbox)."""
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    port = free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, auth_require_tls=False, authenticator=lambda *args: _accept()
    )
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def _accept():
    from aiosmtpd.smtp import AuthResult

    return AuthResult(success=True)


def body_text(message) -> str:
    """The plain-text rendering of a received mail (its text part, else its HTML without tags)."""
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content()


@contextmanager
def webhook_receiver(port: int | None = None, on_receive=None):
    """An HTTP server on 127.0.0.1 keeping every POSTed body; yields (port, list of (path, parsed JSON or form)).

    `on_receive(path)` runs when a message has arrived, before it is answered."""
    received: list[tuple[str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                payload = json.loads(body)
            except ValueError:
                payload = {"raw": body.decode("utf-8", "replace")}
            received.append((self.path, payload))
            if on_receive is not None:
                on_receive(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], received
    finally:
        server.shutdown()
        server.server_close()
