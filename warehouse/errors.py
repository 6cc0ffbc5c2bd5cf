"""Named failures of the warehouse; the CLI turns each into one line with a next step."""


class WarehouseError(Exception):
    """Base class for warehouse failures."""


class DatabaseLocked(WarehouseError):
    """Another process holds the DuckDB file and did not let go in time."""


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
