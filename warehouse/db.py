"""Opening the warehouse, a DuckLake: readers attach read-only and see one snapshot per
transaction, never waiting; writers first take the warehouse's write lock (bounded wait), then
apply the numbered migrations this catalog has not seen.
"""

from __future__ import annotations

import atexit
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from importlib import resources

import duckdb

from warehouse.errors import DatabaseCorrupt, DatabaseMissing, StorageUnavailable, WarehouseError, first_line
from warehouse.extensions import READER_SETTINGS, connection_config
from warehouse.location import ALIAS, CATALOG_FILE, DEFAULT_DB, Location, db_path, parse
from warehouse.locks import FileLock, write_lock
from warehouse.outages import unavailable_part
from warehouse.pgcatalog import holds_lake
from warehouse.pglock import HeldLock

__all__ = [
    "ALIAS",
    "DEFAULT_DB",
    "confirm_write_lock",
    "connect",
    "drop_temp_tables",
    "db_path",
    "location",
    "migrations",
    "migrate",
    "open_location",
    "rollback",
]

_NO_LAKE = "creating a new DuckLake is explicitly disabled"  # DuckLake's read-only attach of an empty catalog
_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_LEDGER = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL, name VARCHAR, applied_at TIMESTAMP)"


def location(spec: str | os.PathLike | Location | None = None) -> Location:
    """The warehouse `spec` names (a Location passes through)."""
    return spec if isinstance(spec, Location) else parse(spec)


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, SQL) of every bundled migration, in order."""
    found = []
    for entry in resources.files("warehouse.migrations").iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def open_location(where: Location, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A fresh DuckDB connection with the warehouse attached as `presswatch` and in use."""
    if where.folder is not None and not read_only:
        where.folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config=connection_config(*where.extensions))
    try:
        for statement in where.attach_statements(read_only):
            con.execute(statement)
    except duckdb.Error as exc:
        con.close()
        raise _attach_failure(where, read_only, exc) from None
    return con


def _catalog_identity(where: Location) -> tuple[int, int] | None:
    """The device and inode of a folder warehouse's catalog file (None: shared, or not there yet)."""
    if where.shared or where.folder is None:
        return None
    try:
        stat = os.stat(where.folder / CATALOG_FILE)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _attach_failure(where: Location, read_only: bool, exc: duckdb.Error) -> WarehouseError:
    """The named error for a warehouse that could not be attached."""
    if where.shared:
        if "Secret Validation Failure" in str(exc):
            return StorageUnavailable(
                f"{where}: no S3 credentials for {where.data_path}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or a profile in ~/.aws)"
            )
        # DuckLake says the lake did not exist when it looked; another machine may have created it
        # since, so that answer, not a second look, decides (the caller then takes the write lock).
        if _NO_LAKE in str(exc) or not holds_lake(where):  # CatalogUnreachable when its server does not answer
            # A writer's attach creates the lake: when that failed, DuckDB's reason is the news.
            said = "" if read_only else f" (creating it failed: {first_line(exc)})"
            return DatabaseMissing(f"{where} holds no DuckLake yet{said}")
    elif read_only and where.folder is not None and _catalog_being_created(where.folder / CATALOG_FILE):
        return DatabaseMissing(f"{where} is still being created: its catalog holds no DuckLake yet")
    return DatabaseCorrupt(f"{where}: cannot be attached: {first_line(exc)}")


def _catalog_being_created(catalog) -> bool:
    """Whether the SQLite catalog file exists but holds no DuckLake table yet: its first writer is
    creating it (a reader cannot attach it then, and must not call it corrupt)."""
    try:
        if catalog.stat().st_size == 0:
            return True
        with closing(sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)) as db:
            found = db.execute("SELECT count(*) FROM sqlite_master WHERE name LIKE 'ducklake%'").fetchone()
        return found[0] == 0
    except (OSError, sqlite3.Error):
        return False  # unreadable or not SQLite at all: that is corrupt


class _ProcessInstance:
    """One in-memory DuckDB per process whose connections (cursors) share its loaded extensions.

    Loading an extension checks its signature, about 0.1 s of CPU each time a new DuckDB instance
    loads it, and attaching the lake costs 0.1-0.2 s more; a command opens the warehouse several
    times (the export before each crawl, the load, the alerts), so they share this instance. A
    folder warehouse stays attached after its last connection closes, until a connection wants
    another warehouse or the other mode (DuckLake reads the newest snapshot at every transaction,
    so what others committed meanwhile is seen; a catalog file replaced meanwhile, another inode, is
    attached afresh). A shared warehouse is detached when its last connection closes, so that a
    restarted catalog server is met by a new connection. A connection to another warehouse, or in
    the other mode, while this one is in use gets an instance of its own (`open_location`).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._forget()

    def _forget(self) -> None:
        """No instance (the lock stays: a thread waiting on it must get the one it waits on)."""
        self.pid = os.getpid()
        self.instance: duckdb.DuckDBPyConnection | None = None
        self.loaded: set[str] = set()
        self.attached: tuple | None = None
        self.users = 0

    def open(self, where: Location, read_only: bool) -> tuple[duckdb.DuckDBPyConnection, bool]:
        """A connection with the warehouse attached and in use, and whether it is one of this instance's."""
        key = (where.catalog, where.data_path, read_only, _catalog_identity(where))
        with self.lock:
            if self.pid != os.getpid():  # a forked child never uses its parent's DuckDB
                self._forget()
            if self.users and self.attached != key:
                shared = False
            else:
                if not self.users and self.attached != key:
                    if self.attached is not None:
                        self._detach()
                    self._attach(where, read_only, key[:3] + (_catalog_identity(where),))
                self.users += 1
                shared = True
                # Under the lock: the instance's own connection is not safe to use from two threads
                # at once (two first connections of a process crashed DuckDB in it).
                assert self.instance is not None
                con = self.instance.cursor()
        if not shared:
            return open_location(where, read_only), False
        con.execute(f"USE {ALIAS}")
        return con, True

    def _attach(self, where: Location, read_only: bool, key: tuple) -> None:
        if where.folder is not None and not read_only:
            where.folder.mkdir(parents=True, exist_ok=True)
        if self.instance is None:
            self.instance = duckdb.connect(config=connection_config(*where.extensions))
        for statement in where.attach_statements(read_only):
            name = statement.removeprefix("LOAD ")
            if name != statement and name in self.loaded:
                continue
            try:
                self.instance.execute(statement)
            except duckdb.Error as exc:
                self._detach()
                raise _attach_failure(where, read_only, exc) from None
            if name != statement:
                self.loaded.add(name)
        self.attached = key

    def release(self, con: duckdb.DuckDBPyConnection) -> None:
        with self.lock:
            con.close()
            self.users -= 1
            if not self.users and (self.attached is None or self.attached[3] is None):
                self._detach()

    def close(self) -> None:
        """Close the instance (at exit: DuckDB's own teardown then runs before the interpreter's)."""
        with self.lock:
            if self.instance is not None and self.pid == os.getpid():
                self.instance.close()
            self.instance, self.attached, self.loaded = None, None, set()

    def _detach(self) -> None:
        self.attached = None
        if self.instance is not None:
            try:
                self.instance.execute("USE memory")  # the default database cannot be detached
                self.instance.execute(f"DETACH DATABASE IF EXISTS {ALIAS}")
            except duckdb.Error:
                self.instance.close()  # a broken instance is dropped whole; the next connect makes another
                self.instance, self.loaded = None, set()


_SHARED = _ProcessInstance()
atexit.register(_SHARED.close)


@contextmanager
def _opened(where: Location, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    con, shared = _SHARED.open(where, read_only)
    try:
        yield con
    finally:
        _release(con, shared)


def _release(con: duckdb.DuckDBPyConnection, shared: bool) -> None:
    if shared:
        _SHARED.release(con)
    else:
        con.close()


# The write lock held by each open writer connection (by id), so a load can check it before COMMIT.
_HELD: dict[int, FileLock | HeldLock] = {}


@contextmanager
def connect(
    path=None, *, read_only: bool = False, wait: float = 10.0, create: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse, closed on exit.

    Read-only: never waits for a writer, sees the latest snapshot; an empty shared catalog (its
    first contact) is made a warehouse first, under the write lock (waiting up to `wait` s).
    Otherwise holds the write lock (waiting up to `wait` s, then DatabaseLocked) for the
    connection's life and migrates first.
    """
    where = location(path)
    if not where.exists() and (read_only or not create):
        raise DatabaseMissing(f"{where} does not exist")
    if read_only:
        with _reader(where, wait) as con, _naming_outages(where):
            yield con
        return
    with write_lock(where, wait) as held, _opened(where, read_only=False) as con:
        _HELD[id(con)] = held
        try:
            with _naming_outages(where):
                migrate(con)
                yield con
        finally:
            _HELD.pop(id(con), None)


@contextmanager
def _naming_outages(where: Location) -> Iterator[None]:
    """A statement that failed because a shared part went away raises CatalogUnreachable or
    StorageUnavailable (one sentence naming it) instead of DuckDB's error."""
    try:
        yield
    except duckdb.Error as exc:
        failure = unavailable_part(where, exc)
        if failure is None:
            raise
        raise failure from None


def confirm_write_lock(con: duckdb.DuckDBPyConnection) -> None:
    """Raise CatalogUnreachable if the write lock `con` was opened under has been lost (a shared
    catalog's server restarted): what the connection was about to commit must not be committed."""
    held = _HELD.get(id(con))
    if held is not None:
        held.check()


@contextmanager
def _reader(where: Location, wait: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to a current warehouse; a shared catalog without one gets it made first."""
    try:
        con, shared = _open_current(where)
    except DatabaseMissing:
        if not where.shared:
            raise
        try:
            with connect(where, wait=wait):  # creates the lake and runs the migrations, once, under the lock
                pass
        except DatabaseCorrupt as exc:
            raise DatabaseMissing(
                f"{where} holds no warehouse yet, and this connection cannot create it ({exc}): "
                "the first `presswatch crawl` with a role that may create tables does"
            ) from None
        con, shared = _open_current(where)
    try:
        for setting in READER_SETTINGS:
            con.execute(setting)
        yield con
    finally:
        _release(con, shared)


def _open_current(where: Location) -> tuple[duckdb.DuckDBPyConnection, bool]:
    con, shared = _SHARED.open(where, read_only=True)
    try:
        _check_current(con, where)
    except BaseException:
        _release(con, shared)
        raise
    return con, shared


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations this warehouse has not seen, all in one transaction (one snapshot)."""
    done = _applied(con) or set()
    pending = [(number, name, sql) for number, name, sql in migrations() if number not in done]
    if not pending:
        return []
    # The ledger is created in the same snapshot as the first tables, so a reader attaching
    # meanwhile sees either an empty lake or a whole warehouse.
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(_LEDGER)
        for number, name, sql in pending:
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, now()::TIMESTAMP)",
                [number, name],
            )
        from warehouse.search_index import after_migrations  # it reads the migrations: imported late

        after_migrations(con, [number for number, _, _ in pending])
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    return [name for _, name, _ in pending]


def drop_temp_tables(con: duckdb.DuckDBPyConnection, names) -> None:
    """Drop these temporary tables, with no transaction open, in one transaction of their own (an
    autocommitted statement costs a commit of the attached lake: ~4 ms each, against ~0.4 ms)."""
    con.execute("BEGIN TRANSACTION")
    try:
        for name in names:
            con.execute(f"DROP TABLE IF EXISTS temp.{name}")
    except BaseException:
        rollback(con)
        raise
    con.execute("COMMIT")


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back the open transaction; when the catalog's connection died, it is gone already, and
    the error that killed it (not this one) is the one to report."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


def applied_migrations(con) -> set[int]:
    """The migrations this warehouse's ledger lists (none for a lake without a ledger)."""
    return _applied(con) or set()


def _applied(con) -> set[int] | None:
    """The migrations the ledger lists; None when there is no ledger (asking the table itself costs
    ~10 ms on a lake just attached, listing the lake's tables ~100 ms)."""
    try:
        return {row[0] for row in con.execute(f"SELECT version FROM {ALIAS}.main.schema_migrations").fetchall()}
    except duckdb.CatalogException:
        return None


def _tables(con) -> set[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [ALIAS]).fetchall()
    return {name for (name,) in rows}


def _check_current(con, where: Location) -> None:
    """A reader needs a presswatch warehouse; newer migrations arrive with the next load.

    A lake with no tables yet is one whose first writer has not committed its migrations.
    """
    if _applied(con) is not None:
        return
    if not _tables(con):
        raise DatabaseMissing(f"{where} has no tables yet")
    raise DatabaseCorrupt(f"{where} is a DuckLake but not a presswatch warehouse")
