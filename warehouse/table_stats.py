"""Give every empty lake table the statistics row DuckLake writes for a table that has held a row.

DuckLake 1.5.5 keeps no statistics for a table that never held a row, and looks them up in its
catalog again for every column of every statement that reads such a table (ducklake#1313, fixed
after the pinned version): 20-25 ms a statement where one on a table with rows takes 2-5 ms. In a
new warehouse every table is empty until its first load commits, so every statement of that load
paid it, as do the template, story-cluster and alert tables of a warehouse that has none yet. A row
inserted and deleted in one transaction leaves no row and no file, and the statistics row of an
empty table that has held one (0 records).
"""

from __future__ import annotations

import duckdb

# A value of each type for a column that takes no NULL (the row is deleted before anyone sees it).
_NOT_NULL_VALUES = {
    "VARCHAR": "''",
    "BLOB": "''::BLOB",
    "BOOLEAN": "false",
    "DATE": "DATE '1970-01-01'",
    "TIMESTAMP": "TIMESTAMP '1970-01-01'",
    "VARCHAR[]": "[]::VARCHAR[]",
}


def prime_empty_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Insert and delete one row in each empty table of the attached lake, inside the caller's
    transaction (which holds the write lock); returns the tables primed."""
    columns = con.execute(
        """
        SELECT c.table_name, list(c.data_type ORDER BY c.column_index), list(c.is_nullable ORDER BY c.column_index)
        FROM duckdb_columns() c JOIN duckdb_tables() t
          ON t.database_name = c.database_name AND t.schema_name = c.schema_name AND t.table_name = c.table_name
        WHERE c.database_name = current_database() AND c.schema_name = current_schema() AND NOT t.temporary
        GROUP BY c.table_name ORDER BY c.table_name
        """
    ).fetchall()
    primed = []
    for table, types, nullable in columns:
        if con.execute(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT 1)').fetchall()[0][0]:
            continue
        values = ", ".join(
            "NULL" if ok else _NOT_NULL_VALUES.get(kind, f"CAST(0 AS {kind})")
            for kind, ok in zip(types, nullable, strict=True)
        )
        con.execute(f'INSERT INTO "{table}" VALUES ({values})')
        con.execute(f'DELETE FROM "{table}"')
        primed.append(table)
    return primed
