"""Named errors of the onboarding package; the CLI turns each into one line and an exit status."""

from __future__ import annotations


class OnboardError(Exception):
    """Something about the site or the request stops onboarding or checking; the message says what."""


class FetchFailed(OnboardError):
    """A URL did not answer usefully (connection refused, timeout, HTTP error, too large)."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        self.url, self.reason, self.status = url, reason, status
        super().__init__(f"{url}: {reason}")


class OffSite(FetchFailed):
    """A redirect left the site; it was not followed."""


class RobotsForbidden(OnboardError):
    """The site's robots.txt forbids our user agent to fetch the URL; nothing was crawled."""

    def __init__(self, url: str, robots_url: str):
        self.url, self.robots_url = url, robots_url
        super().__init__(f"{robots_url} forbids crawling {url} for presswatch's user agent; not crawled")


class NotHTML(OnboardError):
    """The start URL answered something other than an HTML page."""


class NoArticles(OnboardError):
    """Nothing discovered on the site extracted as an article."""


class EntryError(OnboardError):
    """A proposed entry cannot be written (duplicate name, the result would not validate)."""


class BadStartURL(OnboardError):
    """The URL given to `sources add` is not an http(s) URL with a host."""
