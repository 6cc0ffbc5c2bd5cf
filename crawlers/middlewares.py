"""Downloader middlewares: retries that know when waiting cannot help, and wait when told to; meta
refreshes read from the head of a page."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware as ScrapyRetryMiddleware
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from scrapy.http import HtmlResponse, Response
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import ConnectionRefusedError, DNSLookupError
from w3lib.encoding import html_to_unicode
from w3lib.html import get_base_url, get_meta_refresh

from crawlers.registry import source_defaults

# A host that does not resolve, or refuses the connection, does so again a second later: a retry
# only makes a dead source slow to report. The next run tries again.
UNREACHABLE = (CannotResolveHostError, DownloadConnectionRefusedError, DNSLookupError, ConnectionRefusedError)
# Statuses whose Retry-After says when the server will answer again (RFC 9110 §10.2.3).
RETRY_AFTER_STATUSES = (429, 503)
# Characters of a page's start searched for a meta refresh (as Scrapy's MetaRefreshMiddleware does).
HEAD_CHARS = 4096


def retry_after_seconds(value: bytes | str | None, cap: float, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait (delay-seconds or an HTTP date), at most `cap`;
    None when there is no usable value."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, min(seconds, cap))


class RetryMiddleware(ScrapyRetryMiddleware):
    """Scrapy's retries, except that an unreachable host is not retried, and a 429 or 503 with
    Retry-After holds every request to that download slot (host) until the time it gives, capped
    by PRESSWATCH_RETRY_AFTER_MAX (the source's retry_after_max)."""

    def __init__(self, settings):
        super().__init__(settings)
        self.retry_after_max = settings.getfloat("PRESSWATCH_RETRY_AFTER_MAX", source_defaults()["retry_after_max"])
        self.paused_until: dict[str, float] = {}  # download slot -> time.monotonic() it may resume

    async def process_request(self, request):
        wait = self.paused_until.get(self._slot(request), 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        return None

    def process_response(self, request, response):
        if response.status in RETRY_AFTER_STATUSES and not request.meta.get("dont_retry", False):
            wait = retry_after_seconds(response.headers.get(b"Retry-After"), self.retry_after_max)
            if wait:
                slot = self._slot(request)
                self.paused_until[slot] = max(self.paused_until.get(slot, 0.0), time.monotonic() + wait)
        return super().process_response(request, response)

    def process_exception(self, request, exception):
        if isinstance(exception, UNREACHABLE):
            return None  # to the request's errback, which records why
        return super().process_exception(request, exception)

    def _slot(self, request) -> str:
        return self.crawler.engine.downloader.get_slot_key(request)


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's meta-refresh redirects, read from the head of the page.

    Scrapy's own decodes every HTML body whole (`response.text`) to look at its first 4,096
    characters, in the reactor, and the text then stays on the response while the page waits for
    its extraction worker (17 MB over 39 pages in flight on real pages). The tag is in the head,
    so decoding its first bytes gives the same redirect.
    """

    def process_response(self, request: Request, response: Response, spider: Spider | None = None):
        if (
            request.meta.get("dont_redirect", False)
            or request.method == "HEAD"
            or not isinstance(response, HtmlResponse)
            or urlparse_cached(request).scheme not in {"http", "https"}
        ):
            return response
        interval, url = head_meta_refresh(response, self._ignore_tags)
        if not url:
            return response
        redirected = self._redirect_request_using_get(request, response, url)
        if urlparse_cached(redirected).scheme not in {"http", "https"}:
            return response
        if interval is not None and interval < self._maxdelay:
            return self._redirect(redirected, request, "meta refresh")
        return response


def head_meta_refresh(response: Response, ignore_tags) -> tuple[float | None, str | None]:
    """The (interval, absolute URL) of a page's meta refresh, from its first HEAD_CHARS characters."""
    content_type = response.headers.get(b"Content-Type")
    encoding, text = html_to_unicode(
        content_type.decode("latin-1") if content_type else None, response.body[: HEAD_CHARS * 4]
    )
    head = text[:HEAD_CHARS]
    return get_meta_refresh(head, get_base_url(head, response.url, encoding), encoding, ignore_tags=ignore_tags)
