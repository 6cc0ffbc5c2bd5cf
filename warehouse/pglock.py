"""The write lock of a shared warehouse: a PostgreSQL advisory lock on the catalog's own server, so
it holds across machines and is released by the server when the holder's connection dies."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from warehouse.errors import DatabaseLocked, WarehouseError
from warehouse.location import Location

# One key per warehouse catalog: two warehouses on one server do not block each other.
_NAMESPACE = 0x70775F6C  # "pw_l"


def lock_key(location: Location) -> int:
    return (_NAMESPACE << 32 | zlib.crc32(location.catalog.encode())) - (1 << 63)


@contextmanager
def advisory_lock(location: Location, wait: float) -> Iterator[float]:
    """Hold the warehouse's advisory lock; yields the seconds spent waiting for it."""
    import psycopg

    conninfo = location.catalog.removeprefix("postgres:")
    started = time.monotonic()
    try:
        connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise WarehouseError(
            f"{location}: cannot reach the catalog's PostgreSQL server: {str(exc).strip().splitlines()[0]}"
        ) from None
    key = lock_key(location)
    try:
        delay = 0.05
        while not (connection.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone() or (False,))[0]:
            if time.monotonic() - started >= wait:
                holder = connection.execute(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND objid = (%s::bigint & x'FFFFFFFF'::bigint)::oid LIMIT 1",
                    [key],
                ).fetchone()
                who = f" (backend {holder[0]})" if holder else ""
                raise DatabaseLocked(f"another load{who} is writing to {location}; waited {wait:.0f}s")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        try:
            yield time.monotonic() - started
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", [key])
    finally:
        connection.close()
