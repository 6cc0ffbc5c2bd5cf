"""Which part of a shared warehouse a failed statement ran into: its PostgreSQL catalog or its S3
storage, told apart from every other failure (a bug, bad SQL), which stays what it was."""

from __future__ import annotations

import duckdb

from warehouse.errors import CatalogUnreachable, SharedPartUnavailable, StorageUnavailable, first_line
from warehouse.location import Location
from warehouse.pgcatalog import answers

# What DuckDB's postgres extension says when the server went away under a statement.
_CATALOG_GONE = (
    "server closed the connection",
    "terminating connection",
    "connection refused",
    "could not connect",
    "no connection to the server",
    "connection to server",
    "unable to connect to postgres",
    "the database system is shutting down",
    "the database system is starting up",
)


def unavailable_part(where: Location, exc: BaseException) -> SharedPartUnavailable | None:
    """The named error for `exc` when a shared part failed under it, else None.

    The whole chain is read: a statement that failed because S3 did leaves its transaction aborted,
    and cleanup code running after it may raise "transaction is aborted" on top of the real cause.
    """
    if not where.shared:
        return None
    chain = _chain(exc)
    for failed in chain:
        if isinstance(failed, duckdb.HTTPException) or (
            isinstance(failed, duckdb.IOException)
            and where.data_path.startswith("s3://")
            and "http" in str(failed).lower()
        ):
            return StorageUnavailable(f"the storage {where.data_path} of {where} failed: {first_line(failed)}")
    for failed in chain:
        if any(sign in str(failed).lower() for sign in _CATALOG_GONE):
            return CatalogUnreachable(f"the catalog's PostgreSQL server of {where} failed: {first_line(failed)}")
    if isinstance(exc, duckdb.Error) and not answers(where):
        return CatalogUnreachable(f"the catalog's PostgreSQL server of {where} failed: {first_line(chain[-1])}")
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and the exceptions it was raised from or while handling, outermost first."""
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found
