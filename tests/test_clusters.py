"""Republished stories (issue 5): near-duplicate clusters across outlets, kept current batch by
batch with refresh_clusters, on warehouses built by crawling the demo site.

The demo reprints one press release at xinhua, chinadaily and globaltimes, each with its own
opening paragraph and headline (content.REPRINTS), and covers two events with distinct articles
by different outlets (content.SAME_TOPIC): the first must cluster, the second must not.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from demo_site import DemoSite, content, demo_registry
from tests.conftest import ROOT, Pipeline, make_pipeline, run_cli
from warehouse.clusters import THRESHOLD, refresh_clusters, shingles
from warehouse.db import connect


def batch_articles(con, results) -> list[str]:
    """The articles a crawl's batches created or changed: what the loader hands to refresh_clusters."""
    batches = [r.batch_id for r in results]
    rows = con.execute(
        "SELECT DISTINCT article_id FROM article_versions WHERE list_contains(?, batch_id)", [batches]
    ).fetchall()
    return [row[0] for row in rows]


def members(con) -> list[tuple]:
    """(cluster_id, path, position, similarity) of every cluster member."""
    rows = con.execute(
        """
        SELECT m.cluster_id, v.canonical_url, m.position, m.similarity_to_first
        FROM story_members m JOIN article_versions v ON v.article_id = m.article_id AND v.valid_to IS NULL
        ORDER BY m.cluster_id, m.position
        """
    ).fetchall()
    return [(cluster, urlsplit(url).path, position, similarity) for cluster, url, position, similarity in rows]


@pytest.fixture(scope="module")
def grown(tmp_path_factory) -> dict:
    """A warehouse grown source by source, with the clusters after each step (incremental refreshes)."""
    tmp = tmp_path_factory.mktemp("clusters")
    settings = make_pipeline(tmp).settings
    steps, refreshes = {}, {}
    with DemoSite(port=0) as site:
        pipeline = Pipeline(settings).use_registry(demo_registry(site.base_url))
        plan = [
            ("two outlets", ("xinhua", "chinadaily"), 1),
            ("all outlets", ("globaltimes", "xjgov", "unnews"), 1),
            ("edit and deletion", (), 2),
        ]
        for name, sources, stage in plan:
            site.set_stage(stage)
            results = pipeline.crawl(*sources)
            assert not pipeline.failures
            with connect(settings.db) as con:
                con.execute("BEGIN TRANSACTION")  # as the loader does: inside the batch's transaction
                refreshes[name] = refresh_clusters(con, batch_articles(con, results))
                con.execute("COMMIT")
                steps[name] = members(con)
    with connect(settings.db) as con:
        refreshes["again"] = refresh_clusters(con, batch_articles(con, results))
        steps["again"] = members(con)
    return {"settings": settings, "steps": steps, "refreshes": refreshes}


def test_the_reprinted_release_forms_one_cluster_led_by_the_earliest_outlet(grown):
    clusters = grown["steps"]["all outlets"]
    assert [path for _, path, _, _ in clusters] == [content.REPRINTS[0], content.REPRINTS[1], content.REPRINTS[2]]
    assert len({cluster for cluster, *_ in clusters}) == 1
    assert [position for _, _, position, _ in clusters] == [1, 2, 3]
    first, *later = [similarity for *_, similarity in clusters]
    assert first == 1.0
    assert all(THRESHOLD <= s < 1.0 for s in later)  # the rewritten lead paragraph shows


def test_the_story_clusters_view_shows_the_members_current_articles(grown):
    """story_clusters reads the members' fields from the index's live set (migration 013): the
    same rows as from the articles view, through the edit and the deletion of the last step."""
    with connect(grown["settings"].db, read_only=True) as con:
        shown = con.execute("SELECT * FROM story_clusters ORDER BY ALL").fetchall()
        expected = con.execute(
            """
            SELECT m.cluster_id, m.article_id, a.source, a.title, a.canonical_url, a.published_at,
                   m.similarity_to_first, m.position,
                   count(*) OVER (PARTITION BY m.cluster_id), count(DISTINCT a.source) OVER (PARTITION BY m.cluster_id)
            FROM story_members m JOIN articles a ON a.article_id = m.article_id ORDER BY ALL
            """
        ).fetchall()
    assert shown and shown == expected


def test_distinct_articles_on_the_same_event_do_not_cluster(grown):
    clustered = {path for step in grown["steps"].values() for _, path, _, _ in step}
    for paths in content.SAME_TOPIC.values():
        assert not clustered & set(paths)
    assert clustered == set(content.REPRINTS)


def test_a_cluster_grows_batch_by_batch_and_keeps_its_id(grown):
    two = grown["steps"]["two outlets"]
    assert [path for _, path, _, _ in two] == [content.REPRINTS[0], content.REPRINTS[1]]
    assert {c for c, *_ in two} == {c for c, *_ in grown["steps"]["all outlets"]}


def test_edits_and_deletions_elsewhere_leave_the_cluster_alone(grown):
    assert grown["steps"]["edit and deletion"] == grown["steps"]["all outlets"]
    with connect(grown["settings"].db, read_only=True) as con:
        signed = {
            urlsplit(url).path
            for (url,) in con.execute(
                "SELECT v.canonical_url FROM story_signatures s JOIN article_versions v USING (article_id)"
                " WHERE v.valid_to IS NULL AND v.content_hash = s.content_hash"
            ).fetchall()
        }
    assert content.DELETED_PATH not in signed and content.EDIT["path"] in signed  # re-signed after the edit


def test_refreshing_the_same_articles_again_changes_nothing(grown):
    refresh = grown["refreshes"]["again"]
    assert (refresh.hashed, refresh.removed, refresh.edges) == (0, 0, 0)
    assert grown["steps"]["again"] == grown["steps"]["all outlets"]


def test_a_full_rebuild_agrees_with_the_incremental_refreshes(grown, tmp_path):
    db = tmp_path / "copy"
    shutil.copytree(grown["settings"].db, db)
    with connect(db) as con:
        refresh = refresh_clusters(con, None)
        assert refresh.full and refresh.hashed == sum(content.EXPECTED.values()) - 1  # one article deleted
        assert members(con) == grown["steps"]["edit and deletion"]


def test_a_deleted_reprint_leaves_its_cluster_and_comes_back_when_restored(grown, tmp_path):
    db = tmp_path / "copy"
    shutil.copytree(grown["settings"].db, db)
    with connect(db) as con:
        [(article_id, version)] = con.execute(
            "SELECT article_id, version FROM article_versions WHERE valid_to IS NULL AND canonical_url LIKE ?",
            ["%" + content.REPRINTS[2]],
        ).fetchall()
        # Versions written the way the loader writes a tombstone, then a restoration.
        for kind, next_version in (("deleted", version + 1), ("restored", version + 2)):
            con.execute("BEGIN TRANSACTION")
            con.execute(
                "UPDATE article_versions SET valid_to = now()::TIMESTAMP WHERE article_id = ? AND valid_to IS NULL",
                [article_id],
            )
            con.execute(
                f"""
                INSERT INTO article_versions BY NAME
                SELECT article_id, {next_version} AS version, canonical_url, source, '{kind}' AS change_kind,
                       title, CASE WHEN '{kind}' = 'restored' THEN text END AS text,
                       CASE WHEN '{kind}' = 'restored' THEN content_hash END AS content_hash,
                       now()::TIMESTAMP + INTERVAL ({next_version}) SECOND AS valid_from,
                       title AS previous_title
                FROM article_versions WHERE article_id = ? AND version = ?
                """,
                [article_id, version],
            )
            refresh = refresh_clusters(con, [article_id])
            con.execute("COMMIT")
            paths = [path for _, path, _, _ in members(con)]
            if kind == "deleted":
                assert refresh.removed == 1 and paths == [content.REPRINTS[0], content.REPRINTS[1]]
            else:
                assert refresh.hashed == 1 and paths == list(content.REPRINTS)
        assert members(con) == grown["steps"]["all outlets"]


def test_chinese_text_is_shingled_by_characters_and_english_by_words(grown):
    kind, grams = shingles("标题", "标题\n职业技能教育培训中心结业学员已全部实现稳定就业。")
    assert kind == "chars3" and "职业技" in grams and not any("标题" in g for g in grams)
    kind, grams = shingles("A headline", "A headline\nThe graduates have mastered the standard spoken language.")
    assert kind == "words5" and "the graduates have mastered the" in grams
    with connect(grown["settings"].db, read_only=True) as con:
        kinds = dict(con.execute("SELECT source, list(DISTINCT shingles) FROM story_signatures GROUP BY 1").fetchall())
    assert kinds["xjgov"] == ["chars3"] and kinds["xinhua"] == ["words5"]


def test_stories_command_lists_the_cluster(grown):
    done = run_cli("--db", str(grown["settings"].db), "stories", "--format", "csv")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "cluster_id,position,source,published_at,similarity,title,canonical_url"
    assert [line.split(",")[2] for line in lines[1:]] == ["xinhua", "chinadaily", "globaltimes"]


def test_a_rebuild_in_small_chunks_over_processes_writes_the_same_signatures_bands_and_clusters(
    grown, tmp_path, monkeypatch
):
    import warehouse.clusters.refresh as clusters  # where the refresh reads its chunk size

    def rebuilt(name: str) -> tuple:
        db = tmp_path / name
        shutil.copytree(grown["settings"].db, db)
        with connect(db) as con:
            refresh = refresh_clusters(con, None)
            tables = tuple(
                con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
                for table in ("story_signatures", "story_bands")
            )
            return refresh.hashed, tables, members(con)

    serial = rebuilt("serial")
    monkeypatch.setattr(clusters, "CHUNK", 3)  # many chunks, each written on its own
    monkeypatch.setattr(clusters, "PARALLEL_FROM", 1)  # and signed in spawned processes
    chunked = rebuilt("chunked")
    assert chunked == serial
    assert serial[0] == sum(content.EXPECTED.values()) - 1 and len(serial[1][1]) == serial[0] * clusters.BANDS
    assert serial[2] == grown["steps"]["edit and deletion"]


def test_the_band_layout_and_dtype_written_down_are_datasketchs():
    """signatures.py writes datasketch's choices down so that readers need not import it: they must agree."""
    import zlib

    from datasketch import MinHash, MinHashLSH

    from warehouse.clusters import signatures

    lsh = MinHashLSH(threshold=signatures.CANDIDATE_THRESHOLD, num_perm=signatures.NUM_PERM)
    assert (lsh.b, lsh.r) == (signatures.BANDS, signatures.ROWS)
    template = MinHash(num_perm=signatures.NUM_PERM, seed=signatures.SEED, hashfunc=zlib.crc32)
    assert template.hashvalues.dtype == signatures.DTYPE
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, warehouse.loader; print('datasketch' in sys.modules)"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert loaded.stdout.strip() == "False", loaded.stderr  # a load that signs nothing never imports it
