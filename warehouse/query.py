"""Read-only questions to the warehouse from the command line."""

from __future__ import annotations

import duckdb

from warehouse.db import connect
from warehouse.errors import DatabaseMissing, QueryError, UnknownSourceName


def run_query(db, query: str, wait: float = 5.0, params: list | None = None) -> tuple[list[str], list[tuple]]:
    """Column names and rows of one read-only query."""
    with connect(db, read_only=True, wait=wait) as con:
        try:
            cursor = con.execute(query, params or [])
        except duckdb.Error as exc:
            raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from None
        if cursor.description is None:
            return [], []
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall()


def last_runs(db) -> dict[str, dict]:
    """Each source's most recent loaded crawl; empty when there is no warehouse yet."""
    try:
        columns, rows = run_query(
            db,
            "SELECT source, loaded_at, status, new_articles FROM crawl_runs "
            "QUALIFY row_number() OVER (PARTITION BY source ORDER BY loaded_at DESC) = 1",
        )
    except DatabaseMissing:
        return {}
    return {row[0]: dict(zip(columns, row)) for row in rows}


def require_sources(con, names) -> None:
    """Raise UnknownSourceName unless the warehouse has loaded every one of `names`."""
    known = [row[0] for row in con.execute("SELECT name FROM sources ORDER BY 1").fetchall()]
    for name in names:
        if name not in known:
            raise UnknownSourceName(f"the warehouse has no source named {name!r}; known: {', '.join(known) or 'none yet'}")
