"""Downloader middlewares: retries that know when waiting cannot help."""

from __future__ import annotations

from scrapy.downloadermiddlewares.retry import RetryMiddleware as ScrapyRetryMiddleware
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError

# A host that does not resolve, or refuses the connection, does so again a second later: a retry
# only makes a dead source slow to report. The next run tries again.
UNREACHABLE = (CannotResolveHostError, DownloadConnectionRefusedError, DNSLookupError, ConnectionRefusedError)


class RetryMiddleware(ScrapyRetryMiddleware):
    """Scrapy's retries, without retrying an unreachable host."""

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, UNREACHABLE):
            return None  # to the request's errback, which records why
        return super().process_exception(request, exception, spider)
