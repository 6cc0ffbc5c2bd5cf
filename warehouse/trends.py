"""Term trends, the spread of a phrase across outlets, and source activity.

Thin Python doors onto the table macros of migration 003 (`term_trend`, `phrase_spread`,
`source_activity`), which any DuckDB client can call directly; see docs/cookbook.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.db import connect
from warehouse.errors import WarehouseError
from warehouse.query import require_sources

BUCKETS = ("day", "week", "month")


class BadTerm(WarehouseError):
    """A term or phrase that cannot be searched (empty, or no letters or digits)."""


class BadBucket(WarehouseError):
    """A time bucket other than day, week or month."""


@dataclass
class Rows:
    """Column names and rows of a result."""

    columns: list[str]
    rows: list[tuple]


def term_trends(db, terms: list[str], bucket: str = "week", source: str | None = None, wait: float = 5.0) -> Rows:
    """Articles mentioning each term and its mentions, per bucket and source (term_trend macro)."""
    terms = [_checked(term) for term in terms]
    if not terms:
        raise BadTerm("give at least one term")
    bucket = _bucket(bucket)
    with connect(db, read_only=True, wait=wait) as con:
        if source is not None:
            _check_source(con, source)
        columns, rows = [], []
        for term in terms:
            cursor = con.execute("SELECT * FROM term_trend(?, bucket := ?, source := ?)", [term, bucket, source])
            columns = [d[0] for d in cursor.description]
            rows.extend(cursor.fetchall())
    order = {term: i for i, term in enumerate(terms)}
    rows.sort(key=lambda r: (r[1], order[r[0]], r[2]))
    return Rows(columns, rows)


def phrase_spread(db, phrase: str, wait: float = 5.0) -> Rows:
    """Each outlet's first article using the phrase, earliest first, with its lag in days."""
    phrase = _checked(phrase)
    with connect(db, read_only=True, wait=wait) as con:
        cursor = con.execute("SELECT * FROM phrase_spread(?)", [phrase])
        return Rows([d[0] for d in cursor.description], cursor.fetchall())


def source_activity(db, bucket: str = "week", wait: float = 5.0) -> Rows:
    """Articles published, edited, retitled, deleted and restored per source and bucket."""
    bucket = _bucket(bucket)
    with connect(db, read_only=True, wait=wait) as con:
        cursor = con.execute("SELECT * FROM source_activity(bucket := ?)", [bucket])
        return Rows([d[0] for d in cursor.description], cursor.fetchall())


def _checked(term: str) -> str:
    term = (term or "").strip()
    if not any(c.isalnum() for c in term):
        raise BadTerm(f"cannot search for {term!r}: give a word or phrase with letters or digits")
    return term


def _bucket(bucket: str) -> str:
    if (bucket or "").lower() not in BUCKETS:
        raise BadBucket(f"bucket must be one of {', '.join(BUCKETS)}, not {bucket!r}")
    return bucket.lower()


def _check_source(con, source: str) -> None:
    require_sources(con, [source])
