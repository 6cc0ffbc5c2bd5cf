"""The SQL any DuckDB client runs to read the warehouse: `presswatch attach` prints it.

A fresh connection of the pinned DuckDB (Python or CLI) runs these statements and can then use
the warehouse's tables, views and macros unqualified, read-only and offline; each transaction it
opens sees one snapshot and never delays a load.
"""

from __future__ import annotations

from warehouse.db import location
from warehouse.extensions import READER_SETTINGS, extension_directory
from warehouse.location import _quote


def attach_statements(spec=None, read_only: bool = True, explicit_secret: bool = False) -> list[str]:
    """The statements, each without its final `;`. An S3 data path's key is read from the session's
    environment (DuckDB's credential chain) unless `explicit_secret` writes this environment's into them."""
    where = location(spec)
    return [
        "SET autoinstall_known_extensions = false",
        "SET autoload_known_extensions = false",
        f"SET extension_directory = {_quote(extension_directory(*where.extensions))}",
        *READER_SETTINGS,
        *where.attach_statements(read_only, explicit_secret),
    ]


def attach_sql(spec=None, explicit_secret: bool = False) -> str:
    """The statements as one script, one per line, each ending in `;`."""
    return "".join(statement + ";\n" for statement in attach_statements(spec, explicit_secret=explicit_secret))
