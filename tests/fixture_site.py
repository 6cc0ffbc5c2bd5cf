"""Serve saved real pages on 127.0.0.1 under their original host and path (a URL-to-file table).

With `Fetcher(resolve=...)` pointing each original host here, `sources check` reads the saved
pages as if from the live site; everything not saved answers 404.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit


class FixtureSite:
    """`pages` maps an original URL to (saved file, Content-Type header or None for none at all)."""

    def __init__(self, pages: dict[str, tuple[Path, str | None]]):
        self.pages = {self._key(url): value for url, value in pages.items()}
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                key = (self.headers.get("Host", "").split(":")[0].lower(), self.path)
                site.requests.append(f"{key[0]}{key[1]}")
                found = site.pages.get(key)
                body = found[0].read_bytes() if found else b"<html><body>not saved here</body></html>"
                self.send_response(200 if found else 404)
                if not found or found[1]:
                    self.send_header("Content-Type", found[1] if found else "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def _key(url: str) -> tuple[str, str]:
        parts = urlsplit(url)
        return (parts.hostname or "").lower(), parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def resolve(self, *hosts: str) -> dict[str, str]:
        """A `Fetcher.resolve` table sending these hosts (and every saved page's host) here."""
        return {host: self.address for host in {*hosts, *(h for h, _ in self.pages)}}

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
