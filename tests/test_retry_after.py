"""A 429 with Retry-After holds the retry (and the host's other requests) for the time it gives."""

from __future__ import annotations

import threading
import time
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from crawlers.middlewares import retry_after_seconds
from tests.servers import article_html, registry_entry

ARTICLE = article_html(
    "Rate limited, then answered",
    [f"The ministry said in its statement number {n} that the talks would continue next week." for n in range(4)],
)


class RateLimitedSite:
    """A listing linking one article that answers 429 (Retry-After: 1) once, then 200; records
    when each request arrived, by the server's clock."""

    def __init__(self, retry_after: str = "1"):
        self.arrivals: list[tuple[str, float]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's naming
                site.arrivals.append((self.path, time.monotonic()))
                if self.path == "/list.html":
                    status, headers, body = 200, {}, '<html><body><a href="/a/1.html">one</a></body></html>'
                elif self.path == "/a/1.html" and sum(p == self.path for p, _ in site.arrivals) == 1:
                    status, headers, body = 429, {"Retry-After": retry_after}, "slow down"
                elif self.path == "/a/1.html":
                    status, headers, body = 200, {}, ARTICLE
                else:
                    status, headers, body = 404, {}, "not found"
                data = body.encode("utf-8")
                self.send_response(status)
                for key, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def test_the_retry_waits_for_retry_after_and_the_page_is_captured(pipeline):
    with RateLimitedSite() as site:
        pipeline.use_registry(
            registry_entry("limited", site.url, listings=[site.url + "/list.html"], article_pattern=r"/a/\d+\.html$")
        )
        pipeline.crawl()
    article = [at for path, at in site.arrivals if path == "/a/1.html"]
    assert len(article) == 2, site.arrivals
    assert article[1] - article[0] >= 0.9  # Retry-After: 1, by the server's own clock (slack for rounding)
    assert pipeline.scalar("SELECT count(*) FROM articles WHERE title = 'Rate limited, then answered'") == 1


@pytest.mark.parametrize(
    "value, expected",
    [
        ("3", 3.0),
        (b"0", 0.0),
        ("600", 120.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:20:00 GMT", 0.0),
    ],
)
def test_retry_after_takes_seconds_or_an_http_date_capped(value, expected):
    from datetime import datetime

    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert retry_after_seconds(value, cap=120.0, now=now) == expected
