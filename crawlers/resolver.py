"""Scrapy's caching resolver, except for names that can never resolve.

RFC 6761 §6.4 reserves `.invalid`: no such name exists, so asking DNS only sends a query (and
with no network, waits out the resolver's timeouts) to learn what is known in advance.
"""

from __future__ import annotations

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

RESERVED_SUFFIXES = (".invalid",)


def never_resolves(name: str) -> bool:
    """True for a host name under a reserved top-level domain that never resolves."""
    host = name.lower().rstrip(".")
    return host == "invalid" or host.endswith(RESERVED_SUFFIXES)


class Resolver(CachingThreadedResolver):
    """CachingThreadedResolver that fails reserved names at once, without a DNS query."""

    def getHostByName(self, name: str, timeout=()):  # noqa: N802 (Twisted's name)
        if never_resolves(name):
            return defer.fail(DNSLookupError(f"{name} is a reserved name that never resolves (RFC 6761)"))
        return super().getHostByName(name, timeout)
