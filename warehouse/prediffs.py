"""The word diffs of a batch's edits, computed before the load takes the write lock.

For each edit the loader records the words added and removed and the first changed sentence
(warehouse/textdiff.py, difflib: a few milliseconds an edit, most of a recrawl's time under the
lock). Before the lock, each article capture whose text differs from its article's current version
(read from a read-only snapshot) is diffed here. Under the lock, a pair of texts diffed here is
taken as it is, and any other pair (a load committed in between, the site template stripped other
lines) is diffed there: a diff depends on the two texts alone, so the answer is the same either way.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from warehouse.current import current_versions
from warehouse.textdiff import first_changed_sentence, word_counts

Diff = tuple[int, int, str | None, str | None]  # words added, removed; the sentence before, after


def diff(old: str | None, new: str | None) -> Diff:
    added, removed = word_counts(old, new)
    before, after = first_changed_sentence(old, new)
    return added, removed, before, after


def version_key(article_id: str, version: int, new: str | None) -> bytes:
    """A stored version (its text never changes) and a new text, as one digest."""
    digest = hashlib.blake2b(digest_size=20)
    for part in (article_id, str(version), new or ""):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.digest()


def prepare_diffs(db, records: Path, known: list[str]) -> dict[bytes, Diff]:
    """Diffs of the batch's captures of `known` articles (known_captured_articles) against their
    current versions, by version_key (read-only)."""
    if not known:
        return {}  # a first load: nothing to diff against
    try:
        with duckdb.connect() as con:
            captures = dict(
                con.execute(
                    """
                    SELECT article_id, arg_max(text, fetched_at) FROM read_json(?, format = 'newline_delimited',
                        columns = {'type': 'VARCHAR', 'outcome': 'VARCHAR', 'article_id': 'VARCHAR',
                                   'fetched_at': 'TIMESTAMP', 'text': 'VARCHAR'})
                    WHERE type = 'capture' AND outcome = 'article' AND article_id IN (SELECT unnest(?::VARCHAR[]))
                    GROUP BY article_id
                    """,
                    [str(records), known],
                ).fetchall()
            )
    except duckdb.Error:
        return {}  # an unreadable batch is the loader's to report
    if not captures:
        return {}
    current = current_versions(db, captures, "version, text")  # none on a first load: diffed under the lock
    return {
        version_key(article_id, version, captures[article_id]): diff(old, captures[article_id])
        for article_id, version, old in current
        if old != captures[article_id]
    }
