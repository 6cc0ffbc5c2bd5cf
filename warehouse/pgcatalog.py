"""The shared warehouse's PostgreSQL server, spoken to directly: whether it answers, whether it holds a
DuckLake yet, and the connection that holds the write lock (warehouse/pglock.py)."""

from __future__ import annotations

import os
import socket

from warehouse.errors import CatalogUnreachable, first_line
from warehouse.location import Location

CONNECT_TIMEOUT = 10  # seconds; a stopped server refuses at once, a partitioned one takes this long
_LAKE_TABLE = "ducklake_metadata"  # DuckLake creates all its tables in one PostgreSQL transaction


def conninfo(location: Location) -> str:
    return location.catalog.removeprefix("postgres:")


def catalog_connection(location: Location):
    """An autocommit psycopg connection to the catalog's server; CatalogUnreachable when it does not answer.

    It names this machine and process in pg_stat_activity (`presswatch HOST PID`): who holds the lock.
    """
    import psycopg

    try:
        return psycopg.connect(
            conninfo(location),
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT,
            application_name=f"presswatch {socket.gethostname()} {os.getpid()}"[:63],
        )
    except psycopg.Error as exc:
        raise unreachable(location, exc) from None


def unreachable(location: Location, exc: BaseException) -> CatalogUnreachable:
    # libpq says "connection failed: connection to server at "HOST", port N failed: REASON": the
    # location names the server already, the reason is the news.
    reason = first_line(exc).rsplit(" failed: ", 1)[-1]
    return CatalogUnreachable(f"the catalog's PostgreSQL server of {location} cannot be reached: {reason}")


def holds_lake(location: Location) -> bool:
    """Whether the catalog database holds a DuckLake (an empty database is a shared warehouse's first day)."""
    import psycopg

    with catalog_connection(location) as connection:
        try:
            row = connection.execute("SELECT to_regclass(%s) IS NOT NULL", [_LAKE_TABLE]).fetchone()
        except psycopg.Error as exc:
            raise unreachable(location, exc) from None
    return bool(row and row[0])


def answers(location: Location) -> bool:
    """Whether the catalog's server answers now (to tell a dropped catalog from other failures)."""
    try:
        catalog_connection(location).close()
    except CatalogUnreachable:
        return False
    return True
