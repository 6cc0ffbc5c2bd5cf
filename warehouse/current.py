"""The current versions of some articles, read before a load takes the write lock."""

from __future__ import annotations

from collections.abc import Iterable

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
