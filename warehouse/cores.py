"""How many cores presswatch may use: PRESSWATCH_CORES, else the cores this process may run on.

Set PRESSWATCH_CORES when presswatch shares a machine (the test suite's workers share theirs): it
sizes the extraction workers and caps DuckDB's threads in each process.
"""

from __future__ import annotations

import os


def cores_setting() -> int | None:
    """PRESSWATCH_CORES as a number of cores (at least 1), or None when it is unset or not a number."""
    try:
        return max(1, int(os.environ["PRESSWATCH_CORES"]))
    except (KeyError, ValueError):
        return None


def available_cores() -> int:
    """The cores presswatch may use."""
    return cores_setting() or max(1, len(os.sched_getaffinity(0)))
