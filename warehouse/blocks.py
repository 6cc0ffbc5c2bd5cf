"""Blocks: the lines of an extracted text, hashed, so a source's recurring lines can be counted and stripped.

A block is one line of the normalised text (a paragraph, a list item, a table row as trafilatura
writes it). Its hash is the first 16 hex digits of the MD5 of its UTF-8 bytes: the extraction
workers compute it in Python (`block_hashes`), the loader in SQL (`BLOCKS_SQL`) for records staged
before presswatch recorded blocks and for stored texts; the two agree (tests/test_template.py).

Pure functions and constants only: the extraction workers import this module.
"""

from __future__ import annotations

import hashlib

HASH_CHARS = 16


def block_hash(line: str) -> str:
    """The hash of one line of normalised text."""
    return hashlib.md5(line.encode("utf-8")).hexdigest()[:HASH_CHARS]


def block_hashes(text: str | None) -> list[str]:
    """The hash of each line of a normalised text (no blank lines), in order."""
    return [block_hash(line) for line in text.split("\n")] if text else []


def strip_blocks(text: str | None, site: set[str] | frozenset[str]) -> tuple[str, list[str]]:
    """`text` without its lines whose hash is in `site`, and the hashes of the lines taken out."""
    if not text or not site:
        return text or "", []
    kept, stripped = [], []
    for line in text.split("\n"):
        digest = block_hash(line)
        if digest in site:
            stripped.append(digest)
        else:
            kept.append(line)
    return "\n".join(kept), stripped


def article_hash(title: str | None, text: str) -> str:
    """crawlers.extraction.content_hash of an already normalised title and text (the stored form)."""
    return hashlib.sha256(((title or "") + "\x1f" + text).encode("utf-8")).hexdigest()


def blocks_sql(text: str) -> str:
    """SQL for the block hashes of the text column `text`: the same values as `block_hashes`."""
    return (
        f"CASE WHEN coalesce({text}, '') = '' THEN []::VARCHAR[] "
        f"ELSE list_transform(string_split({text}, chr(10)), lambda l: left(md5(l), {HASH_CHARS})) END"
    )


def article_hash_sql(title: str, text: str) -> str:
    """SQL for `article_hash` of a title and a text column."""
    return f"sha256(coalesce({title}, '') || chr(31) || coalesce({text}, ''))"
