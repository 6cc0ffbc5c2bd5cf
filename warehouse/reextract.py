"""What re-extraction works on (each live article's current capture) and the staged record it hands back.

Re-extraction reads archived bytes again with other extractor settings. Its records carry the
version's own raw_hash, so the loader files a different text as `reextracted`, never as an edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from warehouse.db import connect


@dataclass(frozen=True)
class CurrentCapture:
    """The current version of one live article and where its capture is archived."""

    article_id: str
    source: str
    canonical_url: str
    url: str
    version: int
    content_hash: str | None
    raw_hash: str | None
    warc_file: str
    warc_offset: int
    warc_length: int | None
    http_status: int | None
    last_modified: str | None
    sitemap_lastmod: str | None


def current_captures(db, sources: Sequence[str], wait: float = 5.0) -> list[CurrentCapture]:
    """The current, archived version of every live article of `sources`, by source and URL."""
    if not sources:
        return []
    columns = ", ".join(CurrentCapture.__dataclass_fields__)
    marks = ", ".join("?" for _ in sources)
    with connect(db, read_only=True, wait=wait) as con:
        rows = con.execute(
            f"""
            SELECT {columns} FROM article_versions
            WHERE valid_to IS NULL AND change_kind <> 'deleted' AND warc_file IS NOT NULL
              AND source IN ({marks})
            ORDER BY source, canonical_url
            """,
            list(sources),
        ).fetchall()
    return [CurrentCapture(*row) for row in rows]


def reextract_record(capture: CurrentCapture, fields: dict, final_url: str | None, fetched_at: str) -> dict:
    """The staged `capture` record for a re-extracted text, in the shape the loader reads from a crawl.

    Identity (article_id, canonical URL) and the raw capture (hash, WARC pointer) stay those of
    the version; only the extracted fields are new. `kind` is "reextract" so the fetches table
    does not count it as a request to the site.
    """
    extracted = {k: v for k, v in fields.items() if k not in ("outcome", "reason", "declared_canonical")}
    return {
        **extracted,
        "type": "capture",
        "outcome": "article",
        "kind": "reextract",
        "via": "reextract",
        "source": capture.source,
        "url": capture.url,
        "final_url": final_url or capture.url,
        "status": capture.http_status or 200,
        "fetched_at": fetched_at,
        "article_id": capture.article_id,
        "canonical_url": capture.canonical_url,
        "raw_hash": capture.raw_hash,
        "warc_file": capture.warc_file,
        "warc_offset": capture.warc_offset,
        "warc_length": capture.warc_length,
        "last_modified": capture.last_modified,
        "sitemap_lastmod": capture.sitemap_lastmod,
    }
