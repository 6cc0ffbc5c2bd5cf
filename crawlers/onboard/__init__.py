"""Onboarding and verifying registry entries against live sites, outside Scrapy's reactor.

`presswatch sources add URL` proposes an entry (discover.py finds feeds, sitemaps and listings,
patterns.py infers `article_pattern` by extracting samples, entry.py writes the TOML);
`presswatch sources check` verifies existing entries (check.py). fetch.py is the one polite
HTTP client they share. Every failure is an `OnboardError` subclass with a one-line message.
"""
