"""Named failures of the warehouse; the CLI turns each into one line with a next step."""


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


class LoadConflict(WarehouseError):
    """A load's commit conflicted with another writer's every time it was retried."""
