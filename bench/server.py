"""Serve the benchmark corpus on 127.0.0.1 from its own process, fast enough not to be the bottleneck.

A small asyncio HTTP/1.1 server (keep-alive, GET and HEAD) answering from pages rendered into
memory at start-up (`--lazy` renders each request from the seed instead). Routes:

    /robots.txt                      allows everything, names the sitemap index
    /sitemap_index.xml               child sitemaps /sitemaps/sitemap-K.xml of at most 5,000 URLs
    /feed.xml                        RSS 2.0, the 100 newest articles
    /list/index.html, index_N.html   paginated listings, 50 articles a page, rel="next"
    /news/...                        the articles (ETag, Last-Modified, 304 on a match)
    /_bench/edit?fraction=F          a new edit round over a fixed choice of F of the pages
    /_bench/edit?pages=1,5,9         a new edit round over those pages (real pages only)
    /_bench/template?share=F         that share of the pages on a redesigned template (real pages only)
    /_bench/churn?on=1               per-request furniture and no validators: every crawl re-reads all
    /_bench/restore                  no edits, no redesign, as at start
    /_bench/stats                    requests served by status, bytes sent (JSON)

Run it by hand with `python -m bench serve --pages 2000`; it prints one JSON line with its base
URL once it is ready.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import sys
import time
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from bench.corpus import Corpus, Rendered, furniture_bytes

SITEMAP_MAX = 5000
LIST_PER_PAGE = 50
FEED_ITEMS = 100
_REASONS = {200: "OK", 304: "Not Modified", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


class Site:
    """The corpus as HTTP responses; pure logic, no sockets (tests can call `respond`)."""

    def __init__(self, corpus: Corpus, base: str, prerender: bool = True):
        self.corpus = corpus
        self.base = corpus.base = base
        self.by_path = {corpus.spec(i).path: i for i in range(corpus.pages)}
        self.cache: dict[int, Rendered] | None = {} if prerender else None
        self.counter = 0
        self.stats = {"requests": 0, "bytes": 0, "by_status": {}, "articles_200": 0, "articles_304": 0}
        self._xml_cache: dict[str, bytes] = {}
        started = time.perf_counter()
        if self.cache is not None:
            for i in range(corpus.pages):
                self.cache[i] = corpus.render(i)
        self.prerender_s = time.perf_counter() - started

    def describe(self) -> dict:
        """Page sizes (bytes as served) and the mix of layouts and languages."""
        count = min(self.corpus.pages, 5000)
        sizes = sorted(len(self.page(i).prefix) + len(self.page(i).suffix) + 180 for i in range(count))
        layouts: dict[str, int] = {}
        for i in range(count):
            layouts[self.corpus.spec(i).layout] = layouts.get(self.corpus.spec(i).layout, 0) + 1
        zh = sum(1 for i in range(count) if self.corpus.spec(i).zh)
        kb = lambda q: round(sizes[min(len(sizes) - 1, int(q * len(sizes)))] / 1024, 1)  # noqa: E731
        return {
            "size_kb": {"p10": kb(0.1), "median": kb(0.5), "p90": kb(0.9), "max": round(sizes[-1] / 1024, 1)},
            "mean_kb": round(sum(sizes) / len(sizes) / 1024, 1),
            "zh_gbk_share": round(zh / count, 3),
            "layouts": layouts,
            "described_pages": count,
        }

    # ------------------------------------------------------------------ pages
    def page(self, i: int) -> Rendered:
        if self.cache is not None:
            return self.cache[i]
        return self.corpus.render(i)

    def edit(self, fraction: float) -> dict:
        started = time.perf_counter()
        changed = self.corpus.apply_edits(fraction)
        if self.cache is not None:
            for i in changed:
                self.cache[i] = self.corpus.render(i)
        self._xml_cache.clear()
        return {
            "round": len(self.corpus.edit_rounds),
            "fraction": fraction,
            "edited": len(changed),
            "render_s": round(time.perf_counter() - started, 3),
        }

    # ------------------------------------------------------------------ routing
    def respond(self, method: str, target: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urlsplit(target)
        path = unquote(parts.path) or "/"
        if path.startswith("/_bench/"):
            return self._control(path, parse_qs(parts.query))
        i = self.by_path.get(path)
        if i is not None:
            page = self.page(i)
            etag, modified = page.etag, page.last_modified
            churn = getattr(self.corpus, "churn", False)
            if not churn and _not_modified(headers, etag, modified):
                self.stats["articles_304"] += 1
                return 304, [("ETag", etag), ("Last-Modified", _http_date(modified))], b""
            self.counter += 1
            self.stats["articles_200"] += 1
            body = page.body(furniture_bytes(i, self.counter) if getattr(self.corpus, "furniture", True) else b"")
            validators = [] if churn else [("ETag", etag), ("Last-Modified", _http_date(modified))]
            return 200, [("Content-Type", page.content_type), *validators], body
        xml = self._xml(path)
        if xml is not None:
            body, ctype = xml
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            if _not_modified(headers, etag, None):
                return 304, [("ETag", etag)], b""
            return 200, [("Content-Type", ctype), ("ETag", etag)], body
        if path == "/robots.txt":
            return (
                200,
                [("Content-Type", "text/plain")],
                f"User-agent: *\nAllow: /\n\nSitemap: {self.base}/sitemap_index.xml\n".encode(),
            )
        if path in ("/list/", "/list/index.html") or (path.startswith("/list/index_") and path.endswith(".html")):
            return self._listing(path)
        if path == "/":
            return (
                200,
                [("Content-Type", "text/html; charset=utf-8")],
                (
                    b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bench news</title></head><body>'
                    b'<a href="/list/index.html">Latest</a> <a href="/feed.xml">RSS</a></body></html>'
                ),
            )
        return 404, [("Content-Type", "text/html; charset=utf-8")], b"<html><body><h1>404 Not Found</h1></body></html>"

    def _control(self, path: str, query: dict) -> tuple[int, list, bytes]:
        if path in ("/_bench/template", "/_bench/churn", "/_bench/restore") or (
            path == "/_bench/edit" and "pages" in query
        ):
            return self._real_control(path, query)
        if path == "/_bench/edit":
            try:
                fraction = float(query.get("fraction", ["0.05"])[0])
            except ValueError:
                return 400, [], b"fraction must be a number"
            return 200, [("Content-Type", "application/json")], json.dumps(self.edit(fraction)).encode()
        if path == "/_bench/stats":
            return (
                200,
                [("Content-Type", "application/json")],
                json.dumps(
                    {
                        **self.stats,
                        "pages": self.corpus.pages,
                        "edit_rounds": self.corpus.edit_rounds,
                        "prerender_s": round(self.prerender_s, 3),
                        "rss_mb": _rss_mb(),
                    }
                ).encode(),
            )
        if path == "/_bench/reset":
            self.stats = {"requests": 0, "bytes": 0, "by_status": {}, "articles_200": 0, "articles_304": 0}
            return 200, [], b"ok"
        return 404, [], b"unknown control endpoint"

    def _real_control(self, path: str, query: dict) -> tuple[int, list, bytes]:
        """Redesign, named edits and churn, on the real pages (bench/real.py)."""
        corpus = self.corpus
        if not hasattr(corpus, "explicit_edits"):
            return 400, [], b"only the real pages know this control"
        try:
            if path == "/_bench/template":
                corpus.template_share = float(query.get("share", ["1"])[0])
            elif path == "/_bench/churn":
                corpus.churn = query.get("on", ["1"])[0] == "1"
            elif path == "/_bench/edit":
                corpus.explicit_edits.append(frozenset(int(n) for n in query["pages"][0].split(",") if n))
            else:
                corpus.template_share = 0.0
                corpus.explicit_edits.clear()
                corpus.edit_rounds.clear()
        except ValueError:
            return 400, [], b"bad number"
        if self.cache is not None:
            for i in range(corpus.pages):
                self.cache[i] = corpus.render(i)
        self._xml_cache.clear()
        templated = sum(1 for i in range(corpus.pages) if corpus.templated(i))
        state = {"template_share": corpus.template_share, "templated": templated, "churn": corpus.churn}
        return 200, [("Content-Type", "application/json")], json.dumps(state).encode()

    def _xml(self, path: str) -> tuple[bytes, str] | None:
        if path == "/sitemap_index.xml":
            kind, ctype = "index", "application/xml"
        elif path.startswith("/sitemaps/sitemap-") and path.endswith(".xml"):
            kind, ctype = "child", "application/xml"
        elif path == "/feed.xml":
            kind, ctype = "feed", "application/rss+xml; charset=utf-8"
        else:
            return None
        if path not in self._xml_cache:
            body = self._render_xml(kind, path)
            if body is None:
                return None
            self._xml_cache[path] = body
        return self._xml_cache[path], ctype

    def _modified(self, i: int):
        if self.cache is not None:
            return self.cache[i].modified
        return self.corpus.render(i).modified

    def _render_xml(self, kind: str, path: str) -> bytes | None:
        head = '<?xml version="1.0" encoding="UTF-8"?>\n'
        n = self.corpus.pages
        children = -(-n // SITEMAP_MAX)
        if kind == "index":
            items = "".join(
                f"<sitemap><loc>{self.base}/sitemaps/sitemap-{k}.xml</loc></sitemap>\n" for k in range(children)
            )
            return (
                head
                + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                + items
                + "</sitemapindex>\n"
            ).encode()
        if kind == "child":
            try:
                k = int(path[len("/sitemaps/sitemap-") : -4])
            except ValueError:
                return None
            if not 0 <= k < children:
                return None
            urls = "".join(
                f"<url><loc>{self.base}{self.corpus.spec(i).path}</loc><lastmod>{self._modified(i).isoformat()}</lastmod></url>\n"
                for i in range(k * SITEMAP_MAX, min(n, (k + 1) * SITEMAP_MAX))
            )
            return (
                head + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + urls + "</urlset>\n"
            ).encode()
        items = "".join(
            f"<item><title>{escape(self.corpus.spec(i).title)}</title><link>{self.base}{self.corpus.spec(i).path}</link>"
            f"<pubDate>{format_datetime(self.corpus.spec(i).published)}</pubDate></item>\n"
            for i in range(min(n, FEED_ITEMS))
        )
        return (
            head + '<rss version="2.0"><channel><title>Bench news</title>'
            f"<link>{self.base}/</link><description>benchmark corpus</description>\n{items}</channel></rss>\n"
        ).encode("utf-8")

    def _listing(self, path: str) -> tuple[int, list, bytes]:
        number = 1 if path in ("/list/", "/list/index.html") else int(path[len("/list/index_") : -5] or 0)
        pages = max(1, -(-self.corpus.pages // LIST_PER_PAGE))
        if not 1 <= number <= pages:
            return 404, [("Content-Type", "text/html; charset=utf-8")], b"<html><body>404</body></html>"
        start = (number - 1) * LIST_PER_PAGE
        rows = "".join(
            f'<li><a href="{self.corpus.spec(i).path}">{escape(self.corpus.spec(i).title)}</a> '
            f'<span class="date">{self.corpus.spec(i).published:%Y-%m-%d}</span></li>\n'
            for i in range(start, min(self.corpus.pages, start + LIST_PER_PAGE))
        )
        nxt = f'<a rel="next" href="index_{number + 1}.html">Next</a>' if number < pages else ""
        body = (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Latest - page {number}</title></head>'
            f'<body><nav><a href="/">Home</a></nav><ul class="list">\n{rows}</ul><div class="pages">{nxt}</div></body></html>'
        )
        return 200, [("Content-Type", "text/html; charset=utf-8")], body.encode("utf-8")


def _http_date(moment) -> str:
    return format_datetime(moment, usegmt=True)


def _not_modified(headers: dict[str, str], etag: str | None, modified) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:
        return etag is not None and any(t.strip().removeprefix("W/") == etag for t in inm.split(","))
    ims = headers.get("if-modified-since")
    if ims and modified is not None:
        try:
            return modified <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except OSError:
        return 0.0


class _HTTP(asyncio.Protocol):
    def __init__(self, site: Site):
        self.site = site
        self.buffer = b""
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:
                    self.transport.close()
                return
            head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
            lines = head.split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                self._send(400, [], b"", "HTTP/1.1", True, True)
                self.transport.close()
                return
            headers = {}
            for line in lines[1:]:
                key, _, value = line.partition(":")
                headers[key.strip().lower()] = value.strip()
            connection = headers.get("connection", "").lower()
            close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
            if method not in ("GET", "HEAD"):
                status, extra, body = 405, [], b""
            else:
                status, extra, body = self.site.respond(method, target, headers)
            self._send(status, extra, body, version, method == "GET", close)
            if close:
                self.transport.close()
                return

    def _send(self, status, extra, body, version, send_body, close):
        stats = self.site.stats
        stats["requests"] += 1
        stats["by_status"][str(status)] = stats["by_status"].get(str(status), 0) + 1
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}", "Server: bench/1"]
        lines += [f"{k}: {v}" for k, v in extra]
        if status != 304:
            lines.append(f"Content-Length: {len(body)}")
        lines.append("Connection: close" if close else "Connection: keep-alive")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if send_body and status != 304 and body:
            stats["bytes"] += len(body)
            self.transport.writelines((head, body))
        else:
            self.transport.write(head)


async def _serve(corpus: Corpus, ports: int, port: int, lazy: bool, edits: list[float]) -> None:
    loop = asyncio.get_running_loop()
    holder: dict[str, Site] = {}
    servers = []
    first = await loop.create_server(lambda: _HTTP(holder["site"]), "127.0.0.1", port, backlog=1024)
    servers.append(first)
    for _ in range(ports - 1):
        servers.append(await loop.create_server(lambda: _HTTP(holder["site"]), "127.0.0.1", 0, backlog=1024))
    numbers = [s.sockets[0].getsockname()[1] for s in servers]
    site = Site(corpus, f"http://127.0.0.1:{numbers[0]}", prerender=not lazy)
    for fraction in edits:
        site.edit(fraction)
    holder["site"] = site
    print(
        json.dumps(
            {
                "base": site.base,
                "ports": numbers,
                "pages": corpus.pages,
                "seed": corpus.seed,
                "prerender_s": round(site.prerender_s, 2),
                "rss_mb": _rss_mb(),
                **site.describe(),
            }
        ),
        flush=True,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


def make_corpus(pages: int, seed: int = 1, real: str | None = None):
    """The synthetic corpus, or the real pages of `real` (see bench/real.py) replicated to `pages`."""
    if real:
        from bench.real import RealCorpus, prepare

        return RealCorpus(prepare(real), pages)
    return Corpus(pages, seed)


def serve(
    pages: int,
    seed: int = 1,
    port: int = 0,
    ports: int = 1,
    lazy: bool = False,
    edits: list[float] | None = None,
    threaded: bool = False,
    real: str | None = None,
) -> None:
    corpus = make_corpus(pages, seed, real)
    if threaded:
        _serve_threaded(corpus, port, lazy)
        return
    asyncio.run(_serve(corpus, max(1, ports), port, lazy, edits or []))


def _serve_threaded(corpus: Corpus, port: int, lazy: bool) -> None:
    """The same site behind the standard library's ThreadingHTTPServer: the comparison point."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    holder: dict[str, Site] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - http.server's naming
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, extra, body = holder["site"].respond("GET", self.path, headers)
            self.send_response(status)
            for key, value in extra:
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    httpd.daemon_threads = True
    site = Site(corpus, f"http://127.0.0.1:{httpd.server_address[1]}", prerender=not lazy)
    holder["site"] = site
    print(
        json.dumps(
            {
                "base": site.base,
                "ports": [httpd.server_address[1]],
                "pages": corpus.pages,
                "prerender_s": round(site.prerender_s, 2),
                "threaded": True,
            }
        ),
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":  # pragma: no cover - `python -m bench serve` is the entry point
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
