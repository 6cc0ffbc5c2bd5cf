"""Named failures of the warehouse; the CLI turns each into one line with a next step."""


def first_line(exc: BaseException) -> str:
    """An exception's message as one line (the first), or its type's name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class WarehouseError(Exception):
    """Base class for warehouse failures."""


class DatabaseLocked(WarehouseError):
    """Another writer holds the warehouse's write lock and did not let go in time."""


class DatabaseMissing(WarehouseError):
    """No warehouse file where one was expected."""


class DatabaseCorrupt(WarehouseError):
    """The file exists but is not a DuckDB database presswatch can open."""


class QueryError(WarehouseError):
    """An analyst's SQL failed."""


class BatchError(WarehouseError):
    """A staged batch cannot be read."""


class UnknownSourceName(WarehouseError):
    """A source name the warehouse has never loaded."""


class ExtensionMissing(WarehouseError):
    """A DuckDB extension the warehouse needs is not installed (offline, from its wheel)."""


class LegacyWarehouse(WarehouseError):
    """A one-file DuckDB warehouse of presswatch 0.1, to be converted with `presswatch upgrade`."""


class LocationError(WarehouseError):
    """--db / PRESSWATCH_DB names no warehouse presswatch can use."""


class LoadSettingError(WarehouseError):
    """A setting of loads (an environment variable) has a value presswatch cannot use."""


class LoadConflict(WarehouseError):
    """A load's commit conflicted with another writer's every time it was retried."""


class SharedPartUnavailable(WarehouseError):
    """A part of a shared warehouse (its PostgreSQL catalog, its S3 storage) cannot be reached or used:
    a load leaves its batch staged and the next run loads it."""

    loaded: list = []  # set by a load that stopped part way: the batches it loaded before the failure


class CatalogUnreachable(SharedPartUnavailable):
    """The shared warehouse's PostgreSQL server does not answer (or dropped the connection)."""


class StorageUnavailable(SharedPartUnavailable):
    """The shared warehouse's S3 storage (data path or archive) cannot be read or written."""


class ArchiveNotShared(LocationError):
    """A shared warehouse with this machine's own WARC archive: other machines could not read its captures."""
