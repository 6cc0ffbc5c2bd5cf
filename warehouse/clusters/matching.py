"""Matching: which articles are near-duplicates (story_edges) and the clusters they form (story_members)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from warehouse.clusters.signatures import similarity
from warehouse.clusters.tables import insert_rows, stored_signatures, strings

# Reprints of one release with a rewritten lead paragraph score about 0.6-0.8; distinct articles
# on the same event score below 0.05 (word 5-shingles are rarely shared by independent writers).
THRESHOLD = 0.5
# A band bucket shared by more articles than this is paired through one hub article, not all
# pairs: thousands of identical texts would otherwise make millions of candidate pairs.
MAX_BUCKET = 200


def link(con, targets_bands: str, threads: int | None = None, others: str | None = None) -> int:
    """Verify the LSH candidates of the articles whose bands `targets_bands` holds (story_bands in a
    rebuild) and store the pairs that reach THRESHOLD. `threads`: DuckDB's threads for this
    statement, which reads every band however few the targets (a small load runs on one thread).
    `others`: a query for every other band in the targets' buckets, read before the lock
    (neighbours.py); without it the statement reads story_bands."""
    with _threads(con, None if others else threads):
        pairs = _candidate_pairs(con, targets_bands, others)
    if not pairs:
        return 0
    sigs = stored_signatures(con, {x for pair in pairs for x in pair})
    a = np.vstack([sigs[p[0]] for p in pairs])
    b = np.vstack([sigs[p[1]] for p in pairs])
    sims = similarity(a, b)
    keep = [(p[0], p[1], round(float(s), 4)) for p, s in zip(pairs, sims) if s >= THRESHOLD]
    insert_rows(con, "story_edges", ("a", "b", "similarity"), keep)
    return len(keep)


@contextmanager
def _threads(con, threads: int | None) -> Iterator[None]:
    """DuckDB's threads set to `threads` inside the block (the setting is the instance's: given back)."""
    if not threads:
        yield
        return
    (before,) = con.execute("SELECT current_setting('threads')").fetchone()
    con.execute(f"SET threads = {int(threads)}")
    try:
        yield
    finally:
        con.execute(f"SET threads = {int(before)}")


def _candidate_pairs(con, targets_bands: str, others: str | None = None) -> list[tuple]:
    """(a, b) pairs of articles of different sources sharing a band bucket, a target on one side."""
    bands = (
        f"(SELECT band, bucket, article_id, source FROM {targets_bands} UNION ALL {others})"
        if others
        else "story_bands"
    )
    return con.execute(
        f"""
        WITH mine AS MATERIALIZED (
            SELECT band, bucket, article_id, source FROM {targets_bands}
        ), shared AS MATERIALIZED (  -- everything in the targets' buckets: the bands read once for both uses
            SELECT b.band, b.bucket, b.article_id, b.source FROM {bands} b
            SEMI JOIN mine m ON m.band = b.band AND m.bucket = b.bucket
        ), buckets AS (
            SELECT band, bucket, count(*) AS n, min(article_id) AS hub FROM shared
            GROUP BY band, bucket
            HAVING count(*) > 1
        )
        SELECT DISTINCT least(m.article_id, o.article_id) AS a, greatest(m.article_id, o.article_id) AS b
        FROM mine m
        JOIN buckets g ON g.band = m.band AND g.bucket = m.bucket
        JOIN shared o ON o.band = m.band AND o.bucket = m.bucket AND o.source <> m.source
        WHERE g.n <= {MAX_BUCKET} OR o.article_id = g.hub OR m.article_id = g.hub
        """
    ).fetchall()


def recluster(con, full: bool) -> tuple[int, int]:
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
    sigs = stored_signatures(con, set(members))
    rows = []
    for group in groups:
        ranked = sorted(group, key=lambda x: order[x])
        first = ranked[0]
        for position, article_id in enumerate(ranked, start=1):
            sim = 1.0 if article_id == first else float(similarity(sigs[article_id][None, :], sigs[first][None, :])[0])
            rows.append((first, article_id, position, round(sim, 4)))
    insert_rows(
        con,
        "story_members",
        ("cluster_id", "article_id", "position", "similarity_to_first"),
        rows,
        clustered_at="now()::TIMESTAMP",
    )
    return len(groups), len(rows)


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
    con.register("pw_story_want", {"article_id": strings(ids)})
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
