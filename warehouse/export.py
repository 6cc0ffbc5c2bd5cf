"""Export the warehouse as files any engine reads: Hive-partitioned Parquet (or CSV).

`article_versions` goes to DIR/article_versions/source=NAME/month=YYYY-MM/ (month of valid_from),
so Spark, Trino, Polars or DuckDB prune by source and month; every other table is one file,
DIR/<table>.parquet. DIR/presswatch-export.json lists what was written. Read it back with

    SELECT * FROM read_parquet('DIR/article_versions/**/*.parquet', hive_partitioning = true);
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.db import connect
from warehouse.errors import WarehouseError

FORMATS = {"parquet": "(FORMAT parquet, COMPRESSION zstd)", "csv": "(FORMAT csv, HEADER true)"}
PARTITIONED = "article_versions"
# Derived indexes of the story clusters: rebuilt from article_versions, useless elsewhere.
SKIPPED = {"story_signatures", "story_bands"}
# What an export wrote, relative to its folder: --overwrite removes exactly these first, so a CSV
# export over a Parquet one leaves no stale .parquet files behind.
MANIFEST = "presswatch-export.json"


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
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                "AND schema_name = 'main' AND NOT temporary ORDER BY table_name"
            ).fetchall()
        ]
        if overwrite:
            _remove_earlier_export(target, tables)
        for table in tables:
            if table in SKIPPED:
                continue
            if table == PARTITIONED:
                query = f"SELECT *, strftime(valid_from, '%Y-%m') AS month FROM {table}"
                where = _quote(target / table)
                partitioned = options[:-1] + ", PARTITION_BY (source, month))"
                con.execute(f"COPY ({query}) TO {where} {partitioned}").fetchall()
            else:
                where = _quote(target / f"{table}.{fmt}")
                con.execute(f"COPY {table} TO {where} {options}").fetchall()
            result.tables[table] = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    written = sorted(
        [f"{t}.{fmt}" for t in result.tables if t != PARTITIONED]
        + [p.relative_to(target).as_posix() for p in (target / PARTITIONED).rglob(f"*.{fmt}") if p.is_file()]
    )
    result.files = len(written)
    manifest = {"format": fmt, "tables": result.tables, "files": written}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return result


def _remove_earlier_export(target: Path, tables: list[str]) -> None:
    """Delete what an earlier export wrote into `target` (its manifest's files, else the file names an
    export uses), and nothing else of the folder."""
    earlier: list[str] = []
    manifest = target / MANIFEST
    if manifest.is_file():
        try:
            earlier = [str(name) for name in json.loads(manifest.read_text(encoding="utf-8")).get("files", [])]
        except (ValueError, AttributeError, OSError):
            earlier = []
    earlier += [f"{table}.{ext}" for table in tables for ext in FORMATS]  # exports made before the manifest
    root = target.resolve()
    for name in earlier:
        path = (target / name).resolve()
        if path.is_relative_to(root) and path.is_file():
            path.unlink()
    partitions = target / PARTITIONED
    if partitions.is_dir() and not partitions.is_symlink():
        shutil.rmtree(partitions)
    manifest.unlink(missing_ok=True)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
