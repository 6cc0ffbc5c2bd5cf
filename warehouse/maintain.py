"""Upkeep of the DuckLake: every load adds a snapshot and small files; this folds them back.

In order: inlined rows are flushed to Parquet, snapshots older than the retention expire (time
travel reaches back that far; `as_of()` and every version stay, they are rows, not snapshots),
small adjacent files are merged, files with many deleted rows are rewritten, and files no snapshot
references any more are deleted once they are older than the grace (a reader's transaction that
started before them may still be reading them). Runs under the write lock, so it never races a
load; readers are never blocked.

DuckDB 1.5.5's DuckLake crashes its process now and then during upkeep (`ducklake_flush_inlined_data`:
about one run in a hundred to two hundred, as a segmentation fault or glibc's "corrupted size"
abort; or, with the process still alive, as a commit that fails on a garbled statement), so the
upkeep runs in a process of its own (warehouse/apart.py), and an attempt that dies or fails so is
followed by another, up to three: each step commits on its own or not at all, and what a failed
step wrote and never committed is an unreferenced file that a later cleanup deletes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import timedelta

import duckdb

from warehouse.apart import ProcessEnded, call_apart
from warehouse.db import ALIAS, connect
from warehouse.errors import WarehouseError

DEFAULT_RETENTION = timedelta(days=30)
DEFAULT_GRACE = timedelta(hours=6)
ATTEMPTS = 3

log = logging.getLogger(__name__)


class UpkeepCrashed(WarehouseError):
    """Every attempt at the upkeep died or failed its commit (DuckDB's bug); the warehouse is as its
    last commit left it."""


@dataclass
class LakeFiles:
    """The shape of the lake at one moment."""

    snapshots: int
    data_files: int
    delete_files: int
    bytes: int
    scheduled_for_deletion: int


@dataclass
class Upkeep:
    before: LakeFiles
    after: LakeFiles
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def lake_files(con) -> LakeFiles:
    meta = f"__ducklake_metadata_{ALIAS}"
    snapshots = con.execute(f"SELECT count(*) FROM {meta}.ducklake_snapshot").fetchall()[0][0]
    data, size = con.execute(
        f"SELECT count(*), coalesce(sum(file_size_bytes), 0) FROM {meta}.ducklake_data_file WHERE end_snapshot IS NULL"
    ).fetchall()[0]
    deletes = con.execute(f"SELECT count(*) FROM {meta}.ducklake_delete_file WHERE end_snapshot IS NULL").fetchall()[0][
        0
    ]
    scheduled = con.execute(f"SELECT count(*) FROM {meta}.ducklake_files_scheduled_for_deletion").fetchall()[0][0]
    return LakeFiles(int(snapshots), int(data), int(deletes), int(size), int(scheduled))


def _interval(delta: timedelta) -> str:
    return f"INTERVAL '{int(delta.total_seconds())} seconds'"


def maintain(
    db,
    retention: timedelta = DEFAULT_RETENTION,
    grace: timedelta = DEFAULT_GRACE,
    rewrite_threshold: float = 0.0,
    wait: float = 60.0,
) -> Upkeep:
    """Flush, expire, merge, rewrite and clean up, in a process of its own (see the module); returns
    the lake's shape before and after. Raises UpkeepCrashed when every attempt died or failed its commit."""
    started = time.monotonic()
    for attempt in range(1, ATTEMPTS + 1):
        try:
            upkeep = call_apart("warehouse.maintain:maintain_here", db, retention, grace, rewrite_threshold, wait)
            break
        except (ProcessEnded, duckdb.TransactionException) as exc:
            what = _failure(exc)
            if attempt == ATTEMPTS:
                raise UpkeepCrashed(
                    f"maintain of {db} failed {ATTEMPTS} times, the last: {what}; the warehouse is as its"
                    " last committed step left it: run maintain again"
                ) from None
            log.warning("maintain of %s: %s; running it once more", db, what)
    return Upkeep(upkeep.before, upkeep.after, round(time.monotonic() - started, 3))


def _failure(exc: Exception) -> str:
    """What ended an attempt: its process's death, or DuckLake's failed commit (the same bug, seen
    as a garbled statement: 'Failed to flush changes into DuckLake: syntax error ...')."""
    if isinstance(exc, ProcessEnded):
        return f"its process died ({exc})"
    return f"its commit failed ({' '.join(str(exc).split())[:300]})"


def maintain_here(db, retention: timedelta, grace: timedelta, rewrite_threshold: float, wait: float) -> Upkeep:
    """maintain's steps, in this process (maintain runs it apart with its arguments)."""
    started = time.monotonic()
    with connect(db, wait=wait, create=False) as con:
        before = lake_files(con)
        con.execute(f"CALL ducklake_flush_inlined_data('{ALIAS}')")
        con.execute(f"CALL ducklake_expire_snapshots('{ALIAS}', older_than => now() - {_interval(retention)})")
        # Files with deleted rows (UPDATE writes delete files) are not merged: rewrite them first.
        con.execute(f"CALL ducklake_rewrite_data_files('{ALIAS}', delete_threshold => {rewrite_threshold})")
        con.execute(f"CALL ducklake_merge_adjacent_files('{ALIAS}')")
        # Expiring leaves the files it frees scheduled; merging schedules the files it replaced.
        con.execute(f"CALL ducklake_expire_snapshots('{ALIAS}', older_than => now() - {_interval(retention)})")
        con.execute(f"CALL ducklake_cleanup_old_files('{ALIAS}', older_than => now() - {_interval(grace)})")
        con.execute(f"CALL ducklake_delete_orphaned_files('{ALIAS}', older_than => now() - {_interval(grace)})")
        after = lake_files(con)
    return Upkeep(before, after, round(time.monotonic() - started, 3))
