"""A loopback HTTP server whose routes the test sets: path -> (status, headers, body)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Route:
    def __init__(
        self,
        body: bytes | str = b"",
        status: int = 200,
        headers: dict | None = None,
        content_type: str = "text/html; charset=utf-8",
        hold: threading.Event | None = None,
    ):
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.status = status
        self.hold = hold  # the answer waits until the test sets it (a server that hangs, on cue)
        self.headers = {"Content-Type": content_type, **(headers or {})} if content_type else dict(headers or {})


class StaticSite:
    """Serve `routes` on 127.0.0.1 (free port); unknown paths answer 404. Records every request path."""

    def __init__(self, routes: dict[str, Route] | None = None):
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[tuple[str, dict]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's naming
                site.requests.append((self.path, dict(self.headers)))
                route = site.routes.get(self.path) or site.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    route = Route("<html><body>not found</body></html>", status=404)
                if route.hold is not None:
                    route.hold.wait(120)
                self.send_response(route.status)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def __enter__(self) -> StaticSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def article_html(
    title: str, paragraphs: list[str], extra_head: str = "", lang: str = "en", charset: str | None = "utf-8"
) -> str:
    """A plain article page that trafilatura extracts fully."""
    meta = f'<meta charset="{charset}">' if charset else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head>{meta}<title>{title}</title>{extra_head}</head>'
        f'<body><nav><a href="/">Home</a></nav><article><h1>{title}</h1>{body}</article>'
        f"<footer>Copyright</footer></body></html>"
    )


def registry_entry(name: str, base: str, **keys) -> str:
    """One [[sources]] TOML entry for a test site; keys are written as TOML values."""
    import json

    values = {
        "name": name,
        "label": name.title(),
        "language": "en",
        "allowed_domains": ["127.0.0.1"],
        "download_delay": 0.0,
        "concurrency": 8,
        "autothrottle": False,
        "confirm_deletion": 1,
        "deletion_grace": "0s",
        "revisit": [["inf", "0s"]],
        "download_timeout": 5.0,
        **keys,
    }
    lines = ["[[sources]]"] + [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def rss_feed(base: str, paths: list[str]) -> Route:
    """An RSS feed linking to `paths` on the site at `base`, in that order."""
    items = "".join(f"<item><title>t</title><link>{base}{path}</link></item>" for path in paths)
    body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>x</title>{items}</channel></rss>"
    return Route(body, content_type="application/rss+xml")
