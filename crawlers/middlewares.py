"""Downloader middlewares: retries that know when waiting cannot help, and wait when told to."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware as ScrapyRetryMiddleware
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError

from crawlers.registry import source_defaults

# A host that does not resolve, or refuses the connection, does so again a second later: a retry
# only makes a dead source slow to report. The next run tries again.
UNREACHABLE = (CannotResolveHostError, DownloadConnectionRefusedError, DNSLookupError, ConnectionRefusedError)
# Statuses whose Retry-After says when the server will answer again (RFC 9110 §10.2.3).
RETRY_AFTER_STATUSES = (429, 503)


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
