"""How much memory a load's DuckDB may hold; the rest spills to disk (connection_config's folder).

Without a bound, DuckDB keeps up to 80 % of the machine's memory in its buffers, and a load's
grows with its batch: 1.6 GB for a first crawl of 20,000 real pages, in the process that also
waits for the crawls. PRESSWATCH_LOAD_MEMORY sets it (`512MB`, `2GB`); the default is 128 MB per
DuckDB thread, 256 MB at least (DuckDB's own floor for operators that spill).
"""

from __future__ import annotations

import os
import re

from warehouse.errors import LocationError

LOAD_MEMORY_ENV = "PRESSWATCH_LOAD_MEMORY"
PER_THREAD_MB = 128
FLOOR_MB = 256
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


class LoadMemoryInvalid(LocationError):
    """PRESSWATCH_LOAD_MEMORY is not a memory size."""


def load_memory_limit(threads: int) -> str:
    """The memory limit of a load on `threads` DuckDB threads: PRESSWATCH_LOAD_MEMORY, else the default."""
    given = os.environ.get(LOAD_MEMORY_ENV, "").strip()
    if not given:
        return f"{max(FLOOR_MB, PER_THREAD_MB * max(1, threads))}MB"
    if not _SIZE.match(given):
        raise LoadMemoryInvalid(
            f"{LOAD_MEMORY_ENV}={given!r} is not a memory size: give a number and a unit, e.g. 512MB or 2GB"
        )
    return given.replace(" ", "")


def bound_memory(con) -> None:
    """Hold DuckDB's buffers to the load's limit until `unbound_memory` (the setting is the instance's,
    and this process's readers share it)."""
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    con.execute(f"SET memory_limit = '{load_memory_limit(int(threads))}'")


def unbound_memory(con) -> None:
    """DuckDB's own limit again (presswatch sets none elsewhere)."""
    con.execute("RESET memory_limit")
