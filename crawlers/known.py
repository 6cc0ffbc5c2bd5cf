"""The known articles a crawl starts from: written by the flow from the warehouse, read by the spider.

One JSON object per line (URL, validators, whether a revisit is due: warehouse/revisits.py),
in a file, or on the crawl process's stdin (`crawlers.run --known -`) ending with KNOWN_END, so
the crawl process can start while the flow still reads the warehouse.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

# The line after the last known article when they come through stdin (`crawlers.run --known -`).
KNOWN_END = '{"end": true}'


class KnownArticlesIncomplete(Exception):
    """The known articles given on stdin stopped before KNOWN_END."""


def read_known(path: str | None) -> dict[str, dict]:
    """The warehouse's known articles for this source, exported before the crawl (one JSON per line).

    `-`: read from stdin, where the flow writes them while this process starts, ending with
    KNOWN_END; a stream that stops before it (the flow died) fails the crawl.
    """
    if not path:
        return {}
    if path == "-":
        known = _known_entries(sys.stdin, until=KNOWN_END)
        if known is None:
            raise KnownArticlesIncomplete("the known articles ended before their end line: the flow stopped?")
        return known
    with open(Path(path), encoding="utf-8") as lines:
        return _known_entries(lines) or {}


def _known_entries(lines: Iterable[str], until: str | None = None) -> dict[str, dict] | None:
    """URL -> entry of the known-articles lines; None when `until` was expected and never came."""
    known: dict[str, dict] = {}
    for line in lines:
        if until is not None and line.strip() == until:
            return known
        entry = json.loads(line)
        known[entry["url"]] = entry
    return None if until is not None else known


def read_again_where_extractor_changed(known: dict[str, dict], extractor_version: str) -> int:
    """Pages another extractor, or other settings, found no article in lose their validators, so this
    crawl fetches them whole and reads them again; returns how many."""
    stale = 0
    for entry in known.values():
        judged = entry.get("no_article_extractor")
        if judged and judged != extractor_version:
            entry.update(etag=None, last_modified=None, raw_hash=None)
            stale += 1
    return stale
