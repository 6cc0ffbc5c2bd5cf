"""Bringing the clusters up to date for a batch's articles (inside the loader's transaction), or rebuilding them."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np

from warehouse.clusters.matching import MAX_BUCKET, THRESHOLD, link, recluster
from warehouse.clusters.neighbours import NEIGHBOURS
from warehouse.clusters.signatures import (
    BANDS,
    CHAR_SHINGLE,
    DTYPE,
    NUM_PERM,
    ROWS,
    SEED,
    WORD_SHINGLE,
    band_keys,
    sign_rows,
    to_blob,
)
from warehouse.clusters.tables import string_rows, strings

# Signing runs in worker processes only for big rebuilds: a batch's few articles are faster here.
PARALLEL_FROM = 20000
MAX_WORKERS = 8
CHUNK = 2000
NEW_BANDS = "pw_story_new_article_bands"  # the bands signed by an update, until link() has used them
LIVE_GIVEN = "pw_story_live_given"  # the live versions of the articles an update was given
_STALE = "pw_story_stale"  # the articles whose signature, bands and edges an update removed
_LIVE = "valid_to IS NULL AND change_kind <> 'deleted'"
METHOD = (
    f"minhash-v1 datasketch={version('datasketch')} hash=crc32 perm={NUM_PERM} seed={SEED} dtype={DTYPE} "
    f"words={WORD_SHINGLE} chars={CHAR_SHINGLE} bands={BANDS}x{ROWS} threshold={THRESHOLD} max_bucket={MAX_BUCKET}"
)


@dataclass
class ClusterRefresh:
    """What one refresh did."""

    full: bool
    hashed: int = 0  # articles (re)signed
    removed: int = 0  # articles dropped: deleted, or changed and re-signed
    edges: int = 0  # near-duplicate pairs added
    clusters: int = 0  # clusters written (in the touched part of the graph)
    members: int = 0  # their members


def refresh_clusters(
    con,
    article_ids: list[str] | None = None,
    presigned: dict | None = None,
    scan_threads: int | None = None,
    neighbours: bool = False,
    live: str | None = None,
) -> ClusterRefresh:
    """Bring story clusters up to date for these articles, or for all of them (None).

    Give the ids of a batch's new, edited, retitled, re-extracted, deleted and restored articles;
    unchanged ones cost one lookup. Runs in the caller's transaction (the loader's); `scan_threads`:
    DuckDB's threads for the one statement that reads every band (link); `neighbours`: NEIGHBOURS
    holds the bands in the presigned articles' buckets (neighbours.settle), so that statement reads
    those instead when every target was presigned; `live`: a query of the given articles' live
    versions (article_id, source, content_hash) when the caller knows them (the loader: the ones it
    has just written), instead of a read of article_versions by article id. A warehouse
    whose clusters were built with other settings, or never, is rebuilt in full whatever the ids.
    """
    built = con.execute("SELECT method FROM story_settings").fetchall()
    full = article_ids is None or not built or built[0][0] != METHOD
    result = ClusterRefresh(full=full)
    try:
        if full:
            _clear(con)
            _live_targets(con, None)
        else:
            if not article_ids:
                return result
            result.removed = _drop_stale(con, sorted(set(article_ids)), live)
        # An update's targets' bands are kept apart as they are signed: finding them again in
        # story_bands read every row's article_id (1.5 s of a load at 10 million versions).
        signed_bands = "story_bands" if full else NEW_BANDS
        result.hashed, unsigned = _sign(con, presigned or {}, signed_bands)
        # The bands read before the lock, less those this transaction removed (_drop_stale)
        others = None
        if neighbours and not full and not unsigned:
            others = f"SELECT * FROM {NEIGHBOURS} WHERE article_id NOT IN (SELECT article_id FROM {_STALE})"
        result.edges = link(con, signed_bands, scan_threads, others)
        result.clusters, result.members = recluster(con, full)
        con.execute("DELETE FROM story_settings")
        con.execute("INSERT INTO story_settings (method, built_at) VALUES (?, now()::TIMESTAMP)", [METHOD])
    finally:
        for name in (
            "pw_story_ids",
            LIVE_GIVEN,
            "pw_story_targets",
            "pw_story_seeds",
            _STALE,
            "pw_story_nodes",
            NEW_BANDS,
        ):
            con.execute(f"DROP TABLE IF EXISTS temp.{name}")
    return result


def _clear(con) -> None:
    for table in ("story_signatures", "story_bands", "story_edges", "story_members"):
        con.execute(f"DELETE FROM {table}")


def _live_targets(con, live_table: str | None) -> None:
    """pw_story_targets: live articles (those of live_table, or all) whose signature is missing or
    stale, without their texts: those signed before the lock need none (_sign reads the others')."""
    live = live_table or f"(SELECT article_id, source, content_hash FROM article_versions WHERE {_LIVE})"
    con.execute(
        f"""
        CREATE TEMP TABLE pw_story_targets AS
        SELECT v.article_id, v.source, v.content_hash, NULL::VARCHAR AS title, NULL::VARCHAR AS text
        FROM {live} v
        ANTI JOIN story_signatures s ON s.article_id = v.article_id AND s.content_hash IS NOT DISTINCT FROM v.content_hash
        """
    )


def _drop_stale(con, ids: list[str], live: str | None = None) -> int:
    """Forget what the given articles were (signature, bands, edges); returns how many had one."""
    con.register("pw_story_given", {"article_id": strings(ids)})
    try:
        con.execute("CREATE TEMP TABLE pw_story_ids AS SELECT DISTINCT article_id FROM pw_story_given")
    finally:
        con.unregister("pw_story_given")
    # The given articles' live versions, for both the targets and the seeds: from the caller when
    # it knows them, else read once (a read of article_versions by article id scans every article
    # id: 0.6-1.8 s at ten million versions).
    live = live or f"SELECT article_id, source, content_hash FROM article_versions WHERE {_LIVE}"
    con.execute(
        f"""
        CREATE TEMP TABLE {LIVE_GIVEN} AS
        SELECT v.article_id, v.source, v.content_hash FROM ({live}) v
        SEMI JOIN pw_story_ids i ON i.article_id = v.article_id
        """
    )
    _live_targets(con, LIVE_GIVEN)
    # Seeds: the given articles that changed or went away; their old clusters must be redone.
    con.execute(
        f"""
        CREATE TEMP TABLE pw_story_seeds AS
        SELECT s.article_id FROM story_signatures s SEMI JOIN pw_story_ids i ON i.article_id = s.article_id
        WHERE s.article_id IN (SELECT article_id FROM pw_story_targets)
           OR s.article_id NOT IN (SELECT article_id FROM {LIVE_GIVEN})
        UNION
        SELECT article_id FROM pw_story_targets
        """
    )
    con.execute(f"CREATE TEMP TABLE {_STALE} AS SELECT article_id FROM pw_story_seeds")
    stale = f"SELECT article_id FROM {_STALE}"
    removed = con.execute(f"SELECT count(*) FROM story_signatures WHERE article_id IN ({stale})").fetchall()[0][0]
    if removed:  # bands and edges are written with a signature: none of these has any (new articles)
        con.execute(f"DELETE FROM story_signatures WHERE article_id IN ({stale})")
        con.execute(f"DELETE FROM story_bands WHERE article_id IN ({stale})")
        con.execute(f"DELETE FROM story_edges WHERE a IN ({stale}) OR b IN ({stale})")
    # Their old cluster mates join the seeds: they keep their edges, but not their cluster.
    con.execute(
        """
        INSERT INTO pw_story_seeds
        SELECT m.article_id FROM story_members m
        WHERE m.cluster_id IN (SELECT cluster_id FROM story_members WHERE article_id IN (SELECT article_id FROM pw_story_seeds))
          AND m.article_id NOT IN (SELECT article_id FROM pw_story_seeds)
        """
    )
    return int(removed)


def _sign(con, presigned: dict, bands_table: str) -> tuple[int, int]:
    """Signatures and bands for every article in pw_story_targets, written a chunk at a time so
    that memory stays flat however big the batch or the rebuild; the bands go to `bands_table`
    (NEW_BANDS: a temporary table, copied into story_bands at the end). Returns how many were
    signed, and how many of those had no signature from before the lock."""
    targets = con.execute(
        "SELECT article_id, source, content_hash FROM pw_story_targets ORDER BY article_id"
    ).fetchall()
    unsigned = sum(1 for row in targets if row[2] not in presigned)
    if unsigned > CHUNK:  # a rebuild: every text read in one pass, not a lookup per chunk
        _keep_texts(con)
    workers = min(len(os.sched_getaffinity(0)), MAX_WORKERS) if unsigned >= PARALLEL_FROM else 1
    if bands_table == NEW_BANDS:
        con.execute(f"CREATE TEMP TABLE {NEW_BANDS} (band SMALLINT, bucket BIGINT, article_id VARCHAR, source VARCHAR)")
    hashed = 0
    for signed in _sign_chunks(con, targets, workers, presigned):
        hashed += _insert_signed(con, signed, bands_table)
    if bands_table == NEW_BANDS:
        con.execute(f"INSERT INTO story_bands (band, bucket, article_id, source) SELECT * FROM {NEW_BANDS}")
    return hashed, unsigned


def _insert_signed(con, signed: list[tuple], bands_table: str) -> int:
    """Write one chunk of (article_id, source, content_hash, kind, signature) rows and their bands."""
    if not signed:
        return 0
    ids, sources, hashes, kinds, sigs = zip(*signed)
    matrix = np.vstack(sigs).astype(DTYPE)
    rows = np.arange(len(ids), dtype=np.int32)
    string_rows(
        con,
        "pw_story_new",
        {
            "article_id": list(ids),
            "source": list(sources),
            "content_hash": [h or "" for h in hashes],
            "shingles": list(kinds),
            "signature": [to_blob(row) for row in matrix],
        },
    )
    keys = band_keys(matrix)
    # Bands point at their article by row number: repeating the id strings BANDS times cost more
    # memory than the rest of a load.
    con.register(
        "pw_story_new_bands",
        {
            "band": np.tile(np.arange(BANDS, dtype=np.int16), len(ids)),
            "bucket": keys.reshape(-1),
            "row": np.repeat(rows, BANDS),
        },
    )
    try:
        con.execute(
            "INSERT INTO story_signatures (article_id, source, content_hash, shingles, signature) SELECT article_id, source, "
            "nullif(content_hash, ''), shingles, unhex(signature) FROM pw_story_new"
        )
        con.execute(
            f"INSERT INTO {bands_table} (band, bucket, article_id, source) SELECT b.band, b.bucket, n.article_id, n.source "
            "FROM pw_story_new_bands b JOIN pw_story_new n ON n.row = b.row"
        )
    finally:
        con.execute("DROP TABLE IF EXISTS temp.pw_story_new")
        con.unregister("pw_story_new_bands")
    return len(ids)


def _keep_texts(con) -> None:
    """The targets' titles and texts, read into pw_story_targets at once."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE pw_story_targets AS
        SELECT t.article_id, t.source, t.content_hash, v.title, v.text
        FROM pw_story_targets t JOIN article_versions v ON v.article_id = t.article_id AND v.valid_to IS NULL
        """
    )


def _texts(con, ids: list[str]) -> list[tuple]:
    """(article_id, source, content_hash, title, text) of these targets."""
    return con.execute(
        """
        SELECT t.article_id, t.source, t.content_hash, coalesce(t.title, v.title), coalesce(t.text, v.text)
        FROM pw_story_targets t
        LEFT JOIN article_versions v ON v.article_id = t.article_id AND v.valid_to IS NULL AND t.text IS NULL
        WHERE t.article_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY t.article_id
        """,
        [ids],
    ).fetchall()


def _sign_chunks(con, targets: list[tuple], workers: int, presigned: dict):
    """Signed chunks of `targets`; only texts without a signature from before the lock are read and
    signed, and a full rebuild of a big warehouse spreads them over processes."""
    pool = None
    pending: deque = deque()
    try:
        for start in range(0, len(targets), CHUNK):
            chunk = targets[start : start + CHUNK]
            known = [(a, s, h, *presigned[h]) for a, s, h in chunk if h in presigned]
            if known:
                yield known
            unsigned = [a for a, _, h in chunk if h not in presigned]
            if not unsigned:
                continue
            rows = _texts(con, unsigned)
            if workers <= 1:
                yield sign_rows(rows)
                continue
            if pool is None:
                # spawn, not fork: the caller's process runs DuckDB threads, which a fork would copy mid-flight.
                pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            pending.append(pool.submit(sign_rows, rows))
            if len(pending) >= 2 * workers:  # bounded: texts stay in memory a few chunks at a time
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
