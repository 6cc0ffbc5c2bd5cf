"""The demo news site over HTTP on 127.0.0.1 (standard library only)."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import feeds, pages, stages
from .content import (
    BY_PATH,
    CHINADAILY_FEED,
    GLOBALTIMES_LISTING,
    GLOBALTIMES_PER_PAGE,
    OUTLETS,
    REDESIGN_BANNER,
    REDESIGN_STEPS,
    STAGE_DATES,
    STAGES,
    UNNEWS_FEED,
    XINHUA_SITEMAP_INDEX,
    XINHUA_SITEMAPS,
    XJGOV_LISTING,
    XJGOV_PER_PAGE,
)

ROBOTS = """User-agent: *
Disallow: /chinadaily/private/
Disallow: /_control/

Sitemap: {base}/xinhua/sitemap_index.xml
"""
# Listing pages: Global Times numbers them index.html, index_2.html...; the press office index.html, index_1.html...
_LISTINGS = {
    "globaltimes": (re.compile(r"^/globaltimes/china/(?:index(?:_(\d+))?\.html)?$"), GLOBALTIMES_LISTING, 2),
    "xjgov": (re.compile(r"^/xjgov/xwfb/(?:index(?:_(\d+))?\.html)?$"), XJGOV_LISTING, 1),
}
# Front pages announce their feeds, as real outlets do (how `presswatch sources add` finds them).
_HOME_FEEDS = {
    "chinadaily": f'<link rel="alternate" type="application/rss+xml" title="China" href="{{base}}{CHINADAILY_FEED}">\n',
    "unnews": f'<link rel="alternate" type="application/atom+xml" title="All news" href="{{base}}{UNNEWS_FEED}">\n',
}
_PER_PAGE = {"globaltimes": GLOBALTIMES_PER_PAGE, "xjgov": XJGOV_PER_PAGE}
_XML = "application/xml; charset=utf-8"


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str
    etag: str | None = None
    last_modified: datetime | None = None


def _etag(*parts) -> str:
    digest = hashlib.sha1(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f'"{digest[:32]}"'


def _html(outlet: str | None, text: str) -> tuple[bytes, str]:
    """The press office serves GBK bytes and names the charset only inside the HTML."""
    if outlet == "xjgov":
        return text.encode("gbk"), "text/html"
    return text.encode("utf-8"), "text/html; charset=utf-8"


def not_modified(headers, etag: str | None, last_modified: datetime | None) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since is only looked at without it."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return etag is not None and ("*" in tags or any(t.removeprefix("W/") == etag for t in tags))
    ims = headers.get("If-Modified-Since")
    if ims and last_modified is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return last_modified.replace(microsecond=0) <= since
    return False


def listing_pages(outlet: str, stage: int) -> list[str]:
    """Paths of the outlet's listing pages at `stage`, first page first."""
    _, first, start = _LISTINGS[outlet]
    count = max(1, -(-len(stages.visible(outlet, stage)) // _PER_PAGE[outlet]))
    folder = first.rsplit("/", 1)[0]
    return [first] + [f"{folder}/index_{n}.html" for n in range(start, start + count - 1)]


class DemoSite:
    """The demo site; `start()` serves it from a daemon thread and returns its base URL."""

    def __init__(self, port: int = 0, stage: int = 1, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self._stage = 1
        self.set_stage(stage)
        self._redesign = 0
        self._lock = threading.Lock()
        self._requests = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def stage(self) -> int:
        return self._stage

    def set_stage(self, n: int) -> None:
        if n not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {n!r}")
        self._stage = n

    @property
    def redesign(self) -> int:
        return self._redesign

    def set_redesign(self, step: int) -> None:
        """Roll the new template out to step `step` (0: none; 3: every page), with its real edits."""
        if step not in REDESIGN_STEPS:
            raise ValueError(f"redesign step must be one of {REDESIGN_STEPS}, not {step!r}")
        self._redesign = step

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the demo site is not running; call start() first")
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def start(self) -> str:
        if self._httpd is None:
            httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
            httpd.daemon_threads = True
            httpd.block_on_close = False  # idle keep-alive connections must not block stop()
            httpd.site = self  # type: ignore[attr-defined]  # the handler's way back to this site
            self._httpd = httpd
            self._thread = threading.Thread(target=httpd.serve_forever, name="demo-site", daemon=True)
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._httpd = self._thread = None

    def __enter__(self) -> DemoSite:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ responses
    def respond(self, target: str, headers, host: str | None = None) -> Response:
        """The response to GET `target` (path and query) for a request with `headers`."""
        parts = urlsplit(target.split("#", 1)[0])
        path = unquote(parts.path) or "/"
        base = "http://" + (host or headers.get("Host") or f"{self.host}:{self.port}")
        if path == "/_control/stage":
            return self._control(parse_qs(parts.query))
        if path == "/_control/redesign":
            return self._control(parse_qs(parts.query), "step", self.set_redesign, lambda: self._redesign)
        stage = self._stage
        resp = self._route(path, base, stage)
        if resp.status == 200 and not_modified(headers, resp.etag, resp.last_modified):
            return Response(304, b"", resp.content_type, resp.etag, resp.last_modified)
        return resp

    def _control(self, query: dict, key: str = "n", setter=None, getter=None) -> Response:
        setter, getter = setter or self.set_stage, getter or (lambda: self._stage)
        if key not in query:
            return Response(200, str(getter()).encode(), "text/plain; charset=utf-8")
        try:
            setter(int(query[key][0]))
        except ValueError as exc:
            return Response(400, str(exc).encode(), "text/plain; charset=utf-8")
        return Response(200, b"ok", "text/plain; charset=utf-8")

    def _route(self, path: str, base: str, stage: int) -> Response:
        if path == "/robots.txt":
            return Response(200, ROBOTS.format(base=base).encode(), "text/plain; charset=utf-8")
        if path in BY_PATH:
            return self._article(path, base, stage)
        xml = self._xml(path, base, stage)
        if xml is not None:
            body = xml[0].encode("utf-8")
            etag = _etag(hashlib.sha1(body).hexdigest())
            return Response(200, body, xml[1], etag, datetime.fromisoformat(STAGE_DATES[stage]))
        for outlet, (pattern, _, start) in _LISTINGS.items():
            match = pattern.match(path)
            if match:
                number = int(match.group(1)) if match.group(1) else None
                index = 0 if number is None else (number - start + 1 if number >= start else -1)
                return self._listing(outlet, index, base, stage, path)
        return self._simple(path, base, stage)

    def _xml(self, path: str, base: str, stage: int) -> tuple[str, str] | None:
        if path == CHINADAILY_FEED:
            return feeds.chinadaily_rss(base, stage), "application/rss+xml; charset=utf-8"
        if path == UNNEWS_FEED:
            return feeds.unnews_atom(base, stage), "application/atom+xml; charset=utf-8"
        if path == XINHUA_SITEMAP_INDEX:
            return feeds.xinhua_sitemap_index(base, stage), _XML
        if path in XINHUA_SITEMAPS:
            return feeds.xinhua_sitemap(path, base, stage), _XML
        return None

    def _furniture(
        self, outlet: str, stage: int, current: str | None = None, redesigned: bool | None = None
    ) -> pages.Furniture:
        with self._lock:
            self._requests += 1
            n = self._requests
        others = [(stages.title(a, stage), a.path) for a in stages.visible(outlet, stage) if a.path != current]
        shift = n % len(others) if others else 0
        seed = int(hashlib.md5((current or outlet).encode()).hexdigest()[:4], 16)
        return pages.Furniture(
            views=1000 + seed % 9000 + n,
            clock=datetime.now().strftime("%H:%M:%S"),
            csrf=secrets.token_urlsafe(24),
            ad_id=secrets.token_hex(4),
            most_read=(others[shift:] + others[:shift])[:5],
            banner=REDESIGN_BANNER if (self._redesign > 0 if redesigned is None else redesigned) else "",
        )

    def _error(self, status: int, path: str) -> Response:
        reason = {404: "Not Found", 410: "Gone"}[status]
        return Response(status, pages.error_page(status, reason, path).encode("utf-8"), "text/html; charset=utf-8")

    def _article(self, path: str, base: str, stage: int) -> Response:
        status = stages.status(path, stage)
        if status is not None and status != stages.OK:  # callers route only article paths here
            return self._error(status, path)
        a, redesign = BY_PATH[path], self._redesign
        title, paras = stages.title(a, stage), stages.paragraphs(a, stage, redesign)
        redesigned = stages.redesigned(a, redesign)
        html = pages.article_page(a, title, paras, base, self._furniture(a.outlet, stage, path, redesigned))
        body, ctype = _html(a.outlet, html)
        etag = _etag(a.path, title, paras, a.published, a.modified, a.author, redesigned)
        return Response(200, body, ctype, etag, datetime.fromisoformat(a.modified))

    def _listing(self, outlet: str, index: int, base: str, stage: int, path: str) -> Response:
        paths = listing_pages(outlet, stage)
        if not 0 <= index < len(paths):
            return self._error(404, path)
        per = _PER_PAGE[outlet]
        chunk = stages.visible(outlet, stage)[index * per : (index + 1) * per]
        items = [(a, stages.title(a, stage)) for a in chunk]
        html = pages.listing_page(outlet, items, paths, index, base, self._furniture(outlet, stage))
        body, ctype = _html(outlet, html)
        etag = _etag(paths, index, [(a.path, t) for a, t in items])
        return Response(200, body, ctype, etag, datetime.fromisoformat(STAGE_DATES[stage]))

    def _simple(self, path: str, base: str, stage: int) -> Response:
        for name, outlet in OUTLETS.items():
            style = pages.STYLES[name]
            extra = ""
            if path == outlet.home:
                latest = [(stages.title(a, stage), a.path) for a in stages.visible(name, stage)[:5]]
                heading, text, links = outlet.label, "Latest stories.", latest + list(style.nav[1:])
                extra = _HOME_FEEDS.get(name, "").format(base=base)
            elif path == f"/{name}/about.html":
                heading, text, links = f"About {outlet.label}", "A demo outlet served by presswatch.", []
            elif path in {href for _, href in style.nav}:
                label = next(lbl for lbl, href in style.nav if href == path)
                heading, text, links = label, f"Stories filed under {label}.", [("Home", outlet.home)]
            else:
                continue
            html = pages.simple_page(name, heading, text, links, base, self._furniture(name, stage), extra)
            body, ctype = _html(name, html)
            return Response(200, body, ctype)
        return self._error(404, path)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "DemoNews/1.0"
    timeout = 30

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def _serve(self, send_body: bool) -> None:
        resp = self.server.site.respond(self.path, self.headers)  # type: ignore[attr-defined]
        self.send_response(resp.status)
        if resp.etag:
            self.send_header("ETag", resp.etag)
        if resp.last_modified:
            self.send_header("Last-Modified", format_datetime(resp.last_modified.astimezone(UTC), usegmt=True))
        if resp.status != 304:
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if send_body and resp.status != 304:
            self.wfile.write(resp.body)

    def log_message(self, format, *args) -> None:  # noqa: A002 - keep test output quiet
        pass
