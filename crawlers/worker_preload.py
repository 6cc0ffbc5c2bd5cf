"""Imported once by the extraction workers' fork server: what every worker needs, loaded and frozen.

Importing the extractor is not enough: trafilatura and its helpers load most of their data on
first use (justext's stoplists of every language, htmldate's and courlan's compiled patterns,
dateparser's tables), so each worker used to load its own copy over its first pages. Extracting
two small pages here loads them once, in the fork server; `gc.freeze()` then moves every object
made so far out of the collector's reach, so the workers' collections do not write to (and copy)
the pages they share with the fork server.
"""

from __future__ import annotations

import gc

from crawlers.extraction import extract_page
from crawlers.extraction_options import ExtractionOptions
from crawlers.page_worker import process_page

_PARAGRAPH = (
    "<p>The city council approved the new transport plan on Tuesday after a debate that lasted "
    "more than six hours, according to officials who attended the session in the old town hall.</p>"
)
# A full article (trafilatura's own extraction, readability's comparison, the date and metadata
# searches) and a short page (too little text: justext's rescue, with every language's stoplist;
# dates only dateparser reads).
WARM_UP_PAGES = (
    "<html lang='en'><head><title>Council approves transport plan</title>"
    "<meta property='article:published_time' content='2021-03-02T10:00:00Z'></head><body>"
    "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>Council approves transport plan</h1>"
    "<p class='byline'>By A. Reporter | Updated: March 3, 2021 10:12</p>" + _PARAGRAPH * 8 + "</article>"
    "<footer>Copyright 2021</footer></body></html>",
    "<html><head><title>Notice</title></head><body><div>Published 2021年3月2日 星期二</div>"
    "<div class='date'>Mar. 2nd, 2021, 10:12 a.m.</div>"
    "<div><p>Offices are closed on Monday.</p></div></body></html>",
)


def warm_up() -> None:
    """Extract the warm-up pages, so what extraction loads lazily is loaded before the workers fork.

    Only a saving: if the extractor fails on them, each worker loads what it needs itself, as before.
    """
    for html in WARM_UP_PAGES:
        try:
            extract_page(html, "http://warm-up.invalid/news/1", ExtractionOptions())
        except Exception:  # noqa: BLE001 - a fork server that failed to import would fail every page
            return


warm_up()
gc.freeze()

__all__ = ["process_page"]
