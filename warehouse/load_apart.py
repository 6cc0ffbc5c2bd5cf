"""Big batches load in a process of their own, with DuckDB held to the load's memory bound.

A load's working tables live until its transaction commits, so a first load of 20,000 pages took
the command to 1.1-1.6 GB. Under a bound DuckDB spills them instead, but DuckDB 1.5.5 corrupted its
heap in a later `ducklake_rewrite_data_files` of a process that had loaded under one (2 of 50 runs
of the bench's upkeep), so a bounded load runs in a process that does nothing else and exits: the
bound never outlives the load, and the command that waits keeps none of the load's memory. The
process dies with the command, as a machine's death would end both. Small batches, a scheduled
run's usual, load in the command's process as before: a process start costs about half a second.

PRESSWATCH_LOAD_APART is the size of a batch's records from which it loads apart (DuckDB's units;
default 64MB: about 8,000 real articles, or 20,000 of the bench's synthetic ones); "0", "none" or
"off" loads every batch in the command.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse.apart import ProcessEnded, call_apart
from warehouse.errors import LoadSettingError
from warehouse.load_memory import size_bytes
from warehouse.staging import StagedBatch

if TYPE_CHECKING:
    from warehouse.loader import LoadResult

LOAD_APART_ENV = "PRESSWATCH_LOAD_APART"
DEFAULT_LOAD_APART = "64MB"

log = logging.getLogger(__name__)


def load_apart_bytes() -> int | None:
    """The records size from which a batch loads in a process of its own, or None for never.

    Raises LoadSettingError naming the variable when its value is not a size."""
    value = os.environ.get(LOAD_APART_ENV, "").strip() or DEFAULT_LOAD_APART
    try:
        return size_bytes(value)
    except ValueError:
        raise LoadSettingError(
            f"{LOAD_APART_ENV}={value!r} is not a size: give one like 64MB, or 0 to load every batch in the command"
        ) from None


def wants_own_process(batches: Sequence[StagedBatch]) -> bool:
    """Whether any of `batches` is big enough to load apart (see the module)."""
    threshold = load_apart_bytes()
    if threshold is None:
        return False
    return any(b.records.exists() and b.records.stat().st_size >= threshold for b in batches)


def load_in_own_process(
    db, staging: Path, loaded: Path, wait: float, batch_ids: list[str], archive, memory: str
) -> list[LoadResult] | None:
    """Load the batches `batch_ids` (in the order they are pending) in a new Python process held to
    `memory`, and give back its results, or raise the named error it raised.

    None when the process ended without an answer (killed, crashed): what it had not committed is
    still staged, and the caller loads it."""
    try:
        return call_apart(
            "warehouse.load_apart:load_these", db, Path(staging), Path(loaded), wait, list(batch_ids), archive, memory
        )
    except ProcessEnded as exc:
        log.warning(
            "the load of %d batch(es) in a process of its own ended with %s and no answer:"
            " loading what it left staged in this process, without a memory bound",
            len(batch_ids),
            exc.how,  # "exit code 1", or "signal 9 (SIGKILL)"
        )
        return None


def load_these(
    db, staging: Path, loaded: Path, wait: float, batch_ids: list[str], archive, memory: str
) -> list[LoadResult]:
    """In the load's own process: load_pending_here for the batches `batch_ids` only."""
    from warehouse.loader import load_pending_here

    ids = set(batch_ids)
    return load_pending_here(db, staging, loaded, wait, lambda batch: batch.batch_id in ids, archive, memory)
