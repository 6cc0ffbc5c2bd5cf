"""`presswatch sources check`: verify one registry entry against the live site.

Every feed, sitemap and listing must answer and parse; the URLs they give must match
`article_pattern` (the main shapes that do not are shown); robots.txt must allow them; one
article must extract with a title, text and a date. Each problem comes with what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawlers.registry import Source
from crawlers.urls import host_allowed

from . import discover
from .fetch import Fetcher
from .patterns import shapes_not_matching
from .sampling import Sample, sample_page

MAX_ARTICLE_TRIES = 3


@dataclass
class Line:
    """One thing checked: what, where, what was found, and whether it is fine."""

    kind: str
    url: str
    detail: str
    ok: bool = True


@dataclass
class SourceCheck:
    name: str
    lines: list[Line] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what to fix, one per problem
    discovered: int = 0
    matched: int = 0
    missed_shapes: list[tuple[str, int, str]] = field(default_factory=list)
    article: Sample | None = None
    requests: int = 0

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def verdict(self) -> str:
        return "pass" if self.passed else f"fail ({len(self.problems)} problem{'s' if len(self.problems) > 1 else ''})"


def make_fetcher(source: Source, resolve: dict[str, str] | None = None) -> Fetcher:
    return Fetcher(
        source.allowed_domains,
        user_agent=source.user_agent,
        delay=source.download_delay,
        timeout=min(source.download_timeout, 30.0),
        max_bytes=source.max_download_bytes,
        resolve=dict(resolve or {}),
    )


def check_source(source: Source, fetcher: Fetcher | None = None, articles: tuple[str, ...] = ()) -> SourceCheck:
    """Check one entry live; `articles` are extra article URLs to verify as well (e.g. saved pages)."""
    fetcher = fetcher or make_fetcher(source)
    result = SourceCheck(source.name)
    regex = re.compile(source.article_pattern)
    article_urls: list[str] = []  # from feeds and sitemaps: all of them should be articles
    listing_urls: list[str] = []  # from listings: menus and pagination too

    _robots_line(result, fetcher, source)
    for url in source.feeds:
        found = discover.read_feed(fetcher, url, "registry")
        if _answered(result, found, "remove it or replace it with the site's current feed"):
            if not found.links:
                _problem(
                    result,
                    Line("feed", url, "parses but has no items", False),
                    f"feed {url} has no items: replace it with a feed that lists articles",
                )
            else:
                n = sum(bool(regex.search(u)) for u in found.links)
                result.lines.append(
                    Line("feed", url, f"{found.status}, {len(found.links)} items, {n} match the pattern")
                )
                article_urls += found.links
    for url in source.sitemaps:
        found = discover.read_sitemap(fetcher, url, "registry")
        if _answered(result, found, "remove it or replace it with the sitemap robots.txt names"):
            n = sum(bool(regex.search(u)) for u in found.links)
            index = f" (index of {len(found.children)})" if found.children else ""
            result.lines.append(
                Line("sitemap", url, f"{found.status}{index}, {len(found.links)} URLs, {n} match the pattern")
            )
            article_urls += found.links
    for url in source.listings:
        found = discover.read_listing(fetcher, url, source.allowed_domains, "registry")
        if _answered(result, found, "remove it or replace it with the section's current address"):
            n = sum(bool(regex.search(u)) for u in found.links)
            pages = _pagination(source, found)
            line = Line("listing", url, f"{found.status}, {len(found.links)} links, {n} match the pattern{pages}")
            result.lines.append(line)
            if not n:
                line.ok = False
                result.problems.append(
                    f"listing {url} links to no URL matching article_pattern: "
                    "fix the pattern or choose a listing that shows articles"
                )
            listing_urls += found.links

    discovered = [u for u in dict.fromkeys(article_urls + listing_urls) if regex.search(u)]
    result.discovered = len(dict.fromkeys(article_urls + listing_urls))
    result.matched = len(discovered)
    result.missed_shapes = shapes_not_matching(
        source.article_pattern, list(dict.fromkeys(article_urls or listing_urls))
    )
    if (article_urls or listing_urls) and not discovered:
        shapes = "; ".join(f"{shape} ({count})" for shape, count, _ in result.missed_shapes[:3])
        result.problems.append(
            f"article_pattern matches none of the {result.discovered} URLs discovered "
            f"(main shapes: {shapes}): fix it, or run `presswatch sources add` on the home page to propose one"
        )
    _article(result, fetcher, discovered, list(articles), regex)
    result.requests = fetcher.requests
    return result


def _robots_line(result: SourceCheck, fetcher: Fetcher, source: Source) -> None:
    """robots.txt's verdict on the discovery URLs, one line per host."""
    by_host: dict[str, list[str]] = {}
    for url in source.feeds + source.sitemaps + source.listings:
        by_host.setdefault(fetcher.robots(url).url, []).append(url)
    for robots_url, urls in by_host.items():
        robots = fetcher.robots(urls[0])
        forbidden = [u for u in urls if not robots.allows(u, fetcher.user_agent)]
        if forbidden:
            result.lines.append(
                Line("robots.txt", robots_url, f"forbids {len(forbidden)} of {len(urls)} discovery URLs", False)
            )
            result.problems.extend(
                f"robots.txt forbids {u}: remove it from the entry (presswatch never fetches it)" for u in forbidden
            )
        elif robots.unreachable:
            result.lines.append(Line("robots.txt", robots_url, robots.verdict(urls[0], fetcher.user_agent), False))
        elif robots.parser is not None:
            result.lines.append(Line("robots.txt", robots_url, f"allows the {len(urls)} discovery URL(s) on this host"))
        else:
            result.lines.append(Line("robots.txt", robots_url, robots.verdict(urls[0], fetcher.user_agent)))


def _answered(result: SourceCheck, found, fix: str) -> bool:
    if found.ok:
        return True
    line = Line(found.kind, found.url, found.error, False)
    result.lines.append(line)
    if found.error == "robots.txt forbids it":  # already listed with the robots.txt line
        return False
    if found.status is None and not found.error.startswith(("not ", "malformed", "its sitemap")):
        fix = "the site could not be reached: check the network and the host name, then check again"
    result.problems.append(f"{found.kind} {found.url}: {found.error}: {fix}")
    return False


def _problem(result: SourceCheck, line: Line, fix: str) -> None:
    result.lines.append(line)
    result.problems.append(fix)


def _pagination(source: Source, found) -> str:
    if not source.listing_pattern:
        return f", {len(found.next_pages)} pagination links" if found.next_pages else ""
    further = [u for u in found.links if re.search(source.listing_pattern, u)]
    return f", {len(further)} further pages match listing_pattern"


def _article(result: SourceCheck, fetcher: Fetcher, discovered: list[str], required: list[str], regex) -> None:
    """Extract one discovered article (up to three tries) and every required one; failures say why."""
    for url in required:
        if not host_allowed(url, fetcher.allowed_domains):
            _problem(
                result,
                Line("article", url, "not on allowed_domains", False),
                f"the article {url} is outside allowed_domains ({', '.join(fetcher.allowed_domains)}): "
                "add its host if it belongs to this source",
            )
        elif not regex.search(url):
            _problem(
                result,
                Line("article", url, "does not match article_pattern", False),
                f"the article {url} does not match article_pattern: widen the pattern to its shape",
            )
        else:
            _extract(result, fetcher, url, fail=True)
    if result.article is not None:
        return
    tried = [u for u in discovered if u not in required][:MAX_ARTICLE_TRIES]
    for n, url in enumerate(tried, 1):
        if _extract(result, fetcher, url, fail=n == len(tried)):
            return
    if not tried and not required and not result.problems:  # else the problems above already say why
        result.problems.append("no article URL was discovered, so none could be extracted")


def _extract(result: SourceCheck, fetcher: Fetcher, url: str, fail: bool) -> bool:
    sample = sample_page(fetcher, url)
    if sample.article:
        f = sample.fields
        result.lines.append(
            Line(
                "article",
                url,
                f"{f.get('title')!r} ({f.get('published_at')}, {sample.text_chars:,} chars, {sample.encoding})",
            )
        )
        result.article = result.article or sample
        return True
    if fail:
        _problem(
            result,
            Line("article", url, sample.reason, False),
            f"the article {url} did not extract ({sample.reason}): check it in a browser; "
            "if it is not an article, narrow article_pattern",
        )
    return False
