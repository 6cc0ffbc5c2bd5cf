"""The bands a load reads before the write lock (warehouse/clusters/neighbours.py): brought up to date
inside the lock from DuckLake's change feed, they must give the clusters a scan of story_bands gives,
whatever other loads committed in between; when the feed cannot say (after `maintain`), the load
reads story_bands as before."""

from __future__ import annotations

import shutil
from urllib.parse import urlsplit

import pytest

import warehouse.clusters.refresh as refresh
from demo_site import DemoSite, content, demo_registry
from tests.conftest import make_pipeline
from warehouse.clusters import presign, refresh_clusters
from warehouse.clusters.neighbours import NEIGHBOURS, read_neighbours, settle
from warehouse.db import connect
from warehouse.loader import load_batch, load_pending
from warehouse.maintain import maintain
from warehouse.search_index import prepare_batch
from warehouse.staging import pending_batches


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """xinhua crawled and loaded; chinadaily's and globaltimes' batches (the two other reprints) staged."""
    pipeline = make_pipeline(tmp_path_factory.mktemp("neighbours"))
    with DemoSite(port=0) as site:
        pipeline.use_registry(demo_registry(site.base_url))
        pipeline.crawl("xinhua")
        pipeline.crawl("chinadaily", "globaltimes", load=False)
    assert not pipeline.failures
    return pipeline, {batch.manifest["source"]: batch for batch in pending_batches(pipeline.settings.staging)}


def clusters(con) -> list[tuple]:
    rows = con.execute(
        """
        SELECT m.cluster_id, v.canonical_url, m.position, m.similarity_to_first
        FROM story_members m JOIN article_versions v ON v.article_id = m.article_id AND v.valid_to IS NULL
        ORDER BY ALL
        """
    ).fetchall()
    return [(cluster, urlsplit(url).path, position, similarity) for cluster, url, position, similarity in rows]


def in_buckets(con, keys: dict) -> list[tuple]:
    """story_bands' rows in these buckets, now."""
    con.register("pw_test_keys", keys)
    try:
        return sorted(
            con.execute(
                "SELECT b.band, b.bucket, b.article_id, b.source FROM story_bands b"
                " SEMI JOIN pw_test_keys k ON k.band = b.band AND k.bucket = b.bucket"
            ).fetchall()
        )
    finally:
        con.unregister("pw_test_keys")


def test_a_batch_whose_bands_were_read_before_another_load_committed_clusters_as_a_rebuild_does(
    staged, tmp_path, monkeypatch
):
    pipeline, batches = staged
    settings = pipeline.settings
    early = batches["chinadaily"]
    presigned = presign(early.records)
    prepared = prepare_batch(early.records)
    read = read_neighbours(settings.db, presigned, prepared.folder)  # before globaltimes' reprint is loaded
    assert read is not None
    used = []
    link = refresh.link
    monkeypatch.setattr(
        refresh,
        "link",
        lambda con, bands, threads=None, others=None: used.append(others) or link(con, bands, threads, others),
    )
    later = batches["globaltimes"].batch_id  # loaded as a crawl loads, reading its own bands before the lock
    load_pending(settings.db, settings.staging, settings.loaded, keep=lambda batch: batch.batch_id == later)
    try:
        with connect(settings.db) as con:
            load_batch(con, early, presigned, prepared, None, None, read)
            loaded, edges = clusters(con), sorted(con.execute("SELECT a, b FROM story_edges").fetchall())
    finally:
        prepared.discard()
    assert len(used) == 2 and all(used)  # both loads' link took the bands read before the lock, not story_bands
    assert sorted(path for _, path, _, _ in loaded) == sorted(content.REPRINTS)  # globaltimes' reprint found
    assert len({cluster for cluster, *_ in loaded}) == 1 and len(edges) == 3  # chinadaily's to globaltimes' too
    copy = tmp_path / "copy"
    shutil.copytree(settings.db, copy)
    with connect(copy) as con:
        assert refresh_clusters(con, None).full
        assert clusters(con) == loaded
        assert sorted(con.execute("SELECT a, b FROM story_edges").fetchall()) == edges  # the three pairs


def test_the_bands_read_before_the_lock_are_brought_up_to_what_story_bands_holds(staged, tmp_path):
    pipeline, batches = staged
    db = tmp_path / "copy"
    shutil.copytree(pipeline.settings.db, db)
    presigned = presign(batches["chinadaily"].records)
    prepared = prepare_batch(batches["chinadaily"].records)
    try:
        read = read_neighbours(db, presigned, prepared.folder)
        assert read is not None
        with connect(db) as con:  # other writers, after the read: rows removed, added, added then removed
            con.register("pw_test_read_keys", read.keys)
            near = in_buckets(con, read.keys)
            assert near  # xinhua's reprint shares buckets with chinadaily's
            con.execute("DELETE FROM story_bands WHERE article_id = ?", [near[0][2]])
            for other in ("other-kept", "other-gone"):
                con.execute(
                    "INSERT INTO story_bands (band, bucket, article_id, source)"
                    " SELECT band, bucket, ?, 'elsewhere' FROM pw_test_read_keys LIMIT 5",
                    [other],
                )
            con.execute("DELETE FROM story_bands WHERE article_id = 'other-gone'")
            con.execute("INSERT INTO story_bands (band, bucket, article_id, source) VALUES (0, 42, 'far', 'elsewhere')")
            con.unregister("pw_test_read_keys")
            assert settle(con, read)
            settled = sorted(con.execute(f"SELECT * FROM {NEIGHBOURS}").fetchall())
            assert settled == in_buckets(con, read.keys)
            assert near[0][2] not in {row[2] for row in settled}
            assert {row[2] for row in settled} >= {"other-kept"} and "other-gone" not in {row[2] for row in settled}
        maintain(db)  # merges files and flushes inlined rows: the feed no longer says all
        with connect(db) as con:
            assert not settle(con, read)
    finally:
        prepared.discard()
