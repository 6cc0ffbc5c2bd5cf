"""Opening the warehouse: bounded waits for the file lock, and numbered migrations applied on open.

DuckDB lets one process write *or* many read (duckdb#1119), and a read-only open fails while a
writer holds the file (duckdb#17158), so every open here retries for a bounded time.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb

from warehouse.errors import DatabaseCorrupt, DatabaseLocked, DatabaseMissing

DEFAULT_DB = Path("data/presswatch.duckdb")
_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The warehouse file: the flag, else PRESSWATCH_DB, else data/presswatch.duckdb."""
    return Path(explicit or os.environ.get("PRESSWATCH_DB") or DEFAULT_DB)


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, SQL) of every bundled migration, in order."""
    found = []
    for entry in resources.files("warehouse.migrations").iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def _open(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" not in message.lower():
                raise DatabaseCorrupt(f"{path}: {message.splitlines()[0]}") from None
            if time.monotonic() >= deadline:
                holder = re.search(r"PID (\d+)", message)
                who = f" (process {holder.group(1)})" if holder else ""
                raise DatabaseLocked(f"{path} is locked by another process{who}; waited {wait:.0f}s") from None
        except duckdb.Error as exc:
            raise DatabaseCorrupt(f"{path}: {str(exc).splitlines()[0]}") from None
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


@contextmanager
def connect(path: str | os.PathLike | None = None, *, read_only: bool = False, wait: float = 10.0, create: bool = True):
    """A connection to the warehouse, migrated, closed on exit; waits up to `wait` s for the lock."""
    path = db_path(path)
    if not path.exists():
        if read_only or not create:
            raise DatabaseMissing(f"{path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open(path, read_only, wait)
    try:
        if read_only:
            _check_current(con, path)
        else:
            migrate(con)
        yield con
    finally:
        con.close()


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations this file has not seen, each in its own transaction."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for number, name, sql in migrations():
        if number in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [number, name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def _check_current(con, path: Path) -> None:
    """A reader needs a presswatch warehouse; newer migrations arrive with the next load."""
    try:
        con.execute("SELECT version FROM schema_migrations").fetchall()
    except duckdb.CatalogException:
        raise DatabaseCorrupt(f"{path} is a DuckDB file but not a presswatch warehouse") from None
