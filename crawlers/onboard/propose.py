"""`presswatch sources add`: from one home or section URL, propose a complete registry entry.

Steps (a handful of sequential polite requests through fetch.Fetcher):
  1. robots.txt, then the start page (refused when forbidden, down, off-site or not HTML);
  2. feeds the page declares (else the usual feed paths), sitemaps robots.txt names (else the
     usual sitemap paths);
  3. URL shapes of the page's links and the feeds' items are sampled and extracted; the shapes
     whose pages are articles make `article_pattern`. Sitemap URLs only add to shapes the page
     or its feeds show, so a shared host's other sections stay out (unless nothing else is found);
  4. listing pages: the start page and the pages already fetched that link to several articles;
     paginated ones become `listings` with a `listing_pattern`;
  5. three to five sample articles for the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawlers.registry import DEFAULT_USER_AGENT
from crawlers.registry_types import SLUG
from crawlers.urls import BadURL, host_allowed, normalise_url

from . import discover
from .discover import Found
from .errors import BadStartURL, NoArticles
from .fetch import Fetcher, Robots
from .patterns import count_matching, group_shapes, most_common, pattern_for, shape_key
from .sampling import Sample, ShapeVerdict, classify, sample_page

MAX_FEEDS = 4
MAX_SITEMAPS = 3
MAX_LISTINGS = 3
MIN_LISTING_ARTICLES = 3
LISTING_CANDIDATES = 6  # section pages fetched to look for paginated listings
_DROP_LABELS = {"www", "en", "english", "m", "news"}


@dataclass
class Proposal:
    """Everything `sources add` found, and the entry it proposes."""

    start_url: str
    name: str
    label: str
    language: str
    allowed_domains: tuple[str, ...]
    article_pattern: str
    feeds: list[Found] = field(default_factory=list)
    sitemaps: list[Found] = field(default_factory=list)
    listings: list[Found] = field(default_factory=list)
    listing_pattern: str | None = None
    left_out: list[tuple[Found, str]] = field(default_factory=list)  # discovery URLs not used, and why
    verdicts: list[ShapeVerdict] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    candidates: int = 0
    matched: int = 0
    delay: float = 2.0
    requests: int = 0
    robots: Robots | None = None

    @property
    def article_shapes(self) -> list[ShapeVerdict]:
        return [v for v in self.verdicts if v.article]

    @property
    def other_shapes(self) -> list[ShapeVerdict]:
        return [v for v in self.verdicts if not v.article]

    @property
    def fixed_links(self) -> int:
        """Links with a fixed address (sections, about pages): never articles, so never sampled."""
        return sum(len(v.shape.urls) for v in self.verdicts if v.shape.fixed)

    def coverage(self) -> tuple[int, int, int, int]:
        """(sampled articles the pattern covers, sampled articles, other sampled pages it excludes, others)."""
        regex = re.compile(self.article_pattern)
        fetched = [s for v in self.verdicts for s in v.fetched]
        articles = [s for s in fetched if s.article]
        others = [s for s in fetched if not s.article]
        return (
            sum(bool(regex.search(s.url)) for s in articles),
            len(articles),
            sum(not regex.search(s.url) for s in others),
            len(others),
        )


def start_url(url: str) -> str:
    try:
        cleaned = normalise_url(url if "://" in url else "https://" + url)
    except BadURL as exc:
        raise BadStartURL(
            f"{url!r} is not a web address ({exc}): give the outlet's home page, e.g. https://example.org/"
        ) from None
    return cleaned


def propose(
    url: str,
    name: str | None = None,
    delay: float = 2.0,
    budget: int = 16,
    timeout: float = 20.0,
    user_agent: str = DEFAULT_USER_AGENT,
) -> Proposal:
    """Discover, sample and infer an entry for the site at `url`; raise an OnboardError when it cannot."""
    url = start_url(url)
    host = urlsplit(url).hostname or ""
    domain = host.removeprefix("www.")
    fetcher = Fetcher((domain,), user_agent=user_agent, delay=delay, timeout=timeout)
    page, robots = discover.start_page(fetcher, url)
    allowed = (domain,)
    links = [u for u in discover.site_links(page, allowed) if u != page.final_url]

    feeds = [discover.read_feed(fetcher, f) for f in discover.declared_feeds(page)[:MAX_FEEDS]]
    if not any(f.ok for f in feeds):
        feeds += discover.probe(fetcher, url, discover.COMMON_FEEDS, "feed")
    site_maps = [s for s in robots.sitemaps if _on_site(s, allowed)][:MAX_SITEMAPS]
    sitemaps = [discover.read_sitemap(fetcher, s, "robots") for s in site_maps]
    if not site_maps:
        sitemaps += discover.probe(fetcher, url, discover.COMMON_SITEMAPS, "sitemap")

    discovery_urls = {f.url for f in feeds + sitemaps}
    primary = _unique(links + [u for f in feeds if f.ok for u in f.links])
    primary = [u for u in primary if u not in discovery_urls and _on_site(u, allowed)]
    secondary = _unique(u for s in sitemaps if s.ok for u in s.links if _on_site(u, allowed))
    keys = {shape_key(u) for u in primary}
    candidates = _unique(primary + [u for u in secondary if shape_key(u) in keys])
    verdicts = classify(fetcher, group_shapes(candidates), budget)
    if not any(v.article for v in verdicts) and secondary:
        extra = [u for u in secondary if shape_key(u) not in keys]
        verdicts += classify(fetcher, group_shapes(extra), max(4, budget // 2))
        candidates = _unique(candidates + extra)
    article_shapes = [v.shape for v in verdicts if v.article]
    if not article_shapes:
        tried = sum(len(v.fetched) for v in verdicts)
        raise NoArticles(
            f"{url}: none of the {tried} pages sampled from {len(candidates)} links, feeds and sitemaps "
            "extracted as an article (title, text and a date): give a section page that lists articles"
        )
    pattern = pattern_for(article_shapes)

    listings, listing_pattern = _listings(fetcher, page, verdicts, pattern, allowed)
    used_feeds, used_sitemaps, left_out = _used(feeds, sitemaps, pattern)
    if not (used_feeds or used_sitemaps or listings):
        listings = [discover.read_listing(fetcher, page.final_url, allowed)]
    samples = _samples(fetcher, verdicts, candidates, pattern)
    label = most_common(s.fields.get("site_name") for s in samples) or _label(discover.page_title(page), host)
    language = most_common(s.fields.get("language") for s in samples) or discover.html_language(page) or "en"
    return Proposal(
        start_url=url,
        name=name or derive_name(url),
        label=label,
        language=language[:2].lower(),
        allowed_domains=allowed,
        article_pattern=pattern,
        feeds=used_feeds,
        sitemaps=used_sitemaps,
        listings=listings,
        listing_pattern=listing_pattern,
        left_out=left_out,
        verdicts=verdicts,
        samples=samples,
        candidates=len(candidates),
        matched=count_matching(pattern, candidates),
        delay=delay,
        requests=fetcher.requests,
        robots=robots,
    )


def derive_name(url: str) -> str:
    """A slug from the host (www.chinadaily.com.cn → chinadaily), or from the first path segment on a bare IP."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if re.fullmatch(r"[\d.]+|localhost|\[.*\]", host) or ":" in host:
        first = next((seg for seg in parts.path.split("/") if seg), "source")
        candidate = first
    else:
        labels = [label for label in host.split(".") if label not in _DROP_LABELS]
        candidate = labels[0] if labels else host.split(".")[0]
    slug = re.sub(r"[^a-z0-9_-]+", "-", candidate.lower()).strip("-_")[:60] or "source"
    return slug if SLUG.match(slug) else "source"


def _label(title: str | None, host: str) -> str:
    if not title:
        return host
    parts = [p.strip() for p in re.split(r"\s+[-|–—:]\s+|\s*[|｜_]\s*", title) if p.strip()]
    return parts[-1] if len(parts) > 1 and len(parts[-1]) <= 60 else (parts[0] if parts else host)


def _listings(fetcher, page, verdicts, pattern, allowed) -> tuple[list[Found], str | None]:
    """Listing pages: fetched pages that link to several articles; the paginated ones are kept."""
    regex = re.compile(pattern)
    fetched = [s.final_url or s.url for v in verdicts if not v.article for s in v.fetched if s.reason != "HTTP 404"]
    folder = urlsplit(page.final_url).path.rsplit("/", 1)[0] + "/"
    fixed = [u for v in verdicts if v.shape.fixed for u in v.shape.urls]
    # Sections of the start page's own folder first: a shared host's other outlets come last.
    fixed.sort(key=lambda u: not urlsplit(u).path.startswith(folder))
    candidates = _unique([page.final_url] + fetched + fixed[:LISTING_CANDIDATES])
    paginated, next_urls = [], []
    for candidate in candidates:
        listing = discover.read_listing(fetcher, candidate, allowed)
        if not listing.ok or sum(bool(regex.search(u)) for u in listing.links) < MIN_LISTING_ARTICLES:
            continue
        pages = [u for u in listing.next_pages if not regex.search(u) and u != listing.url]
        if pages:
            paginated.append(listing)
            next_urls.extend(pages)
    if not paginated:
        return [], None
    paginated.sort(key=lambda f: -sum(bool(regex.search(u)) for u in f.links))
    kept = paginated[:MAX_LISTINGS]
    return kept, pattern_for(group_shapes(_unique(next_urls)))


def _used(feeds, sitemaps, pattern) -> tuple[list[Found], list[Found], list[tuple[Found, str]]]:
    used_feeds: list[Found] = []
    used_sitemaps: list[Found] = []
    left_out: list[tuple[Found, str]] = []
    for found in feeds + sitemaps:
        if not found.ok:
            left_out.append((found, found.error))
            continue
        matching = count_matching(pattern, found.links)
        if matching:
            (used_feeds if found.kind == "feed" else used_sitemaps).append(found)
        else:
            left_out.append((found, f"none of its {len(found.links)} URLs match the article pattern"))
    return used_feeds, used_sitemaps, left_out


def _samples(fetcher, verdicts, candidates, pattern, want: int = 5, least: int = 3) -> list[Sample]:
    regex = re.compile(pattern)
    samples = [s for v in verdicts if v.article for s in v.fetched][:want]
    seen = {s.url for v in verdicts for s in v.samples}
    for url in candidates:
        if len(samples) >= least:
            break
        if url not in seen and regex.search(url):
            sample = sample_page(fetcher, url)
            if sample.article:
                samples.append(sample)
    return samples


def _on_site(url: str, allowed) -> bool:
    return host_allowed(url, allowed)


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))
