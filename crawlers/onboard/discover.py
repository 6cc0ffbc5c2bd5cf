"""Find a site's feeds, sitemaps and listing pages, and read the links each one holds.

Feeds are parsed with feedparser and sitemaps with Scrapy's `Sitemap` (lxml), as the crawl does
(crawlers/spiders/press.py); links are taken from `<a href>` as Scrapy's LinkExtractor would.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html
from scrapy.utils.sitemap import Sitemap

from crawlers.urls import BadURL, host_allowed, normalise_url

from .errors import FetchFailed, NotHTML, OffSite, RobotsForbidden
from .fetch import Fetcher, Page, Robots

COMMON_FEEDS = ("/feed", "/rss", "/rss.xml", "/feed.xml", "/atom.xml")
COMMON_SITEMAPS = ("/sitemap.xml", "/sitemap_index.xml")
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
MAX_CHILD_SITEMAPS = 4
_FEED_TYPES = re.compile(r"(rss|atom)\+xml|application/(rss|atom|xml)", re.IGNORECASE)
_FEED_HREF = re.compile(r"(rss|feed|atom)[^/]*(\.xml|\.rss)?$|\.rss$", re.IGNORECASE)
_NEXT_TEXT = re.compile(r"^\s*(\d{1,4}|next|next page|»|›|>|下一页|下页|后页)\s*[»›>]?\s*$", re.IGNORECASE)


@dataclass
class Found:
    """One discovery URL (feed, sitemap or listing) as fetched: what answered and what it links to."""

    url: str
    kind: str  # feed | sitemap | listing
    via: str = "page"  # page | robots | probe | registry | index
    status: int | None = None
    error: str | None = None
    links: list[str] = field(default_factory=list)
    lastmods: dict[str, str] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)  # sitemap index: its sitemaps
    next_pages: list[str] = field(default_factory=list)  # listing: its pagination links
    title: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def site_links(page: Page, allowed_domains) -> list[str]:
    """Normalised same-site `<a href>` targets of an HTML page, in page order, without duplicates."""
    tree = _tree(page)
    if tree is None:
        return []
    out: dict = {}
    for href in tree.xpath("//a/@href"):
        url = _absolute(page.final_url, href)
        if url and host_allowed(url, allowed_domains):
            out.setdefault(url, None)
    return list(out)


def declared_feeds(page: Page) -> list[str]:
    """Feeds the page announces (`<link rel="alternate">`) or links to by a feed-like name."""
    tree = _tree(page)
    if tree is None:
        return []
    found: dict = {}
    for link in tree.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        if "alternate" in rel and _FEED_TYPES.search(link.get("type") or ""):
            url = _absolute(page.final_url, link.get("href"))
            if url:
                found.setdefault(url, None)
    for href in tree.xpath("//a/@href"):
        url = _absolute(page.final_url, href)
        if url and _FEED_HREF.search(urlsplit(url).path):
            found.setdefault(url, None)
    return list(found)


def next_pages(page: Page, allowed_domains) -> list[str]:
    """Pagination links of a listing: rel="next" and links reading as a page number or "next"."""
    tree = _tree(page)
    if tree is None:
        return []
    found: dict = {}
    for a in tree.xpath("//a[@href] | //link[@rel='next'][@href]"):
        rel = (a.get("rel") or "").lower().split()
        text = a.text_content() if a.tag == "a" else ""
        if "next" in rel or _NEXT_TEXT.match(text or ""):
            url = _absolute(page.final_url, a.get("href"))
            if url and host_allowed(url, allowed_domains) and url != _absolute(page.final_url, page.final_url):
                found.setdefault(url, None)
    return list(found)


def page_title(page: Page) -> str | None:
    tree = _tree(page)
    if tree is None:
        return None
    for xpath in (
        "//meta[@property='og:site_name']/@content",
        "//meta[@name='application-name']/@content",
        "//title/text()",
    ):
        values = [v.strip() for v in tree.xpath(xpath) if v.strip()]
        if values:
            return values[0]
    return None


def html_language(page: Page) -> str | None:
    tree = _tree(page)
    if tree is None:
        return None
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    return lang.split("-")[0].lower() if lang else None


def read_feed(fetcher: Fetcher, url: str, via: str = "page") -> Found:
    """Fetch and parse one feed; `error` says why it is not usable."""
    found = Found(url, "feed", via)
    page = _fetch(fetcher, found)
    if page is None:
        return found
    parsed = feedparser.parse(page.body)
    links = [entry.get("link") for entry in parsed.entries if entry.get("link")]
    if not parsed.entries and (parsed.bozo or not parsed.version):
        found.error = "not an RSS or Atom feed" + (f" ({parsed.bozo_exception})" if parsed.bozo else "")
        return found
    found.title = parsed.feed.get("title")
    found.links = _normalised(page.final_url, links)
    return found


def read_sitemap(fetcher: Fetcher, url: str, via: str = "page", depth: int = 0) -> Found:
    """Fetch and parse one sitemap; a sitemap index is followed to a few of its sitemaps."""
    found = Found(url, "sitemap", via)
    page = _fetch(fetcher, found)
    if page is None:
        return found
    body = _sitemap_body(page.body)
    if body is None:
        found.error = "not an XML sitemap (or over the size cap)"
        return found
    try:
        sitemap = Sitemap(body)
    except Exception as exc:  # noqa: BLE001 - lxml raises several kinds on garbage
        found.error = f"malformed sitemap: {exc}"[:200]
        return found
    entries = [e for e in sitemap if e.get("loc")]
    if sitemap.type == "sitemapindex":
        found.children = _normalised(page.final_url, [e["loc"] for e in entries])
        # News sitemaps first: they hold the recent articles an entry is checked on.
        chosen = sorted(found.children, key=lambda u: "news" not in u.lower())[:MAX_CHILD_SITEMAPS]
        for child in chosen if depth < 2 else []:
            sub = read_sitemap(fetcher, child, "index", depth + 1)
            if sub.ok:
                found.links.extend(u for u in sub.links if u not in found.links)
                found.lastmods.update(sub.lastmods)
            elif not found.error:
                found.error = f"its sitemap {child}: {sub.error}"
        return found
    if sitemap.type != "urlset":
        found.error = f"not a sitemap (root element {sitemap.type!r})"
        return found
    for entry in entries:
        url_ = _absolute(page.final_url, entry["loc"])
        if url_:
            found.links.append(url_)
            if entry.get("lastmod"):
                found.lastmods[url_] = entry["lastmod"]
    return found


def read_listing(fetcher: Fetcher, url: str, allowed_domains, via: str = "page") -> Found:
    """Fetch one listing page: its same-site links and its pagination."""
    found = Found(url, "listing", via)
    page = _fetch(fetcher, found)
    if page is None:
        return found
    if not page.is_html:
        found.error = f"not an HTML page ({page.content_type or 'no content type'})"
        return found
    found.links = site_links(page, allowed_domains)
    found.next_pages = next_pages(page, allowed_domains)
    return found


def start_page(fetcher: Fetcher, url: str) -> tuple[Page, Robots]:
    """The page onboarding starts from; raise when it is forbidden, down, off-site or not HTML."""
    try:
        robots = fetcher.robots(url)
    except FetchFailed as exc:  # robots.txt is the first request: the site itself is down
        raise FetchFailed(url, exc.reason, exc.status) from None
    if not robots.allows(url, fetcher.user_agent):
        raise RobotsForbidden(url, robots.url)
    page = fetcher.get(url)
    if page.status != 200:
        raise FetchFailed(url, f"answers HTTP {page.status}", page.status)
    if not page.is_html:
        raise NotHTML(
            f"{url} answers {page.content_type or 'an unknown type'}, not an HTML page: "
            "give the outlet's home page or a section page"
        )
    return page, robots


def probe(fetcher: Fetcher, start_url: str, paths, kind: str) -> list[Found]:
    """Try the usual feed or sitemap paths at the site root; keep the ones that parse."""
    parts = urlsplit(start_url)
    found = []
    for path in paths:
        url = f"{parts.scheme}://{parts.netloc}{path}"
        if not fetcher.allowed(url):
            continue
        result = read_feed(fetcher, url, "probe") if kind == "feed" else read_sitemap(fetcher, url, "probe")
        if result.ok and result.links:
            found.append(result)
    return found


def _fetch(fetcher: Fetcher, found: Found) -> Page | None:
    try:
        page = fetcher.get(found.url)
    except RobotsForbidden:
        found.error = "robots.txt forbids it"
        return None
    except (FetchFailed, OffSite) as exc:
        found.error = exc.reason
        found.status = exc.status
        return None
    found.status = page.status
    if page.status != 200:
        found.error = f"HTTP {page.status}"
        return None
    return page


def _tree(page: Page):
    if not page.body:
        return None
    try:
        return lxml.html.fromstring(page.text.encode("utf-8", "replace"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    except (lxml.etree.ParserError, ValueError):
        return None


def _absolute(base: str, href: str | None) -> str | None:
    if not href or href.strip().lower().startswith(("javascript:", "mailto:", "tel:", "#")):
        return None
    try:
        return normalise_url(urljoin(base, href.strip()))
    except (BadURL, ValueError):
        return None


def _normalised(base: str, links) -> list[str]:
    out: dict = {}
    for link in links:
        url = _absolute(base, link)
        if url:
            out.setdefault(url, None)
    return list(out)


def _sitemap_body(body: bytes) -> bytes | None:
    if body[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as unzipped:
                body = unzipped.read(MAX_SITEMAP_BYTES + 1)
        except (OSError, EOFError):
            return None
        if len(body) > MAX_SITEMAP_BYTES:
            return None
    return body if body.lstrip()[:1] == b"<" else None
