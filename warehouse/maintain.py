"""Upkeep of the DuckLake: every load adds a snapshot and small files; this folds them back.

In order: inlined rows are flushed to Parquet, snapshots older than the retention expire (time
travel reaches back that far; `as_of()` and every version stay, they are rows, not snapshots),
small adjacent files are merged, files with many deleted rows are rewritten, and files no snapshot
references any more are deleted once they are older than the grace (a reader's transaction that
started before them may still be reading them). Runs under the write lock, so it never races a
load; readers are never blocked.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import timedelta

from warehouse.db import ALIAS, connect

DEFAULT_RETENTION = timedelta(days=30)
DEFAULT_GRACE = timedelta(hours=6)


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
    """Flush, expire, merge, rewrite and clean up; returns the lake's shape before and after."""
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
