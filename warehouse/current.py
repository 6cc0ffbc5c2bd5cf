"""The current versions of some articles, read before a load takes the write lock."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from warehouse.db import connect
from warehouse.errors import WarehouseError


def current_versions(db, article_ids: Iterable[str], columns: str, where: str = "") -> list[tuple]:
    """(article_id, *columns) of the live current versions of `article_ids` (with `where`, an extra
    `AND ...`), from a read-only snapshot; none when there is no warehouse yet or it cannot be read."""
    try:
        with connect(db, read_only=True, wait=30.0) as con:
            return con.execute(
                f"SELECT article_id, {columns} FROM article_versions "
                f"WHERE valid_to IS NULL AND change_kind <> 'deleted'{where} AND list_contains(?, article_id)",
                [list(article_ids)],
            ).fetchall()
    except WarehouseError:
        return []


def known_captured_articles(db, records: Path) -> list[str]:
    """The articles a staged batch captured that the warehouse already holds a live version of:
    the ones whose texts a step before the lock compares (none on a first load, so a first crawl's
    texts are never read into memory for it)."""
    if not records.exists() or records.stat().st_size == 0:
        return []
    try:
        with duckdb.connect() as con:
            captured = [
                row[0]
                for row in con.execute(
                    """
                    SELECT DISTINCT article_id FROM read_json(?, format = 'newline_delimited',
                        columns = {'type': 'VARCHAR', 'outcome': 'VARCHAR', 'article_id': 'VARCHAR'})
                    WHERE type = 'capture' AND outcome = 'article' AND article_id IS NOT NULL
                    """,
                    [str(records)],
                ).fetchall()
            ]
    except duckdb.Error:
        return []  # an unreadable batch is the loader's to report
    return [row[0] for row in current_versions(db, captured, "NULL")] if captured else []
