"""What decides an extraction, without the extractor: the crawl process names it, the workers run it.

The crawl process (Scrapy's reactor) hands each page to an extraction worker with these options;
it never imports trafilatura itself (crawlers/extraction.py does, in the workers).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.metadata import version

# The outcome of a page the extractor failed on (an exception, a crash, a time-out): the page was
# fetched, but nothing is known of its content, so it is never taken for a page without an article
# (which, confirmed, tombstones the article); the current version stays as it is.
EXTRACT_FAILED = "extract_failed"


@cache
def trafilatura_version() -> str:
    """The installed trafilatura's version, read from its metadata (no import of trafilatura)."""
    return version("trafilatura")


@dataclass(frozen=True)
class ExtractionOptions:
    """Everything that changes what the extractor produces; its fingerprint is part of the version."""

    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    include_comments: bool = False
    min_text_chars: int = 120
    ignore_selectors: tuple[str, ...] = ()
    ignore_patterns: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:8]

    @property
    def extractor_version(self) -> str:
        """trafilatura's version plus a hash of these options: both change what is extracted."""
        return f"{trafilatura_version()}+{self.fingerprint}"

    def prune_xpath(self) -> list[str] | None:
        from cssselect import GenericTranslator

        translator = GenericTranslator()
        return [translator.css_to_xpath(sel, prefix="//") for sel in self.ignore_selectors] or None


def options_for(source) -> ExtractionOptions:
    """The extraction options a source's registry entry asks for."""
    return ExtractionOptions(ignore_selectors=source.ignore_selectors, ignore_patterns=source.ignore_patterns)
