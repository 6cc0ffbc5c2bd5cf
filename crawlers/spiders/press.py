"""The one generic spider: a registry entry says where to discover articles; this fetches them.

It yields two kinds of record, both plain dicts that the pipelines extract, archive and stage:
`fetch` (a feed, sitemap or listing request, or a failure) and `capture` (an article page).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

import feedparser
import scrapy
from scrapy import signals
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.sitemap import Sitemap

from crawlers.extraction_options import options_for
from crawlers.known import read_again_where_extractor_changed, read_known
from crawlers.registry import Source, load_registry
from crawlers.urls import BadURL, host_allowed, normalise_url

ARTICLE_STATUSES = [304, 404, 410]
# Failure reasons that mean the host is unreachable (flows.crawl_step does not retry those crawls).
HOST_DOES_NOT_RESOLVE = "host {host} does not resolve"
HOST_REFUSED = "host {host} refused the connection on port {port}"
_MAX_SITEMAP_BYTES = 50 * 1024 * 1024


def now_iso() -> str:
    """Naive UTC, as the warehouse stores every time."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat()


class PressSpider(scrapy.Spider):
    """Discover through feeds, sitemaps and listings; fetch articles and due revisits."""

    name = "press"

    def __init__(self, source: str | None = None, registry: str | None = None, known: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if not source:
            raise ValueError("give a source: scrapy crawl press -a source=NAME")
        loaded = load_registry(registry)
        self.source: Source = loaded.get(source)
        self.registry_path = loaded.path
        self.allowed_domains = list(self.source.allowed_domains)
        self.known = read_known(known)
        read_again_where_extractor_changed(self.known, options_for(self.source).extractor_version)
        self.seen: set[str] = set()
        self.discovered: dict[str, str] = {}  # article URL -> how discovery found it this run
        self.dropped: list[dict] = []  # redirects Scrapy dropped without an errback, as failure records
        self.articles_requested = 0
        self.listing_pages = 0
        self.sitemaps_seen: set[str] = set()
        self.links = LinkExtractor(unique=True)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        source = spider.source
        crawler.signals.connect(spider.on_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(spider.on_dropped, signal=signals.request_dropped)
        crawler.settings.setdict(
            {
                "DOWNLOAD_DELAY": source.download_delay,
                "CONCURRENT_REQUESTS_PER_DOMAIN": source.concurrency,
                "CONCURRENT_REQUESTS": max(source.concurrency, 2),
                "AUTOTHROTTLE_ENABLED": source.autothrottle,
                "AUTOTHROTTLE_TARGET_CONCURRENCY": float(source.concurrency),
                "USER_AGENT": source.user_agent,
                "DOWNLOAD_MAXSIZE": source.max_download_bytes,
                "DOWNLOAD_WARNSIZE": 0,
                "DOWNLOAD_TIMEOUT": source.download_timeout,
                "PRESSWATCH_RETRY_AFTER_MAX": source.retry_after_max,
            },
            priority="spider",
        )
        return spider

    async def start(self):
        for url in self.source.feeds:
            yield self._request(url, "feed", self.parse_feed)
        for url in self.source.sitemaps:
            yield self._request(url, "sitemap", self.parse_sitemap, depth=0)
        for url in self.source.listings:
            yield self._request(url, "listing", self.parse_listing, depth=0)
        for entry in self.known.values():
            if entry.get("due"):
                request = self._article_request(entry["url"], via="revisit")
                if request:
                    yield request

    # discovery

    def parse_feed(self, response: Response):
        yield self._fetch_record(response, "feed")
        parsed = feedparser.parse(response.body)
        links = [entry.get("link") for entry in parsed.entries if entry.get("link")]
        if parsed.bozo and not links:
            yield self._failure_record(response.url, "feed", f"malformed feed: {parsed.bozo_exception}")
            return
        for link in links:
            request = self._article_request(response.urljoin(link), via="feed")
            if request:
                yield request

    def parse_sitemap(self, response: Response, depth: int = 0):
        yield self._fetch_record(response, "sitemap")
        body = _sitemap_body(response)
        if body is None:
            yield self._failure_record(response.url, "sitemap", "sitemap body is not XML or is over the size cap")
            return
        try:
            sitemap = Sitemap(body)
        except Exception as exc:  # lxml raises several kinds on garbage
            yield self._failure_record(response.url, "sitemap", f"malformed sitemap: {exc}")
            return
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                child = response.urljoin(entry["loc"])
                if depth < self.source.max_depth and child not in self.sitemaps_seen:
                    request = self._request(child, "sitemap", self.parse_sitemap, depth=depth + 1)
                    if request:
                        yield request
            return
        for entry in sitemap:
            request = self._article_request(response.urljoin(entry["loc"]), via="sitemap", lastmod=entry.get("lastmod"))
            if request:
                yield request

    def parse_listing(self, response: Response, depth: int = 0):
        yield self._fetch_record(response, "listing")
        if not isinstance(response, TextResponse):
            yield self._failure_record(response.url, "listing", "listing is not a text page")
            return
        listing_pattern = self.source.listing_pattern
        next_pages = set(response.xpath("//a[@rel='next']/@href | //link[@rel='next']/@href").getall())
        for link in self.links.extract_links(response):
            try:
                url = normalise_url(link.url)
            except BadURL:
                continue
            if self.source.matches_article(url):
                request = self._article_request(url, via="listing")
                if request:
                    yield request
            elif listing_pattern and re.search(listing_pattern, url):
                next_pages.add(url)
        if depth >= self.source.max_depth:
            return
        for href in next_pages:
            if self.listing_pages >= self.source.max_listing_pages:
                self.logger.info("%s: listing page limit (%d) reached", self.source.name, self.source.max_listing_pages)
                return
            request = self._request(response.urljoin(href), "listing", self.parse_listing, depth=depth + 1)
            if request:
                self.listing_pages += 1
                yield request

    # articles

    def parse_article(self, response: Response, via: str, lastmod: str | None = None):
        known = self.known.get(response.meta["pw_url"])
        final_url = _final_url(response)
        record = self._capture(response, via, lastmod, known)
        if response.status == 304:
            record["outcome"] = "not_modified"
        elif response.status in (404, 410):
            record["outcome"] = "gone"
            record["reason"] = f"HTTP {response.status}"
        elif not self.source.matches_article(final_url):
            record["outcome"] = "gone" if known else "skipped"
            record["reason"] = f"redirected to a page that is not an article: {final_url}"
        elif known and known.get("raw_hash") == record["raw_hash"]:
            record["outcome"] = "unchanged_body"
        else:
            record["outcome"] = "fetched"  # decoded and extracted in a worker (pipelines/extract.py)
        yield record

    def on_error(self, failure):
        request = failure.request
        kind = request.meta.get("pw_kind", "article")
        reason = _failure_reason(failure)
        yield self._failure_record(request.meta.get("pw_url", request.url), kind, reason, request=request)

    def on_scheduled(self, request, spider=None):
        """A redirect leaving the allowed domains is dropped by Scrapy's offsite filter: record why."""
        if (
            request.meta.get("redirect_urls")
            and "pw_url" in request.meta
            and not host_allowed(request.url, self.allowed_domains)
        ):
            self._drop(request, f"redirected off the allowed domains to {request.url}")

    def on_dropped(self, request, spider=None):
        """A redirect to a URL already requested is dropped by the duplicate filter: record why."""
        if request.meta.get("redirect_urls") and "pw_url" in request.meta:
            self._drop(request, f"redirected to {request.url}, already requested in this run (a loop or a duplicate)")

    def _drop(self, request, reason: str) -> None:
        self.dropped.append(
            self._failure_record(
                request.meta["pw_url"], request.meta.get("pw_kind", "article"), reason, request=request
            )
        )

    # helpers

    def _request(self, url: str, kind: str, callback, **cb_kwargs) -> scrapy.Request | None:
        try:
            url = normalise_url(url)
        except BadURL:
            return None
        if url in self.seen or not host_allowed(url, self.allowed_domains):
            return None
        self.seen.add(url)
        if kind == "sitemap":
            self.sitemaps_seen.add(url)
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.on_error,
            cb_kwargs=cb_kwargs,
            meta={"pw_kind": kind, "pw_url": url, "pw_started": time.monotonic()},
        )

    def _article_request(self, url: str, via: str, lastmod: str | None = None) -> scrapy.Request | None:
        try:
            url = normalise_url(url)
        except BadURL:
            return None
        if not host_allowed(url, self.allowed_domains) or not self.source.matches_article(url):
            return None
        if via != "revisit":
            self.discovered.setdefault(url, via)
        if url in self.seen:
            return None
        known = self.known.get(url)
        lastmod_moved = lastmod and known and known.get("sitemap_lastmod") not in (None, lastmod)
        if via != "revisit" and known and not known.get("due") and not lastmod_moved:
            return None  # known and not due: discovery alone does not re-fetch it
        if via != "revisit" and not known and self.articles_requested >= self.source.max_articles:
            return None
        self.seen.add(url)
        self.articles_requested += not known
        headers = {}
        if known and self.source.conditional_get:
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
        return scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.on_error,
            headers=headers,
            cb_kwargs={"via": via, "lastmod": lastmod},
            meta={
                "pw_kind": "article",
                "pw_url": url,
                "pw_started": time.monotonic(),
                "handle_httpstatus_list": ARTICLE_STATUSES,
            },
        )

    def _base(self, url: str, kind: str) -> dict:
        return {"source": self.source.name, "url": url, "kind": kind, "fetched_at": now_iso()}

    def _fetch_record(self, response: Response, kind: str) -> dict:
        return {
            **self._base(response.meta.get("pw_url", response.url), kind),
            "type": "fetch",
            "final_url": response.url,
            "status": response.status,
            "bytes": len(response.body),
            "duration_ms": _duration_ms(response.meta),
        }

    def _failure_record(self, url: str, kind: str, reason: str, request=None) -> dict:
        self.logger.warning("%s: %s %s: %s", self.source.name, kind, url, reason)
        known = self.known.get(url) if kind == "article" else None
        record = {
            **self._base(url, kind),
            "type": "fetch",
            "error": reason,
            "duration_ms": _duration_ms(request.meta) if request else None,
        }
        if known:
            record["article_id"] = known.get("article_id")
        return record

    def _capture(self, response: Response, via: str, lastmod: str | None, known: dict | None) -> dict:
        headers = response.headers
        return {
            **self._base(response.meta["pw_url"], "article"),
            "type": "capture",
            "via": via,
            "final_url": _final_url(response),
            "status": response.status,
            "bytes": len(response.body),
            "duration_ms": _duration_ms(response.meta),
            "raw_hash": hashlib.sha256(response.body).hexdigest() if response.status == 200 else None,
            "etag": _header(headers, b"ETag"),
            "last_modified": _header(headers, b"Last-Modified"),
            "content_type": _header(headers, b"Content-Type"),
            "sitemap_lastmod": lastmod,
            "article_id": known.get("article_id") if known else None,
            "_body": response.body,
            "_headers": response.headers,
        }


def _final_url(response: Response) -> str:
    try:
        return normalise_url(response.url)
    except BadURL:
        return response.url


def _header(headers, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None


def _duration_ms(meta) -> int | None:
    latency = meta.get("download_latency")
    if latency is not None:
        return int(latency * 1000)
    started = meta.get("pw_started")
    return int((time.monotonic() - started) * 1000) if started else None


def _sitemap_body(response: Response) -> bytes | None:
    body = response.body
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzipped:
                body = unzipped.read(_MAX_SITEMAP_BYTES + 1)
        except (OSError, EOFError):
            return None
        if len(body) > _MAX_SITEMAP_BYTES:
            return None
    return body if body.lstrip()[:1] == b"<" else None


def _failure_reason(failure) -> str:
    from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.internet.error import ConnectionRefusedError, DNSLookupError
    from twisted.internet.error import TimeoutError as TwistedTimeout

    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    request = getattr(failure, "request", None)
    where = urlsplit(request.url) if request is not None else None
    if where and isinstance(exc, (CannotResolveHostError, DNSLookupError)):
        return f"{HOST_DOES_NOT_RESOLVE.format(host=where.hostname)}"
    if where and isinstance(exc, (DownloadConnectionRefusedError, ConnectionRefusedError)):
        port = where.port or (443 if where.scheme == "https" else 80)
        return f"{HOST_REFUSED.format(host=where.hostname, port=port)}"
    if isinstance(exc, TwistedTimeout) or "timeout" in type(exc).__name__.lower():
        return "timed out"
    name = type(exc).__name__
    message = str(exc) or name
    if name == "IgnoreRequest" and "robots" in message.lower():
        return "forbidden by robots.txt"
    return f"{name}: {message}"[:500]
