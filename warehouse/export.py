"""Export the warehouse as files any engine reads: Hive-partitioned Parquet (or CSV).

`article_versions` goes to DIR/article_versions/source=NAME/month=YYYY-MM/ (month of valid_from),
so Spark, Trino, Polars or DuckDB prune by source and month; every other table is one file,
DIR/<table>.parquet. Read it back with

    SELECT * FROM read_parquet('DIR/article_versions/**/*.parquet', hive_partitioning = true);
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from warehouse.db import connect
from warehouse.errors import WarehouseError

FORMATS = {"parquet": "(FORMAT parquet, COMPRESSION zstd)", "csv": "(FORMAT csv, HEADER true)"}
PARTITIONED = "article_versions"
# Derived indexes of the story clusters: rebuilt from article_versions, useless elsewhere.
SKIPPED = {"story_signatures", "story_bands"}


class ExportError(WarehouseError):
    """The export target cannot be written."""


@dataclass
class ExportResult:
    """Where the export went and how many rows each table had."""

    path: Path
    format: str
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0


def export_warehouse(db, target, fmt: str = "parquet", overwrite: bool = False, wait: float = 5.0) -> ExportResult:
    """Write every table under `target`: article_versions partitioned by source and month, the rest whole."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target} is a file: give a folder to export into")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ExportError(f"{target} is not empty: choose an empty folder or pass --overwrite")
    target.mkdir(parents=True, exist_ok=True)
    result = ExportResult(target, fmt)
    options = FORMATS[fmt]
    with connect(db, read_only=True, wait=wait) as con:
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' AND NOT temporary ORDER BY table_name"
        ).fetchall()]
        for table in tables:
            if table in SKIPPED:
                continue
            if table == PARTITIONED:
                query = f"SELECT *, strftime(valid_from, '%Y-%m') AS month FROM {table}"
                where = _quote(target / table)
                partitioned = options[:-1] + ", PARTITION_BY (source, month)" + (", OVERWRITE true)" if overwrite else ")")
                con.execute(f"COPY ({query}) TO {where} {partitioned}").fetchall()
            else:
                where = _quote(target / f"{table}.{fmt}")
                con.execute(f"COPY {table} TO {where} {options}").fetchall()
            result.tables[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    result.files = sum(1 for p in target.rglob(f"*.{fmt}") if p.is_file())
    return result


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
