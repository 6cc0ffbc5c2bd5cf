"""URL identity: one spelling per page, so a page is fetched once per run and stored once."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only say where a reader came from.
_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl|igshid|spm|ref|ref_src|cmpid|ocid|at_medium|at_campaign|share|from)$",
    re.IGNORECASE,
)
MAX_URL_LENGTH = 2048


class BadURL(ValueError):
    """A link that presswatch never fetches (odd scheme, no host, too long)."""


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, sorted query."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise BadURL(f"URL longer than {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise BadURL(f"scheme {parts.scheme or 'none'!r} is not http(s)")
    if not parts.hostname:
        raise BadURL("no host")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    netloc = parts.netloc.lower()
    if parts.port and (parts.scheme.lower(), parts.port) in (("http", 80), ("https", 443)):
        netloc = netloc.rsplit(":", 1)[0]
    cleaned = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))
    return canonicalize_url(cleaned, keep_fragments=False)


def host_allowed(url: str, allowed_domains: tuple[str, ...] | list[str]) -> bool:
    """True when the URL's host is one of the domains or a subdomain of one."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in allowed_domains)


def canonical_url(declared: str | None, final_url: str, allowed_domains) -> str:
    """The article's identity: its same-site rel=canonical, else its normalised final URL."""
    if declared:
        try:
            candidate = normalise_url(declared)
        except BadURL:
            candidate = None
        if candidate and host_allowed(candidate, allowed_domains):
            return candidate
    return normalise_url(final_url)


def article_id(canonical: str) -> str:
    """A short stable key for a canonical URL."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:20]
