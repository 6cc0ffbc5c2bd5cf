"""Extraction flips: lines the extractor gained or lost while the page itself did not change there.

A new layout moves trafilatura's boundaries on some pages: it keeps a comment form or a login
dialog it used to drop, or drops a date line it used to keep. Those lines differ between two
versions' texts, but not between the two pages: a line that "appeared" was already in the old
page's text, a line that "went" is still in the new page's text. They are the extractor's doing,
not the publisher's.

Before a load takes the write lock, for each capture whose text differs from its current version
in lines that no other page of the batch shares (lines many pages gained at once are the site
template's business, warehouse/template.py), both pages are read back from the WARC archive and
each differing line is looked for in the other page's visible text (white space, table bars and
list dashes ignored). The lines found are the flips; under the lock, a capture whose every
differing line (after the site blocks are stripped) is a flip is the same article
(`template.explain`). A real edit writes words the old page did not have, or takes words off the
page, so it is never a flip; a paragraph the publisher deleted that still shows elsewhere on the
page (a pull quote) would be one.

A new site line that the extractor keeps on only a few pages (a header's tagline it takes for the
article's first line on two pages of twenty) is too rare in the texts for the template model; when
at least `template_min_articles` of the batch's changed pages newly show it on the page, it is the
site's, and a flip wherever it reached the text.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import duckdb
from lxml import etree, html

from warehouse.archive import read_capture
from warehouse.blocks import block_hash
from warehouse.current import current_versions
from warehouse.errors import WarehouseError
from warehouse.rules import TEMPLATE_MIN_ARTICLES
from warehouse.staging import StagedBatch

_NOISE = re.compile(r"[\s|]+")
_HIDDEN = ("script", "style", "noscript", "template")


def extraction_flips(db, batch: StagedBatch, archive_root: str | Path, known: list[str]) -> dict[str, list[str]]:
    """Per `known` article of `batch` (known_captured_articles): the hashes of the lines its text
    gained or lost that are flips (read-only)."""
    if not known:
        return {}  # a first load: no text to compare with
    captures = _captures(batch, known)
    if not captures:
        return {}
    # none when there is no warehouse yet (a first load) or it cannot be read: nothing to compare with
    rows = current_versions(db, captures, "text, warc_file, warc_offset", " AND warc_file IS NOT NULL")
    differing = {}
    for article_id, old_text, old_file, old_offset in rows:
        new_text, new_file, new_offset, encoding = captures[article_id]
        old_lines, new_lines = (old_text or "").split("\n"), (new_text or "").split("\n")
        old_set, new_set = set(old_lines), set(new_lines)
        added = [line for line in new_lines if line not in old_set]
        removed = [line for line in old_lines if line not in new_set]
        if added or removed:
            differing[article_id] = (added, removed, (old_file, old_offset), (new_file, new_offset), encoding)
    many = max(
        2, int((batch.manifest.get("loader_settings") or {}).get("template_min_articles") or TEMPLATE_MIN_ARTICLES)
    )
    shared = Counter(line for added, _, _, _, _ in differing.values() for line in set(added))
    pages: dict[str, tuple[str | None, str | None]] = {}

    def old_and_new(article_id: str) -> tuple[str | None, str | None]:
        if article_id not in pages:
            _, _, old, new, encoding = differing[article_id]
            pages[article_id] = (_page_text(archive_root, old, encoding), _page_text(archive_root, new, encoding))
        return pages[article_id]

    rare = {line for added, _, _, _, _ in differing.values() for line in added if shared[line] < many}
    site = _appeared_on_many_pages(rare, list(differing), old_and_new, many) if len(differing) >= many else set()
    found: dict[str, list[str]] = {}
    for article_id, (added, removed, _, _, _) in differing.items():
        flips = [block_hash(line) for line in added if line in site]
        own = [line for line in added if shared[line] < many and line not in site] + removed
        if own:  # else only lines many pages gained: the model's, not a flip
            old_page, new_page = old_and_new(article_id)
            if old_page is not None and new_page is not None:
                flips += [block_hash(line) for line in added if line not in site and _shown(line, old_page)]
                flips += [block_hash(line) for line in removed if _shown(line, new_page)]
        if flips:
            found[article_id] = flips
    return found


def _appeared_on_many_pages(lines: set[str], articles: list[str], old_and_new, many: int) -> set[str]:
    """The `lines` (each extracted from fewer than `many` pages) that `many` or more of these pages newly
    show: a new site line (a header's tagline) that the extractor keeps on a few pages only."""
    if not lines:
        return set()
    appeared: Counter = Counter()
    for article_id in articles:
        old_page, new_page = old_and_new(article_id)
        if old_page is None or new_page is None:
            continue
        appeared.update(line for line in lines if _shown(line, new_page) and not _shown(line, old_page))
    return {line for line, pages in appeared.items() if pages >= many}


def _captures(batch: StagedBatch, articles: list[str]) -> dict[str, tuple]:
    """article_id -> (text, warc_file, warc_offset, encoding) of the batch's latest captures of `articles`."""
    if not batch.records.exists() or batch.records.stat().st_size == 0:
        return {}
    columns = {
        "type": "VARCHAR",
        "outcome": "VARCHAR",
        "kind": "VARCHAR",
        "article_id": "VARCHAR",
        "fetched_at": "TIMESTAMP",
        "text": "VARCHAR",
        "warc_file": "VARCHAR",
        "warc_offset": "BIGINT",
        "encoding": "VARCHAR",
    }
    spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
    try:
        with duckdb.connect() as con:
            rows = con.execute(
                f"""
                SELECT article_id, text, warc_file, warc_offset, encoding
                FROM read_json(?, format = 'newline_delimited', columns = {spec})
                WHERE type = 'capture' AND outcome = 'article' AND kind IS DISTINCT FROM 'reextract'
                  AND article_id IN (SELECT unnest(?::VARCHAR[])) AND warc_file IS NOT NULL
                QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY fetched_at DESC) = 1
                """,
                [str(batch.records), articles],
            ).fetchall()
    except duckdb.Error:
        return {}  # an unreadable batch is the loader's to report
    return {row[0]: row[1:] for row in rows}


def _page_text(archive_root, where: tuple[str, int], encoding: str | None) -> str | None:
    """The visible text of an archived page, its white space and table bars collapsed; None if unreadable."""
    try:
        capture = read_capture(archive_root, where[0], where[1])
        parser = html.HTMLParser(encoding=encoding or "utf-8", remove_comments=True)
        tree = html.document_fromstring(capture.body, parser=parser)
    except (WarehouseError, etree.ParserError, ValueError, LookupError):
        return None
    for element in list(tree.iter(*_HIDDEN)):
        element.drop_tree()
    return _NOISE.sub(" ", tree.text_content())


def _shown(line: str, page: str) -> bool:
    """Whether a line of extracted text stands in a page's visible text (a line of table bars always does)."""
    words = _NOISE.sub(" ", line).strip(" -")
    return not words or words in page
