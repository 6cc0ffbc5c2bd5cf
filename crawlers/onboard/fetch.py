"""A small polite HTTP client for onboarding: robots.txt first, a delay between requests, timeouts,
a size cap, and redirects followed only while they stay on the site.

It runs a handful of sequential requests outside Scrapy's reactor, so it uses urllib3 (already
installed with Prefect's dependencies) rather than a crawler. Bytes are decoded with the crawl's
own `crawlers.encoding.decode_html`, so a GBK page without a charset header reads the same here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urljoin, urlsplit

import urllib3
from protego import Protego

from crawlers.encoding import Decoded, decode_html
from crawlers.registry import DEFAULT_USER_AGENT
from crawlers.urls import BadURL, host_allowed, normalise_url

from .errors import FetchFailed, OffSite, RobotsForbidden

MAX_REDIRECTS = 5


@dataclass
class Page:
    """One answered request: the final URL after same-site redirects, its status and bytes."""

    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    truncated: bool = False

    @cached_property
    def decoded(self) -> Decoded:
        return decode_html(self.body, self.content_type)

    @property
    def text(self) -> str:
        return self.decoded.text

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def is_html(self) -> bool:
        kind = self.content_type.split(";")[0].strip().lower()
        if kind:
            return kind in ("text/html", "application/xhtml+xml")
        return self.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


@dataclass
class Robots:
    """robots.txt of one host, parsed with Protego (the parser Scrapy uses)."""

    url: str
    status: int | None
    parser: Protego | None
    note: str = ""
    unreachable: bool = False

    def allows(self, url: str, user_agent: str) -> bool:
        return self.parser is None or self.parser.can_fetch(url, user_agent)

    @property
    def sitemaps(self) -> list[str]:
        return list(self.parser.sitemaps) if self.parser is not None else []

    def verdict(self, url: str, user_agent: str) -> str:
        if self.unreachable:
            return f"could not be read: {self.note}"
        if self.parser is None:
            return f"no robots.txt ({self.note}): everything allowed"
        return "allowed" if self.allows(url, user_agent) else "forbidden"


@dataclass
class Fetcher:
    """Sequential GETs on one site: `allowed_domains` bound every request and every redirect.

    `resolve` maps a host to a loopback "host:port" served over plain HTTP, like curl's --resolve:
    URLs, robots.txt and redirects keep the real host, only the connection goes to the given
    address (how saved real pages are checked offline; see tests/test_sources_real.py).
    """

    allowed_domains: tuple[str, ...]
    user_agent: str = DEFAULT_USER_AGENT
    delay: float = 2.0
    timeout: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    requests: int = 0
    _last: float = field(default=0.0, repr=False)
    _robots: dict[str, Robots] = field(default_factory=dict, repr=False)
    _cache: dict[str, Page] = field(default_factory=dict, repr=False)
    _http: urllib3.PoolManager | None = field(default=None, repr=False)
    resolve: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self._http = urllib3.PoolManager(
            retries=False,
            timeout=urllib3.Timeout(connect=min(self.timeout, 10.0), read=self.timeout),
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    # robots.txt

    def robots(self, url: str) -> Robots:
        """robots.txt of the URL's host, fetched once (a missing or unreachable one allows everything)."""
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            robots_url = root + "/robots.txt"
            try:
                page = self._get(robots_url)
            except OffSite:
                self._robots[root] = Robots(robots_url, None, None, "it redirects off the site")
            except FetchFailed as exc:  # the host is down: the request that follows says so
                self._robots[root] = Robots(robots_url, None, None, exc.reason, unreachable=True)
            else:
                if page.status == 200:
                    self._robots[root] = Robots(robots_url, 200, Protego.parse(page.text))
                else:
                    self._robots[root] = Robots(robots_url, page.status, None, f"HTTP {page.status}")
        return self._robots[root]

    def allowed(self, url: str) -> bool:
        return self.robots(url).allows(url, self.user_agent)

    # pages

    def get(self, url: str, honour_robots: bool = True) -> Page:
        """GET `url` (cached per run); raise FetchFailed, OffSite or RobotsForbidden."""
        url = _clean(url)
        if url in self._cache:
            return self._cache[url]
        if not host_allowed(url, self.allowed_domains):
            raise OffSite(url, f"not on the site ({', '.join(self.allowed_domains)})")
        if honour_robots:
            robots = self.robots(url)
            if not robots.allows(url, self.user_agent):
                raise RobotsForbidden(url, robots.url)
        page = self._get(url)
        self._cache[url] = page
        return page

    def _get(self, url: str) -> Page:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            self._wait()
            try:
                target, headers = self._route(current)
                assert self._http is not None
                response = self._http.request("GET", target, headers=headers, redirect=False, preload_content=False)
            except urllib3.exceptions.MaxRetryError as exc:
                raise FetchFailed(url, _reason(exc.reason or exc)) from None
            except urllib3.exceptions.HTTPError as exc:
                raise FetchFailed(url, _reason(exc)) from None
            finally:
                self.requests += 1
                self._last = time.monotonic()
            if response.status in (301, 302, 303, 307, 308) and response.headers.get("Location"):
                target = _clean(urljoin(current, response.headers["Location"]))
                response.release_conn()
                if not host_allowed(target, self.allowed_domains):
                    raise OffSite(url, f"redirects off the site to {target}; not followed")
                current = target
                continue
            body, truncated = self._read(url, response)
            return Page(url, current, response.status, response.headers.get("Content-Type", ""), body, truncated)
        raise FetchFailed(url, f"more than {MAX_REDIRECTS} redirects")

    def _route(self, url: str) -> tuple[str, dict]:
        parts = urlsplit(url)
        address = self.resolve.get(parts.hostname or "")
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
        if address is None:
            return url, headers
        headers["Host"] = parts.netloc
        return parts._replace(scheme="http", netloc=address).geturl(), headers

    def _read(self, url: str, response) -> tuple[bytes, bool]:
        chunks, size = [], 0
        try:
            for chunk in response.stream(64 * 1024, decode_content=True):
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_bytes:
                    return b"".join(chunks)[: self.max_bytes], True
        except urllib3.exceptions.HTTPError as exc:
            raise FetchFailed(url, _reason(exc)) from None
        finally:
            response.release_conn()
        return b"".join(chunks), False

    def _wait(self) -> None:
        pause = self._last + self.delay - time.monotonic()
        if self._last and pause > 0:
            time.sleep(pause)


def _clean(url: str) -> str:
    try:
        return normalise_url(url)
    except BadURL as exc:
        raise FetchFailed(url, f"not a URL presswatch fetches ({exc})") from None


def _reason(exc) -> str:
    text = str(exc)
    # NameResolutionError is a NewConnectionError, which is a ConnectTimeoutError: test in this order.
    if isinstance(exc, urllib3.exceptions.NameResolutionError) or "resolve" in text.lower():
        return "the host name does not resolve"
    if "Connection refused" in text:
        return "does not answer (connection refused)"
    if isinstance(exc, urllib3.exceptions.NewConnectionError):
        return "does not answer (" + text.rsplit(": ", 1)[-1] + ")"
    if (
        isinstance(exc, (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError))
        or "timed out" in text
    ):
        return "timed out"
    return f"{type(exc).__name__}: {text}"[:300]
