"""Republished stories: near-duplicate articles across outlets, kept up to date batch by batch.

1. Each live article gets a MinHash signature (datasketch) of its text without the headline:
   word 5-shingles, or character 3-grams when the text is mostly Chinese, Japanese or Korean.
2. The signature is cut into LSH bands, b bands of r values as datasketch's MinHashLSH chooses
   them for CANDIDATE_THRESHOLD, and the bands are stored in `story_bands`. An in-memory
   MinHashLSH would have to be rebuilt over the whole warehouse for every batch; the stored
   bands let a batch's articles find their candidates with one join.
3. Candidates from different sources whose estimated Jaccard similarity reaches THRESHOLD
   become `story_edges`.
4. Connected components of two articles or more are the clusters in `story_members`; a cluster
   is named after its earliest member (published_at, else first seen) and every member carries
   its similarity to that member.

`refresh_clusters` runs inside the caller's transaction (the loader's, for a batch) and redoes
only the components the given articles touch; with None it rebuilds everything.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import zlib
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
from datasketch import MinHash, MinHashLSH

from warehouse.cjk import CJK_CHAR
from warehouse.db import connect, location
from warehouse.errors import WarehouseError
from warehouse.trends import Rows

NUM_PERM = 128
SEED = 1
WORD_SHINGLE = 5
CHAR_SHINGLE = 3
# Reprints of one release with a rewritten lead paragraph score about 0.6-0.8; distinct articles
# on the same event score below 0.05 (word 5-shingles are rarely shared by independent writers).
THRESHOLD = 0.5
# Bands are chosen for a lower threshold than the verification step, so that pairs just above
# THRESHOLD are rarely missed (P(candidate | J = 0.5) = 0.87 with 32 bands of 4).
CANDIDATE_THRESHOLD = 0.4
# A band bucket shared by more articles than this is paired through one hub article, not all
# pairs: thousands of identical texts would otherwise make millions of candidate pairs.
MAX_BUCKET = 200
CJK_SHARE = 0.3
# Signing runs in worker processes only for big rebuilds: a batch's few articles are faster here.
PARALLEL_FROM = 20000
MAX_WORKERS = 8
CHUNK = 2000

_WORD = re.compile(r"\w+")
_WORD_CHARS = re.compile(r"[^\W_]")
_NOT_WORD = re.compile(r"[\W_]+")
_LSH = MinHashLSH(threshold=CANDIDATE_THRESHOLD, num_perm=NUM_PERM)
BANDS, ROWS = _LSH.b, _LSH.r
# CRC-32 is stable across processes and runs (signatures are stored) and 6x faster than
# datasketch's default SHA-1; affine32 MinHash mixes its output before permuting.
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=zlib.crc32)
_DTYPE = _TEMPLATE.hashvalues.dtype
# Odd 64-bit multipliers that fold a band's r values into one 64-bit bucket key.
_FOLD = np.random.default_rng(20210208).integers(1, 2**63, size=ROWS, dtype=np.uint64) | np.uint64(1)
METHOD = (
    f"minhash-v1 datasketch={version('datasketch')} hash=crc32 perm={NUM_PERM} seed={SEED} dtype={_DTYPE} "
    f"words={WORD_SHINGLE} chars={CHAR_SHINGLE} bands={BANDS}x{ROWS} threshold={THRESHOLD} max_bucket={MAX_BUCKET}"
)


class ClustersNotBuilt(WarehouseError):
    """The story clusters of this warehouse were never computed."""


@dataclass
class ClusterRefresh:
    """What one refresh did."""

    full: bool
    hashed: int = 0  # articles (re)signed
    removed: int = 0  # articles dropped: deleted, or changed and re-signed
    edges: int = 0  # near-duplicate pairs added
    clusters: int = 0  # clusters written (in the touched part of the graph)
    members: int = 0  # their members


def shingles(title: str | None, text: str | None) -> tuple[str, set[str]]:
    """The kind ('words5' or 'chars3') and the set of shingles of an article's text."""
    body = text or title or ""
    if title and body.startswith(title):
        body = body[len(title) :]  # headlines are rewritten on reprint; the body is the story
    if _is_cjk(body):
        chars = "".join(_NOT_WORD.split(body)).lower()
        n = CHAR_SHINGLE
        return "chars3", {chars[i : i + n] for i in range(max(1, len(chars) - n + 1))} if chars else set()
    words = _WORD.findall(body.lower())
    n = WORD_SHINGLE
    return "words5", {" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))} if words else set()


def signature(grams: set[str]) -> np.ndarray:
    """The MinHash signature of a set of shingles."""
    m = MinHash(num_perm=NUM_PERM, seed=SEED, hashfunc=zlib.crc32, permutations=_TEMPLATE.permutations, **_scheme())
    m.update_batch([g.encode("utf-8") for g in grams])
    return m.hashvalues


def _is_cjk(body: str) -> bool:
    # A sample decides: counting every character of long texts costs more than the MinHash.
    sample = body[:3000]
    letters = len(_WORD_CHARS.findall(sample))
    return letters > 0 and len(CJK_CHAR.findall(sample)) / letters > CJK_SHARE


def band_keys(signatures: np.ndarray) -> np.ndarray:
    """(n, BANDS) signed 64-bit keys, one per band of each signature."""
    bands = signatures[:, : BANDS * ROWS].reshape(len(signatures), BANDS, ROWS).astype(np.uint64)
    with np.errstate(over="ignore"):
        keys = (bands * _FOLD).sum(axis=2, dtype=np.uint64)
        keys ^= keys >> np.uint64(29)
    return keys.view(np.int64)


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of paired signatures (rows of a and b), as MinHash.jaccard."""
    return (a == b).mean(axis=1)


def presign(records) -> dict[str, tuple[str, np.ndarray]]:
    """Signatures of a staged batch's extracted articles, by content hash.

    The loader calls this before it takes the write lock, so the lock is not held while MinHash runs.
    """
    signed: dict[str, tuple[str, np.ndarray]] = {}
    with open(records, encoding="utf-8") as lines:
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a torn line: the loader reports the batch
            content = record.get("content_hash")
            if record.get("outcome") == "article" and content and content not in signed:
                kind, grams = shingles(record.get("title"), record.get("text"))
                if grams:
                    signed[content] = (kind, signature(grams))
    return signed


def refresh_clusters(con, article_ids: list[str] | None = None, presigned: dict | None = None) -> ClusterRefresh:
    """Bring story clusters up to date for these articles, or for all of them (None).

    Give the ids of a batch's new, edited, retitled, re-extracted, deleted and restored articles;
    unchanged ones cost one lookup. Runs in the caller's transaction (the loader's). A warehouse
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
            result.removed = _drop_stale(con, sorted(set(article_ids)))
        result.hashed = _sign(con, presigned or {})
        result.edges = _link(con)
        result.clusters, result.members = _recluster(con, full)
        con.execute("DELETE FROM story_settings")
        con.execute("INSERT INTO story_settings VALUES (?, now()::TIMESTAMP)", [METHOD])
    finally:
        for name in ("pw_story_ids", "pw_story_targets", "pw_story_seeds", "pw_story_nodes"):
            con.execute(f"DROP TABLE IF EXISTS temp.{name}")
    return result


def story_clusters(db, rebuild: bool = False, wait: float = 5.0) -> Rows:
    """Every cluster's members, earliest first; with rebuild, recompute all clusters (one transaction) first."""
    if rebuild:
        with connect(db, wait=wait) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                refresh_clusters(con, None)
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
    with connect(db, read_only=True, wait=wait) as con:
        if not con.execute("SELECT count(*) FROM story_settings").fetchall()[0][0]:
            raise ClustersNotBuilt(
                f"{location(db)}: story clusters were never computed; run `presswatch stories --rebuild`"
            )
        cursor = con.execute(
            """
            SELECT cluster_id, position, source, published_at, similarity, title, canonical_url
            FROM story_clusters
            ORDER BY min(coalesce(published_at, DATE '9999-12-31')) OVER (PARTITION BY cluster_id), cluster_id, position
            """
        )
        return Rows([d[0] for d in cursor.description], cursor.fetchall())


def _scheme() -> dict:
    # datasketch 2 wants the scheme named when permutations are passed in; 1.x has no such option.
    scheme = getattr(_TEMPLATE, "scheme", None)
    return {"scheme": scheme} if scheme else {}


def _strings(values) -> np.ndarray:
    """A numpy unicode array: DuckDB 1.5 scans those natively, but probes for pandas on every object of an object array."""
    return np.array(list(values), dtype=str) if len(values) else np.array([], dtype="<U1")


def _clear(con) -> None:
    for table in ("story_signatures", "story_bands", "story_edges", "story_members"):
        con.execute(f"DELETE FROM {table}")


def _live_targets(con, ids_table: str | None) -> None:
    """pw_story_targets: live articles (of ids_table, or all) whose signature is missing or stale."""
    among = f"SEMI JOIN {ids_table} i ON i.article_id = v.article_id" if ids_table else ""
    con.execute(
        f"""
        CREATE TEMP TABLE pw_story_targets AS
        SELECT v.article_id, v.source, v.content_hash, v.title, v.text
        FROM article_versions v {among}
        ANTI JOIN story_signatures s ON s.article_id = v.article_id AND s.content_hash IS NOT DISTINCT FROM v.content_hash
        WHERE v.valid_to IS NULL AND v.change_kind <> 'deleted'
        """
    )


def _drop_stale(con, ids: list[str]) -> int:
    """Forget what the given articles were (signature, bands, edges); returns how many had one."""
    con.register("pw_story_given", {"article_id": _strings(ids)})
    try:
        con.execute("CREATE TEMP TABLE pw_story_ids AS SELECT DISTINCT article_id FROM pw_story_given")
    finally:
        con.unregister("pw_story_given")
    _live_targets(con, "pw_story_ids")
    # Seeds: the given articles that changed or went away; their old clusters must be redone.
    con.execute(
        """
        CREATE TEMP TABLE pw_story_seeds AS
        SELECT s.article_id FROM story_signatures s SEMI JOIN pw_story_ids i ON i.article_id = s.article_id
        WHERE s.article_id IN (SELECT article_id FROM pw_story_targets)
           OR s.article_id NOT IN (SELECT v.article_id FROM article_versions v
                                   WHERE v.valid_to IS NULL AND v.change_kind <> 'deleted')
        UNION
        SELECT article_id FROM pw_story_targets
        """
    )
    stale = "SELECT article_id FROM pw_story_seeds"
    removed = con.execute(f"SELECT count(*) FROM story_signatures WHERE article_id IN ({stale})").fetchall()[0][0]
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


def _sign(con, presigned: dict) -> int:
    """Signatures and bands for every article in pw_story_targets, written a chunk at a time so
    that memory stays flat however big the batch or the rebuild."""
    targets = con.execute(
        "SELECT article_id, source, content_hash FROM pw_story_targets ORDER BY article_id"
    ).fetchall()
    unsigned = sum(1 for row in targets if row[2] not in presigned)
    workers = min(os.cpu_count() or 1, MAX_WORKERS) if unsigned >= PARALLEL_FROM else 1
    hashed = 0
    for signed in _sign_chunks(con, targets, workers, presigned):
        hashed += _insert_signed(con, signed)
    return hashed


def _insert_signed(con, signed: list[tuple]) -> int:
    """Write one chunk of (article_id, source, content_hash, kind, signature) rows and their bands."""
    if not signed:
        return 0
    ids, sources, hashes, kinds, sigs = zip(*signed)
    matrix = np.vstack(sigs).astype(_DTYPE)
    rows = np.arange(len(ids), dtype=np.int32)
    con.register(
        "pw_story_new",
        {
            "row": rows,
            "article_id": _strings(ids),
            "source": _strings(sources),
            "content_hash": _strings([h or "" for h in hashes]),
            "shingles": _strings(kinds),
            "signature": _strings([row.astype("<" + _DTYPE.str[1:]).tobytes().hex() for row in matrix]),
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
            "INSERT INTO story_signatures SELECT article_id::VARCHAR, source::VARCHAR, "
            "nullif(content_hash::VARCHAR, ''), shingles::VARCHAR, unhex(signature::VARCHAR) FROM pw_story_new"
        )
        con.execute(
            "INSERT INTO story_bands SELECT b.band, b.bucket, n.article_id::VARCHAR, n.source::VARCHAR "
            "FROM pw_story_new_bands b JOIN pw_story_new n ON n.row = b.row"
        )
    finally:
        con.unregister("pw_story_new")
        con.unregister("pw_story_new_bands")
    return len(ids)


def _sign_rows(rows: list[tuple], presigned: dict | None = None) -> list[tuple]:
    """(article_id, source, content_hash, kind, signature) of each row with any shingle."""
    out = []
    for article_id, source, content_hash, title, text in rows:
        if presigned and content_hash in presigned:
            out.append((article_id, source, content_hash, *presigned[content_hash]))
            continue
        kind, grams = shingles(title, text)
        if grams:
            out.append((article_id, source, content_hash, kind, signature(grams)))
    return out


def _texts(con, ids: list[str]) -> list[tuple]:
    """(article_id, source, content_hash, title, text) of these targets."""
    return con.execute(
        "SELECT article_id, source, content_hash, title, text FROM pw_story_targets "
        "WHERE article_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY article_id",
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
                yield _sign_rows(rows)
                continue
            if pool is None:
                # spawn, not fork: the caller's process runs DuckDB threads, which a fork would copy mid-flight.
                pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            pending.append(pool.submit(_sign_rows, rows))
            if len(pending) >= 2 * workers:  # bounded: texts stay in memory a few chunks at a time
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _link(con) -> int:
    """Verify the targets' LSH candidates and store the pairs that reach THRESHOLD."""
    pairs = con.execute(
        f"""
        WITH mine AS (
            SELECT b.* FROM story_bands b SEMI JOIN pw_story_targets t ON t.article_id = b.article_id
        ), buckets AS (
            SELECT b.band, b.bucket, count(*) AS n, min(b.article_id) AS hub
            FROM story_bands b SEMI JOIN mine m ON m.band = b.band AND m.bucket = b.bucket
            GROUP BY b.band, b.bucket
            HAVING count(*) > 1
        )
        SELECT DISTINCT least(m.article_id, o.article_id) AS a, greatest(m.article_id, o.article_id) AS b
        FROM mine m
        JOIN buckets g ON g.band = m.band AND g.bucket = m.bucket
        JOIN story_bands o ON o.band = m.band AND o.bucket = m.bucket AND o.source <> m.source
        WHERE g.n <= {MAX_BUCKET} OR o.article_id = g.hub OR m.article_id = g.hub
        """
    ).fetchall()
    if not pairs:
        return 0
    sigs = _signatures(con, {x for pair in pairs for x in pair})
    a = np.vstack([sigs[p[0]] for p in pairs])
    b = np.vstack([sigs[p[1]] for p in pairs])
    sims = similarity(a, b)
    keep = [(p[0], p[1], round(float(s), 4)) for p, s in zip(pairs, sims) if s >= THRESHOLD]
    _insert(con, "story_edges", ("a", "b", "similarity"), keep)
    return len(keep)


def _signatures(con, ids: set[str]) -> dict[str, np.ndarray]:
    con.register("pw_story_want", {"article_id": _strings(sorted(ids))})
    try:
        rows = con.execute(
            "SELECT s.article_id, s.signature FROM story_signatures s SEMI JOIN pw_story_want w ON w.article_id = s.article_id"
        ).fetchall()
    finally:
        con.unregister("pw_story_want")
    return {article_id: np.frombuffer(blob, dtype="<" + _DTYPE.str[1:]) for article_id, blob in rows}


def _recluster(con, full: bool) -> tuple[int, int]:
    """Recompute the clusters of every component that holds a seed (or all) and rewrite them."""
    if full:
        edges = con.execute("SELECT a, b, similarity FROM story_edges").fetchall()
        nodes = {x for a, b, _ in edges for x in (a, b)}
    else:
        nodes, edges = _component_of_seeds(con)
        con.execute("DELETE FROM story_members WHERE article_id IN (SELECT article_id FROM pw_story_nodes)")
    components = _components(nodes, edges)
    groups = [c for c in components if len(c) >= 2]
    if not groups:
        return 0, 0
    members = sorted({x for c in groups for x in c})
    order = _dating(con, members)
    sigs = _signatures(con, set(members))
    rows = []
    for group in groups:
        ranked = sorted(group, key=lambda x: order[x])
        first = ranked[0]
        for position, article_id in enumerate(ranked, start=1):
            sim = 1.0 if article_id == first else float(similarity(sigs[article_id][None, :], sigs[first][None, :])[0])
            rows.append((first, article_id, position, round(sim, 4)))
    _insert(
        con,
        "story_members",
        ("cluster_id", "article_id", "position", "similarity_to_first"),
        rows,
        clustered_at="now()::TIMESTAMP",
    )
    return len(groups), len(rows)


def _insert(con, table: str, columns: tuple[str, ...], rows: list[tuple], **computed: str) -> None:
    """Append rows in one statement (executemany is one statement per row); `computed` are SQL expressions."""
    if not rows:
        return
    data = {
        name: _strings(values) if isinstance(values[0], str) else np.array(values)
        for name, values in zip(columns, zip(*rows))
    }
    con.register("pw_story_rows", data)
    names = ", ".join([*columns, *computed])
    values = ", ".join([*(f"{c}::VARCHAR" if data[c].dtype.kind == "U" else c for c in columns), *computed.values()])
    try:
        con.execute(f"INSERT INTO {table} ({names}) SELECT {values} FROM pw_story_rows")
    finally:
        con.unregister("pw_story_rows")


def _component_of_seeds(con) -> tuple[set[str], list[tuple]]:
    """Every article connected to a seed through story_edges (seeds included), and those edges."""
    con.execute("CREATE TEMP TABLE pw_story_nodes AS SELECT DISTINCT article_id FROM pw_story_seeds")
    while True:
        added = con.execute(
            """
            INSERT INTO pw_story_nodes
            SELECT DISTINCT other FROM (
                SELECT e.b AS other FROM story_edges e SEMI JOIN pw_story_nodes n ON n.article_id = e.a
                UNION ALL
                SELECT e.a AS other FROM story_edges e SEMI JOIN pw_story_nodes n ON n.article_id = e.b
            )
            WHERE other NOT IN (SELECT article_id FROM pw_story_nodes)
            """
        ).fetchall()[0][0]
        if not added:
            break
    nodes = {row[0] for row in con.execute("SELECT article_id FROM pw_story_nodes").fetchall()}
    edges = con.execute(
        "SELECT a, b, similarity FROM story_edges WHERE a IN (SELECT article_id FROM pw_story_nodes)"
    ).fetchall()
    return nodes, edges


def _components(nodes: set[str], edges: list[tuple]) -> list[list[str]]:
    parent = {x: x for x in nodes}

    def root(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for x in nodes:
        groups.setdefault(root(x), []).append(x)
    return list(groups.values())


def _dating(con, ids: list[str]) -> dict[str, tuple]:
    """Sort key per article: published (else first seen), first seen, id."""
    con.register("pw_story_want", {"article_id": _strings(ids)})
    try:
        rows = con.execute(
            """
            SELECT v.article_id,
                   coalesce(max(v.published_at) FILTER (WHERE v.valid_to IS NULL), min(v.valid_from)::DATE),
                   min(v.valid_from)
            FROM article_versions v SEMI JOIN pw_story_want w ON w.article_id = v.article_id
            GROUP BY v.article_id
            """
        ).fetchall()
    finally:
        con.unregister("pw_story_want")
    return {article_id: (day, seen, article_id) for article_id, day, seen in rows}
