"""The source registry (TOML) that points presswatch at a running demo site."""

from __future__ import annotations

import json

from .content import (
    CHINADAILY_FEED,
    GLOBALTIMES_LISTING,
    OUTLETS,
    UNNEWS_FEED,
    XINHUA_SITEMAP_INDEX,
    XJGOV_LISTING,
)

# re.search patterns against full URLs. They also accept a query or fragment after the path, so
# tracked links match before normalisation; the private China Daily page matches on purpose
# (only robots.txt keeps a crawler out).
PATTERNS = {
    "chinadaily": r"/chinadaily/(?:private/)?a/\d{6}/\d{2}/WS[0-9a-f]{24}\.html(?:[?#]|$)",
    "xinhua": r"/xinhua/english/\d{4}-\d{2}/\d{2}/c_\d+\.htm(?:[?#]|$)",
    "globaltimes": r"/globaltimes/page/\d{6}/\d+\.shtml(?:[?#]|$)",
    "xjgov": r"/xjgov/xwfb/\d{6}/t\d{8}_\d+\.html(?:[?#]|$)",
    "unnews": r"/unnews/story/\d{4}/\d{2}/\d+(?:[?#]|$)",
}
LISTING_PATTERNS = {
    "globaltimes": r"/globaltimes/china/index(?:_\d+)?\.html(?:[?#]|$)",
    "xjgov": r"/xjgov/xwfb/index(?:_\d+)?\.html(?:[?#]|$)",
}
DISCOVERY = {
    "chinadaily": ("feeds", CHINADAILY_FEED),
    "xinhua": ("sitemaps", XINHUA_SITEMAP_INDEX),
    "globaltimes": ("listings", GLOBALTIMES_LISTING),
    "xjgov": ("listings", XJGOV_LISTING),
    "unnews": ("feeds", UNNEWS_FEED),
}


def _str(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII text is a valid TOML basic string


def demo_registry(base_url: str, names: tuple[str, ...] | None = None) -> str:
    """TOML text of a registry with the five demo outlets served at `base_url` (or those of `names`)."""
    base = base_url.rstrip("/")
    blocks = []
    for name, outlet in OUTLETS.items():
        if names is not None and name not in names:
            continue
        kind, path = DISCOVERY[name]
        lines = [
            "[[sources]]",
            f"name = {_str(name)}",
            f"label = {_str(outlet.label)}",
            f"language = {_str(outlet.language)}",
            'allowed_domains = ["127.0.0.1"]',
            f"{kind} = [{_str(base + path)}]",
            f"article_pattern = {_str(PATTERNS[name])}",
        ]
        if name in LISTING_PATTERNS:
            lines.append(f"listing_pattern = {_str(LISTING_PATTERNS[name])}")
        lines += [
            'schedule = "*/30 * * * *"',
            "download_delay = 0.0",
            "concurrency = 8",
            "autothrottle = false",
            "confirm_deletion = 1",
            'deletion_grace = "0s"',
            'revisit = [["inf", "0s"]]  # the demo revisits everything on every run',
            "template_min_articles = 2  # its outlets have 5 to 9 articles: the default, 10, would never be met",
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
