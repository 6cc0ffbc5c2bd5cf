"""How much memory DuckDB may hold during a big load before it spills the load's working tables to disk.

A load's temp tables (the staged records, the decisions, the index's new lines) live until its
transaction ends, so a first load of 20,000 pages held 1.1-1.6 GB. Under `memory_limit` DuckDB writes
them to its spill folder instead (warehouse/db.py gives each process its own). PRESSWATCH_LOAD_MEMORY
sets the bound in DuckDB's units (default 320MB); "0" or "none" loads without one. The bound holds
only in a process that loads big batches and exits (warehouse/load_apart.py): with one, DuckDB 1.5.5
corrupted its heap in a later `ducklake_rewrite_data_files` of the same process in 2 of 50 runs of
the bench's upkeep (loads, then `maintain`), and never in 102 runs without (though `maintain`
was later seen crashing ~1 % of runs with no bound at all: docs/operations.md). A batch that does not
fit is loaded again without the bound, so a bound never keeps a batch out of the warehouse.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from warehouse.errors import LoadSettingError

LOAD_MEMORY_ENV = "PRESSWATCH_LOAD_MEMORY"
DEFAULT_LOAD_MEMORY = "320MB"
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|KIB|MB|MIB|GB|GIB|TB|TIB)\s*$", re.IGNORECASE)
_UNIT = {
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}
_UNBOUNDED = {"0", "none", "off"}


def size_bytes(value: str) -> int | None:
    """A size in DuckDB's units ("64MB", "1GiB") in bytes, or None for "0", "none" or "off".

    Raises ValueError when `value` is neither."""
    if value.strip().lower() in _UNBOUNDED:
        return None
    match = _SIZE.match(value)
    if not match:
        raise ValueError(value)
    return int(float(match.group(1)) * _UNIT[match.group(2).upper()])


def load_memory_limit() -> str | None:
    """The bound PRESSWATCH_LOAD_MEMORY asks for, or None for no bound.

    Raises LoadSettingError naming the variable when its value is not a size."""
    value = os.environ.get(LOAD_MEMORY_ENV, "").strip() or DEFAULT_LOAD_MEMORY
    if value.lower() in _UNBOUNDED:
        return None
    if not _SIZE.match(value):
        raise LoadSettingError(
            f"{LOAD_MEMORY_ENV}={value!r} is not a size: give one like 320MB or 1GB, or 0 for no bound"
        )
    return value.replace(" ", "")


@contextmanager
def memory_bound(con: duckdb.DuckDBPyConnection, limit: str | None) -> Iterator[bool]:
    """Hold DuckDB's instance to `limit` inside the block (yields whether it is bounded), then give
    the instance its own setting back: readers of the same process share it."""
    if limit is None:
        yield False
        return
    (previous,) = con.execute("SELECT current_setting('memory_limit')").fetchall()[0]
    try:
        con.execute(f"SET memory_limit = '{limit}'")
    except duckdb.Error:  # more than the bound is in use already and cannot be evicted: load unbounded
        yield False
        return
    try:
        yield True
    finally:
        con.execute(f"SET memory_limit = '{previous}'")
