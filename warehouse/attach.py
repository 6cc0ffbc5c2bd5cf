"""The SQL any DuckDB client runs to read the warehouse: `presswatch attach` prints it.

A fresh connection of the pinned DuckDB (Python or CLI) runs these statements and can then use
the warehouse's tables, views and macros unqualified, read-only and offline; each transaction it
opens sees one snapshot and never delays a load.
"""

from __future__ import annotations

from warehouse.db import location
from warehouse.extensions import extension_directory
from warehouse.location import _quote


def attach_statements(spec=None, read_only: bool = True) -> list[str]:
    """The statements, each without its final `;`."""
    where = location(spec)
    return [
        "SET autoinstall_known_extensions = false",
        "SET autoload_known_extensions = false",
        f"SET extension_directory = {_quote(extension_directory(*where.extensions))}",
        *where.attach_statements(read_only),
    ]


def attach_sql(spec=None) -> str:
    """The statements as one script, one per line, each ending in `;`."""
    return "".join(statement + ";\n" for statement in attach_statements(spec))
