"""The bands that share a bucket with a batch's articles, read before the load lock.

Finding a batch's near-duplicate candidates reads the bucket of every band in the warehouse
(story_bands is not laid out by bucket), however few the batch's articles: at ten million versions
that one read is 2.6-3.7 s of a 100-article load. The loader reads those bands before it takes the
lock, at one snapshot, and inside the lock brings them up to date from DuckLake's change feed (the
bands other loads inserted and deleted since), which costs what those loads wrote, not the archive.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from warehouse.changes import current_snapshot
from warehouse.clusters.signatures import BANDS, DTYPE, band_keys
from warehouse.db import connect, rollback
from warehouse.errors import WarehouseError
from warehouse.location import ALIAS, _quote

log = logging.getLogger(__name__)

NEIGHBOURS = "pw_story_neighbours"  # story_bands' rows in the batch's buckets, as the load's transaction begins
# What a snapshot between the read and the lock may have done for the change feed to say it all:
# rows added and removed. A compaction, a schema change or anything else sends link back to story_bands.
_FEED_SAYS_ALL = {"tables_inserted_into", "tables_deleted_from", "inlined_insert", "inlined_delete"}
_KEYS = "pw_story_neighbour_keys"


@dataclass
class Neighbours:
    """story_bands' rows (row_id, band, bucket, article_id, source) in the buckets of a batch's
    signatures as of `snapshot`, in the Parquet file `path`; `keys`: those buckets (band, bucket)."""

    snapshot: int
    keys: dict[str, np.ndarray]
    path: Path


def read_neighbours(db, presigned: dict, folder: Path) -> Neighbours | None:
    """The bands in the buckets of `presigned`'s signatures (presign's result), from a read-only
    snapshot, written to a file in `folder` (the batch's scratch folder before the lock); None when
    there is nothing to look up or no warehouse to read yet."""
    if not presigned:
        return None
    matrix = np.vstack([sig for _, sig in presigned.values()]).astype(DTYPE)
    keys = {"band": np.tile(np.arange(BANDS, dtype=np.int16), len(matrix)), "bucket": band_keys(matrix).reshape(-1)}
    path = folder / "neighbour_bands.parquet"
    try:
        with connect(db, read_only=True, wait=30.0) as con:
            snapshot = current_snapshot(con)
            con.register(_KEYS, keys)
            try:
                con.execute(
                    f"""
                    COPY (
                        SELECT b.rowid AS row_id, b.band, b.bucket, b.article_id, b.source
                        FROM story_bands b AT (VERSION => {int(snapshot)})
                        SEMI JOIN {_KEYS} k ON k.band = b.band AND k.bucket = b.bucket
                    ) TO {_quote(str(path))} (FORMAT parquet)
                    """
                )
            finally:
                con.unregister(_KEYS)
    except (WarehouseError, duckdb.Error) as exc:  # no warehouse yet, or none to read: link reads story_bands
        log.debug("bands not read before the lock: %s", exc)
        return None
    return Neighbours(snapshot, keys, path)


def settle(con, neighbours: Neighbours | None) -> bool:
    """NEIGHBOURS from `neighbours` and the changes committed since it was read; call it holding the
    write lock, before the load's transaction begins (DuckLake's change feed inside a transaction
    that wrote to the table shows that transaction's rows instead). False when the feed cannot
    say what changed (snapshots expired by `maintain`, or compacted or altered since)."""
    if neighbours is None:
        return False
    con.register(_KEYS, neighbours.keys)
    con.execute("BEGIN TRANSACTION")  # one commit of the attached lake for these statements, not one each
    try:
        settled = _settle(con, neighbours.snapshot, f"read_parquet({_quote(str(neighbours.path))})")
        con.execute("COMMIT")
    except duckdb.Error as exc:  # the feed could not be read: link reads story_bands as before
        log.debug("bands read before the lock not brought up to date: %s", exc)
        rollback(con)
        settled = False
    finally:
        con.unregister(_KEYS)
    return settled


def _settle(con, snapshot: int, read: str) -> bool:
    now = current_snapshot(con)
    since = snapshot + 1
    if now < snapshot or (now > snapshot and not _feed_says_all(con, since, now)):
        return False  # (an older snapshot now: the catalog was replaced meanwhile)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {NEIGHBOURS} (band SMALLINT, bucket BIGINT, article_id VARCHAR, source VARCHAR)"
    )
    if now == snapshot:
        con.execute(f"INSERT INTO {NEIGHBOURS} SELECT band, bucket, article_id, source FROM {read}")
        return True
    con.execute(
        f"""
        INSERT INTO {NEIGHBOURS}
        WITH changed AS MATERIALIZED (
            SELECT rowid AS row_id, change_type, band, bucket, article_id, source
            FROM {ALIAS}.table_changes('story_bands', {since}, {now})
        ), gone AS (SELECT row_id FROM changed WHERE change_type = 'delete')
        SELECT band, bucket, article_id, source FROM {read}
        WHERE row_id NOT IN (SELECT row_id FROM gone)
        UNION ALL
        SELECT c.band, c.bucket, c.article_id, c.source FROM changed c
        SEMI JOIN {_KEYS} k ON k.band = c.band AND k.bucket = c.bucket
        WHERE c.change_type = 'insert' AND c.row_id NOT IN (SELECT row_id FROM gone)
        """
    )
    return True


def _feed_says_all(con, since: int, now: int) -> bool:
    """Whether every snapshot from `since` to `now` is still there and only added or removed rows."""
    kept, kinds = con.execute(
        f"""
        SELECT count(DISTINCT snapshot_id), list_distinct(flatten(list(map_keys(changes))))
        FROM {ALIAS}.snapshots() WHERE snapshot_id BETWEEN ? AND ?
        """,
        [since, now],
    ).fetchone()
    return kept == now - since + 1 and set(kinds or []) <= _FEED_SAYS_ALL
