"""Which known articles a crawl should fetch again, written out before the crawl starts.

The crawl never opens the warehouse: this runs first, read-only and briefly, and hands the spider
a file with one line per known article (its URL, validators for conditional GET, and whether a
revisit is due by the source's age-decaying schedule).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from warehouse.db import connect
from warehouse.errors import DatabaseMissing


def revisit_interval(age_s: float, schedule: tuple[tuple[float, float], ...]) -> float:
    """Seconds between revisits of an article `age_s` old: the first band whose age bound it is under."""
    for max_age, every in schedule:
        if age_s < max_age:
            return every
    return schedule[-1][1] if schedule else 0.0


def due_articles(con, source, now: datetime | None = None) -> list[dict]:
    """Every known article of `source` with a `due` flag, from the warehouse's article_state."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    rows = con.execute(
        """
        SELECT s.url, s.article_id, s.etag, s.last_modified, s.raw_hash, s.first_seen_at, s.last_checked_at,
               s.last_changed_at, s.missing_count, v.published_at, v.sitemap_lastmod, s.no_article_extractor
        FROM article_state s
        LEFT JOIN article_versions v ON v.article_id = s.article_id AND v.valid_to IS NULL
        WHERE s.source = ?
        """,
        [source.name],
    ).fetchall()
    known = []
    for (
        url,
        article,
        etag,
        last_modified,
        raw_hash,
        first_seen,
        checked,
        changed,
        missing,
        published,
        lastmod,
        judged,
    ) in rows:
        born = first_seen if published is None else min(first_seen, datetime.combine(published, datetime.min.time()))
        interval = revisit_interval((now - born).total_seconds(), source.revisit)
        if changed and (now - changed).total_seconds() < source.revisit_after_edit:
            interval = 0.0  # an article edited lately is watched closely for a while
        due = missing > 0 or checked is None or (now - checked).total_seconds() >= interval
        known.append(
            {
                "url": url,
                "article_id": article,
                "etag": etag,
                "last_modified": last_modified,
                "raw_hash": raw_hash,
                "sitemap_lastmod": lastmod,
                "no_article_extractor": judged,  # the extractor that found no article in the page
                "due": due,
            }
        )
    return known


def export_known(db, source, path: Path, wait: float = 10.0) -> int:
    """Write the known-articles file for one source's crawl; returns how many are due."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        return write_known(db, source, out, wait)


def write_known(db, source, out: TextIO, wait: float = 10.0) -> int:
    """Write one source's known articles to `out` (a file, or the crawl process's stdin); returns how many are due."""
    try:
        with connect(db, read_only=True, wait=wait) as con:
            known = due_articles(con, source)
    except DatabaseMissing:  # a first crawl
        known = []
    for entry in known:
        out.write(json.dumps(entry) + "\n")
    return sum(1 for entry in known if entry["due"])
