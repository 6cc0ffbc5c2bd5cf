"""Convert a one-file DuckDB warehouse of presswatch 0.1 into a DuckLake, in one transaction.

Every table the old file has is copied row for row into the migrated lake (versions, fetches,
runs, article state, clusters, loaded batches: the archive pointers are columns, so they come
along); the counts are compared and the term index is built before the commit. The old file is only read, never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.db import ALIAS, connect, location
from warehouse.errors import WarehouseError
from warehouse.location import _is_duckdb_file, _quote
from warehouse.outcomes import BACKFILL_SQL
from warehouse.search_index import rebuild
from warehouse.template import Thresholds, learn_stored

LEGACY = "presswatch_legacy"


class UpgradeError(WarehouseError):
    """The old file cannot be converted, or the target is not an empty warehouse."""


@dataclass
class Upgrade:
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)
    templates: int = 0  # sources whose stored texts show site blocks (template events recorded)


def upgrade(old_file: str | Path, target, wait: float = 30.0) -> Upgrade:
    """Copy every table of `old_file` into the (new, empty) warehouse `target`."""
    old = Path(old_file)
    if not old.is_file() or not _is_duckdb_file(old):
        raise UpgradeError(f"{old} is not a DuckDB file: give the path of the old presswatch.duckdb")
    where = location(target)  # named by str(where): a shared catalog's password is redacted
    result = Upgrade(str(old), str(where))
    with connect(where, wait=wait) as con:
        try:
            con.execute(f"ATTACH {_quote(str(old.resolve()))} AS {LEGACY} (READ_ONLY)")
        except duckdb.Error as exc:
            raise UpgradeError(f"{old} cannot be opened: {str(exc).splitlines()[0]}") from None
        tables = _tables(con, LEGACY)
        if "article_versions" not in tables or "schema_migrations" not in tables:
            raise UpgradeError(f"{old} is a DuckDB file but not a presswatch warehouse")
        lake = set(_tables(con, ALIAS))
        busy = [
            t
            for t in ("article_versions", "crawl_runs", "loaded_batches")
            if con.execute(f"SELECT count(*) FROM {ALIAS}.main.{t}").fetchall()[0][0]
        ]
        if busy:
            raise UpgradeError(f"{where} already holds data ({', '.join(busy)}): upgrade into a new, empty --db")
        copied = [t for t in tables if t in lake and t != "schema_migrations"]
        missing = [t for t in tables if t not in lake]
        if missing:
            raise UpgradeError(f"{old} has tables this presswatch does not know: {', '.join(missing)}")
        con.execute("BEGIN TRANSACTION")
        try:
            for table in copied:
                con.execute(f"INSERT INTO {ALIAS}.main.{table} BY NAME {_copied_rows(table)}")
                want = con.execute(f"SELECT count(*) FROM {LEGACY}.main.{table}").fetchall()[0][0]
                got = con.execute(f"SELECT count(*) FROM {ALIAS}.main.{table}").fetchall()[0][0]
                if want != got:
                    raise UpgradeError(f"{table}: copied {got} rows of {want}; nothing was written")
                result.rows[table] = int(got)
            con.execute(BACKFILL_SQL)
            rebuild(con)  # the term index of migration 006, which 0.1 did not have
            result.templates = _learn_templates(con)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        con.execute(f"DETACH {LEGACY}")
    return result


def _copied_rows(table: str) -> str:
    """The SELECT that copies `table` from the legacy file; a version gains what migration 008 keeps
    on it, its previous version's title and extractor version."""
    if table != "article_versions":
        return f"SELECT * FROM {LEGACY}.main.{table}"
    return (
        "SELECT *, lag(title) OVER w AS previous_title, lag(extractor_version) OVER w AS previous_extractor_version "
        f"FROM {LEGACY}.main.{table} WINDOW w AS (PARTITION BY article_id ORDER BY version)"
    )


def _learn_templates(con) -> int:
    """Each source's site template, counted from its stored texts with the default thresholds.

    No version is written or changed: the texts stay as they were extracted, and the first load of
    each source compares its pages without the blocks found here (a registry with other thresholds
    makes that load count again). `presswatch reextract` then stores the texts without them.
    """
    now = datetime.now(UTC).replace(tzinfo=None)
    names = [name for (name,) in con.execute(f"SELECT name FROM {ALIAS}.main.sources ORDER BY 1").fetchall()]
    return sum(1 for name in names if learn_stored(con, name, Thresholds(), now) is not None)


def _tables(con, database: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' ORDER BY 1", [database]
    ).fetchall()
    return [name for (name,) in rows]
