"""Decide which URL shapes are articles by extracting a few pages of each.

A page counts as an article when the project's own extraction (crawlers/extraction.py, which
runs trafilatura) finds a title, enough text and a date: the same bar a crawl applies, plus the
date, which section, tag and author pages rarely carry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lxml.html

from crawlers.extraction import ExtractionOptions, extract_page, normalise_text

from .errors import FetchFailed, RobotsForbidden
from .fetch import Fetcher
from .patterns import Shape

OPTIONS = ExtractionOptions()
# Text outside links an article must have: section, tag and home pages extract as their menus
# and headlines, which are all link text.
MIN_PROSE_CHARS = 200
MAX_LINK_LINES = 0.3  # share of the extracted lines that are link text, above which it is a listing


@dataclass
class Sample:
    """One fetched page and whether it extracted as an article."""

    url: str
    article: bool
    reason: str = ""
    fields: dict = field(default_factory=dict)
    encoding: str | None = None
    final_url: str | None = None
    forbidden: bool = False

    @property
    def text_chars(self) -> int:
        return len(self.fields.get("text") or "")


@dataclass
class ShapeVerdict:
    shape: Shape
    samples: list[Sample] = field(default_factory=list)

    @property
    def fetched(self) -> list[Sample]:
        return [s for s in self.samples if not s.forbidden]

    @property
    def article(self) -> bool:
        fetched = self.fetched
        return bool(fetched) and all(s.article for s in fetched)

    @property
    def verdict(self) -> str:
        fetched = self.fetched
        if self.shape.fixed:
            return "not an article: a fixed address without an id, date or slug (a section or page)"
        if not self.samples:
            return "not sampled"
        if not fetched:
            return "not sampled: robots.txt forbids it"
        good = sum(s.article for s in fetched)
        if good == len(fetched):
            return f"article ({good} of {len(fetched)} sampled)"
        if good:
            return f"mixed: {good} of {len(fetched)} sampled extract as articles"
        return "not an article: " + "; ".join(dict.fromkeys(s.reason for s in fetched))


def sample_page(fetcher: Fetcher, url: str) -> Sample:
    """Fetch one page and extract it; never raises for what the site answers."""
    try:
        page = fetcher.get(url)
    except RobotsForbidden:
        return Sample(url, False, "robots.txt forbids it", forbidden=True)
    except FetchFailed as exc:
        return Sample(url, False, exc.reason)
    if page.status != 200:
        return Sample(url, False, f"HTTP {page.status}", final_url=page.final_url)
    if not page.is_html:
        return Sample(
            url, False, f"not HTML ({page.content_type.split(';')[0] or 'unknown type'})", final_url=page.final_url
        )
    fields = extract_page(page.text, page.final_url, OPTIONS)
    sample = Sample(url, False, encoding=page.decoded.encoding, final_url=page.final_url, fields=fields)
    if fields.get("outcome") != "article":
        sample.reason = "too little text"
    elif (why := _prose(page.text, fields.get("text") or "")) is not None:
        sample.reason = why
    elif not fields.get("title"):
        sample.reason = "no title"
    elif not fields.get("published_at"):
        sample.reason = "no date"
    else:
        sample.article = True
    return sample


def classify(fetcher: Fetcher, shapes: list[Shape], budget: int, per_shape: int = 2) -> list[ShapeVerdict]:
    """Sample shapes with several URLs first, then single URLs, within `budget` page fetches."""
    ordered = [s for s in shapes if len(s.urls) > 1] + [s for s in shapes if len(s.urls) == 1]
    verdicts = [ShapeVerdict(s) for s in ordered]
    spent = 0
    for verdict in verdicts:
        if verdict.shape.fixed:
            continue
        for url in verdict.shape.urls:
            if spent >= budget or len(verdict.fetched) >= per_shape:
                break
            sample = sample_page(fetcher, url)
            verdict.samples.append(sample)
            spent += not sample.forbidden
            if not sample.forbidden and not sample.article:
                break  # one page that is not an article is enough to leave the shape out
    return verdicts


def _prose(html: str, text: str) -> str | None:
    """Why the extracted text is a listing's rather than an article's, or None when it reads as prose."""
    try:
        tree = lxml.html.fromstring(html.encode("utf-8", "replace"))
    except (lxml.etree.ParserError, ValueError):
        return None
    anchors = {normalise_text(a.text_content()) for a in tree.iter("a")}
    lines = normalise_text(text).splitlines()
    linked = [line for line in lines if line in anchors]
    if sum(len(line) for line in lines if line not in anchors) < MIN_PROSE_CHARS:
        return "its text is mostly links (a section or home page)"
    if lines and len(linked) / len(lines) > MAX_LINK_LINES:
        return f"{len(linked)} of its {len(lines)} text lines are links (a listing)"
    return None
