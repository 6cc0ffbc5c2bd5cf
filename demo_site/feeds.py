"""RSS 2.0 (China Daily), Atom 1.0 (UN News) and sitemaps (Xinhua) of the demo site."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from . import stages
from .content import (
    CHINADAILY_FEED,
    RSS_TRACKED_PATH,
    STAGE_DATES,
    UNNEWS_FEED,
    XINHUA_NEWS_SINCE,
    XINHUA_SITEMAPS,
    Article,
)
from .pages import description

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _rfc822(value: str) -> str:
    return format_datetime(datetime.fromisoformat(value))


def _utc(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def chinadaily_rss(base: str, stage: int) -> str:
    """Newest first; includes the robots-blocked private page and one link with a tracking parameter."""
    items = []
    for a in stages.visible("chinadaily", stage, include_private=True):
        link = base + a.path + ("?utm_source=rss&utm_medium=feed" if a.path == RSS_TRACKED_PATH else "")
        author = f"<author>{escape(a.author)}</author>" if a.author else ""
        items.append(
            f"<item><title>{escape(stages.title(a, stage))}</title><link>{escape(link)}</link>"
            f"<description>{escape(description(a, stages.paragraphs(a, stage)))}</description>"
            f"<pubDate>{_rfc822(a.published)}</pubDate>{author}"
            f'<guid isPermaLink="true">{base}{a.path}</guid></item>'
        )
    return (
        XML_HEAD + '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        "<title>China Daily (demo) - China</title>\n"
        f"<link>{base}/chinadaily/</link>\n"
        "<description>News about China from the demo China Daily.</description>\n"
        "<language>en</language>\n"
        f"<lastBuildDate>{_rfc822(STAGE_DATES[stage])}</lastBuildDate>\n"
        f'<atom:link href="{base}{CHINADAILY_FEED}" rel="self" type="application/rss+xml"/>\n'
        + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )


def unnews_atom(base: str, stage: int) -> str:
    entries = []
    for a in stages.visible("unnews", stage):
        story = a.path.rsplit("/", 1)[1]
        entries.append(
            f"<entry><title>{escape(stages.title(a, stage))}</title>"
            f'<link rel="alternate" type="text/html" href="{base}{a.path}"/>'
            f"<id>tag:news.un.demo,2021:story/{story}</id>"
            f"<published>{_utc(a.published)}</published><updated>{_utc(a.modified)}</updated>"
            f'<category term="{escape(a.section)}"/>'
            f"<summary>{escape(description(a, stages.paragraphs(a, stage)))}</summary></entry>"
        )
    return (
        XML_HEAD + '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">\n'
        "<title>UN News (demo) - Global perspective, human stories</title>\n"
        "<id>tag:news.un.demo,2021:feed</id>\n"
        f'<link rel="self" type="application/atom+xml" href="{base}{UNNEWS_FEED}"/>\n'
        f'<link rel="alternate" type="text/html" href="{base}/unnews/"/>\n'
        f"<updated>{_utc(STAGE_DATES[stage])}</updated>\n"
        "<author><name>UN News</name></author>\n" + "\n".join(entries) + "\n</feed>\n"
    )


def _xinhua_groups(stage: int) -> dict[str, list[Article]]:
    """News sitemap: articles from XINHUA_NEWS_SINCE on; the other: up to that day (one overlaps)."""
    live = stages.visible("xinhua", stage)
    news, older = XINHUA_SITEMAPS
    return {
        news: [a for a in live if a.published[:10] >= XINHUA_NEWS_SINCE],
        older: [a for a in live if a.published[:10] <= XINHUA_NEWS_SINCE],
    }


def xinhua_sitemap_index(base: str, stage: int) -> str:
    rows = []
    for path, group in _xinhua_groups(stage).items():
        lastmod = max((_utc(a.modified) for a in group), default=_utc(STAGE_DATES[stage]))
        rows.append(f"<sitemap><loc>{base}{path}</loc><lastmod>{lastmod}</lastmod></sitemap>")
    return (
        XML_HEAD
        + '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(rows)
        + "\n</sitemapindex>\n"
    )


def xinhua_sitemap(path: str, base: str, stage: int) -> str:
    group = _xinhua_groups(stage)[path]
    news = path == XINHUA_SITEMAPS[0]
    rows = []
    for a in group:
        extra = ""
        if news:
            extra = (
                "<news:news><news:publication><news:name>Xinhua</news:name><news:language>en</news:language>"
                f"</news:publication><news:publication_date>{a.published}</news:publication_date>"
                f"<news:title>{escape(stages.title(a, stage))}</news:title></news:news>"
            )
        else:
            extra = "<changefreq>monthly</changefreq><priority>0.6</priority>"
        rows.append(f"<url><loc>{base}{a.path}</loc><lastmod>{_utc(a.modified)}</lastmod>{extra}</url>")
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    return (
        XML_HEAD
        + f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>\n'
        + "\n".join(rows)
        + "\n</urlset>\n"
    )
