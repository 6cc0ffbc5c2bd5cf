"""Blocks: the lines of an extracted text, hashed, so a source's recurring lines can be counted and stripped.

A block is one line of the normalised text (a paragraph, a list item, a table row as trafilatura
writes it). Its hash is the first 16 hex digits of the MD5 of its UTF-8 bytes: the extraction
workers compute it in Python (`block_hashes`), the loader in SQL (`BLOCKS_SQL`) for records staged
before presswatch recorded blocks and for stored texts; the two agree (tests/test_template.py).

Pure functions and constants only: the extraction workers import this module.
"""

from __future__ import annotations

import hashlib
import re

HASH_CHARS = 16
# A site line at least this long is also taken out of the lines it was merged into (a promo a page
# appended to a paragraph); shorter ones ("Share", "| | |") only as whole lines, never inside text.
INLINE_MIN_CHARS = 40
_SPACES = re.compile(" {2,}")


def block_hash(line: str) -> str:
    """The hash of one line of normalised text."""
    return hashlib.md5(line.encode("utf-8")).hexdigest()[:HASH_CHARS]


def block_hashes(text: str | None) -> list[str]:
    """The hash of each line of a normalised text (no blank lines), in order."""
    return [block_hash(line) for line in text.split("\n")] if text else []


def inline_texts(texts) -> list[str]:
    """The site lines long enough to be taken out of other lines too, in the order both strippers use."""
    return sorted(t for t in texts if t and len(t) >= INLINE_MIN_CHARS)


def strip_blocks(text: str | None, site, inline=()) -> tuple[str, list[str]]:
    """`text` without its lines whose hash is in `site` and without the `inline` site lines a page
    merged into one of its own (then with runs of spaces collapsed); the hashes taken out."""
    if not text or not (site or inline):
        return text or "", []
    kept, whole = [], []
    for line in text.split("\n"):
        digest = block_hash(line)
        if digest in site:
            whole.append(digest)
            continue
        if any(t in line for t in inline):
            for t in inline:
                line = line.replace(t, "")
            line = _SPACES.sub(" ", line).strip()
        if line:
            kept.append(line)
    merged = [
        block_hash(t) for t in inline if any(t in line for line in text.split("\n") if block_hash(line) not in site)
    ]
    return "\n".join(kept), whole + merged


def article_hash(title: str | None, text: str) -> str:
    """crawlers.extraction.content_hash of an already normalised title and text (the stored form)."""
    return hashlib.sha256(((title or "") + "\x1f" + text).encode("utf-8")).hexdigest()


def blocks_sql(text: str) -> str:
    """SQL for the block hashes of the text column `text`: the same values as `block_hashes`."""
    return (
        f"CASE WHEN coalesce({text}, '') = '' THEN []::VARCHAR[] "
        f"ELSE list_transform(string_split({text}, chr(10)), lambda l: left(md5(l), {HASH_CHARS})) END"
    )


def inline_sql(line: str, texts: str) -> str:
    """SQL for one line without the site lines of the list `texts` merged into it (as `strip_blocks`)."""
    return (
        f"CASE WHEN len(list_filter({texts}, lambda x_site: contains({line}, x_site))) = 0 THEN {line} "
        f"ELSE trim(regexp_replace(list_reduce(list_prepend({line}, {texts}), "
        f"lambda x_acc, x_site: replace(x_acc, x_site, '')), ' {{2,}}', ' ', 'g')) END"
    )


def article_hash_sql(title: str, text: str) -> str:
    """SQL for `article_hash` of a title and a text column."""
    return f"sha256(coalesce({title}, '') || chr(31) || coalesce({text}, ''))"
