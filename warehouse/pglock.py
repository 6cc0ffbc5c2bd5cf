"""The write lock of a shared warehouse: a PostgreSQL advisory lock on the catalog's own server, so
it holds across machines and is released by the server when the holder's connection dies."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from warehouse.errors import DatabaseLocked
from warehouse.location import Location
from warehouse.pgcatalog import catalog_connection, unreachable

# One key per warehouse catalog: two warehouses on one server do not block each other.
_NAMESPACE = 0x70775F6C  # "pw_l"


def lock_key(location: Location) -> int:
    return (_NAMESPACE << 32 | zlib.crc32(location.catalog.encode())) - (1 << 63)


class HeldLock:
    """The advisory lock while it is held: `waited` seconds to get it; `check()` before committing."""

    def __init__(self, location: Location, connection, waited: float):
        self.location = location
        self.connection = connection
        self.waited = waited

    def check(self) -> None:
        """Raise CatalogUnreachable if the lock's connection died (a server restart frees the lock, and
        another machine may hold it now): a load must not commit then."""
        import psycopg

        try:
            self.connection.execute("SELECT 1").fetchone()
        except psycopg.Error as exc:
            raise unreachable(self.location, exc) from None


@contextmanager
def advisory_lock(location: Location, wait: float) -> Iterator[HeldLock]:
    """Hold the warehouse's advisory lock; CatalogUnreachable when the server does not answer."""
    import psycopg

    started = time.monotonic()
    connection = catalog_connection(location)
    key = lock_key(location)
    try:
        delay = 0.05
        try:
            while not (connection.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone() or (False,))[0]:
                if time.monotonic() - started >= wait:
                    holder = connection.execute(
                        "SELECT l.pid, a.application_name FROM pg_locks l LEFT JOIN pg_stat_activity a USING (pid) "
                        "WHERE l.locktype = 'advisory' AND l.granted "
                        "AND l.objid = (%s::bigint & x'FFFFFFFF'::bigint)::oid LIMIT 1",
                        [key],
                    ).fetchone()
                    who = f" ({holder[1] or 'backend'}, backend {holder[0]})" if holder else ""
                    raise DatabaseLocked(f"another load{who} is writing to {location}; waited {wait:.0f}s")
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        except psycopg.Error as exc:  # the server went away while we waited
            raise unreachable(location, exc) from None
        try:
            yield HeldLock(location, connection, time.monotonic() - started)
        finally:
            try:
                connection.execute("SELECT pg_advisory_unlock(%s)", [key])
            except psycopg.Error:
                pass  # the connection died: the server released the lock with it
    finally:
        connection.close()
