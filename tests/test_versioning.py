"""Versioning per the warehouse contract: unchanged re-crawls add nothing, edits add one, deletions are confirmed."""

import shutil
import subprocess
import sys

import pytest

from demo_site.content import DELETED_PATH, EDIT, TOTAL_EXPECTED
from tests.servers import Route, StaticSite, article_html, registry_entry
from warehouse.attach import attach_statements
from warehouse.current import known_captured_articles
from warehouse.db import connect
from warehouse.errors import DatabaseLocked
from warehouse.loader import load_batch, load_pending
from warehouse.prediffs import prepare_diffs
from warehouse.staging import pending_batches


def test_unchanged_recrawl_adds_no_version_and_moves_last_seen(demo_story, tmp_path):
    first = demo_story.copy("stage1", tmp_path / "first")
    again = demo_story.copy("stage1-again", tmp_path / "again")
    assert again.scalar("SELECT count(*) FROM article_versions") == TOTAL_EXPECTED
    assert sum(r["counts"]["same"] for r in demo_story.results("stage1-again")) == TOTAL_EXPECTED
    first_seen = first.scalar("SELECT max(last_seen_at) FROM article_versions")
    assert again.scalar("SELECT min(last_seen_at) FROM article_versions") > first_seen


def test_an_edit_adds_exactly_one_version_with_the_changed_sentence(demo_story, tmp_path):
    pipeline = demo_story.copy("stage2-again", tmp_path)  # a second look at the edited page adds no version
    rows = pipeline.query(
        "SELECT version, change_kind, changed_fields, previous_sentence, changed_sentence, silent FROM article_versions "
        "WHERE canonical_url LIKE ? ORDER BY version",
        [f"%{EDIT['path']}"],
    )
    assert [r[:2] for r in rows] == [(1, "new"), (2, "edited")]
    _, _, fields, before, after, silent = rows[1]
    assert fields == ["text"] and before == EDIT["old"] and after == EDIT["new"] and silent is True
    assert pipeline.scalar("SELECT count(*) FROM article_versions WHERE change_kind = 'edited'") == 1
    assert [r["counts"]["edited"] for r in demo_story.results("stage2-again")] == [0] * 5


def test_an_edit_diffed_before_the_lock_records_what_one_diffed_under_it_records(demo_story, tmp_path):
    """warehouse/prediffs.py: the edit's word diff taken from a read-only snapshot before the lock is
    the one the loader takes under the lock without it."""
    prepared, plain = demo_story.copy("stage1", tmp_path / "prepared"), demo_story.copy("stage1", tmp_path / "plain")
    with demo_story.site(2):
        prepared.crawl("globaltimes", load=False)  # the outlet of the edit
    (batch,) = pending_batches(prepared.settings.staging)
    shutil.copytree(batch.folder, plain.settings.staging / batch.folder.name)
    diffs = prepare_diffs(prepared.db, batch.records, known_captured_articles(prepared.db, batch.records))
    assert len(diffs) == 1  # the edited article, diffed here
    for pipeline, ready in ((prepared, diffs), (plain, None)):
        (staged,) = pending_batches(pipeline.settings.staging)
        with connect(pipeline.db) as con:
            load_batch(con, staged, diffs=ready)
    recorded = (
        "SELECT article_id, words_added, words_removed, previous_sentence, changed_sentence FROM article_versions "
        "WHERE change_kind = 'edited'"
    )
    assert prepared.query(recorded) == plain.query(recorded)
    assert [row[3:] for row in prepared.query(recorded)] == [(EDIT["old"], EDIT["new"])]


def test_deletion_tombstones_the_article_and_it_leaves_articles(demo_story, tmp_path):
    pipeline = demo_story.copy("stage2", tmp_path)
    kinds = pipeline.query(
        "SELECT change_kind, text IS NULL FROM article_versions WHERE canonical_url LIKE ? ORDER BY version",
        [f"%{DELETED_PATH}"],
    )
    assert kinds == [("new", False), ("deleted", True)]
    assert pipeline.scalar("SELECT count(*) FROM articles WHERE canonical_url LIKE ?", [f"%{DELETED_PATH}"]) == 0
    assert pipeline.scalar("SELECT count(*) FROM articles") == TOTAL_EXPECTED - 1


@pytest.fixture
def one_article_site():
    paragraphs = ["The regional government held a press conference on vocational education." * 3] * 4
    with StaticSite(
        {
            "/list.html": Route('<a href="/a/1.html">one</a><a href="/a/2.html">two</a>'),
            "/a/1.html": Route(article_html("First", paragraphs)),
            "/a/2.html": Route(article_html("Second", [p.replace("press", "news") for p in paragraphs])),
        }
    ) as static:
        yield static


def test_a_single_404_is_only_a_fetch_and_confirmation_needs_consecutive_checks(pipeline, one_article_site):
    entry = registry_entry(
        "one",
        one_article_site.url,
        listings=[one_article_site.url + "/list.html"],
        article_pattern=r"/a/\d+\.html$",
        confirm_deletion=2,
    )
    pipeline.use_registry(entry)
    pipeline.crawl()
    one_article_site.routes["/a/1.html"] = Route("gone", status=404)
    pipeline.crawl()
    assert pipeline.scalar("SELECT count(*) FROM article_versions WHERE change_kind = 'deleted'") == 0
    assert pipeline.scalar("SELECT count(*) FROM fetches WHERE status = 404 AND outcome = 'gone'") == 1
    assert pipeline.scalar("SELECT missing FROM crawl_runs ORDER BY loaded_at DESC LIMIT 1") == 1
    one_article_site.routes["/a/1.html"] = Route(
        article_html("First", ["The regional government held a press conference on vocational education." * 3] * 4)
    )
    pipeline.crawl()  # it came back: the count starts again
    assert pipeline.scalar("SELECT missing_count FROM article_state WHERE url LIKE '%/a/1.html'") == 0
    one_article_site.routes["/a/1.html"] = Route("gone", status=410)
    pipeline.crawl()
    pipeline.crawl()
    kinds = [
        k
        for (k,) in pipeline.query(
            "SELECT change_kind FROM article_versions WHERE url LIKE '%/a/1.html' ORDER BY version"
        )
    ]
    assert kinds == ["new", "deleted"]
    assert pipeline.scalar("SELECT count(*) FROM articles") == 1


def test_reloading_the_same_batch_is_a_no_op(demo_pipeline):
    demo_pipeline.crawl("unnews", load=False)
    (batch,) = pending_batches(demo_pipeline.settings.staging)
    with connect(demo_pipeline.db) as con:
        first = load_batch(con, batch)
        again = load_batch(con, batch)
    assert first.counts["new"] > 0 and again.skipped
    assert demo_pipeline.scalar("SELECT count(*) FROM article_versions") == first.counts["new"]
    assert demo_pipeline.scalar("SELECT count(*) FROM crawl_runs") == 1
    assert demo_pipeline.scalar("SELECT count(*) FROM fetches") == first.counts["records"]


READER = """
import duckdb, sys
con = duckdb.connect()
con.execute(sys.stdin.readline())            # the attach script, on one line
con.execute("BEGIN TRANSACTION")
print(con.execute("SELECT count(*) FROM article_versions").fetchall()[0][0], flush=True)
sys.stdin.readline()                          # the load has committed
print(con.execute("SELECT count(*) FROM article_versions").fetchall()[0][0], flush=True)
con.execute("COMMIT")
print(con.execute("SELECT count(*) FROM article_versions").fetchall()[0][0], flush=True)
"""


def test_a_reader_holding_a_transaction_never_delays_a_load_and_keeps_its_snapshot(demo_pipeline):
    demo_pipeline.crawl("unnews")  # creates the warehouse
    demo_pipeline.crawl("xinhua", load=False)
    script = "; ".join(attach_statements(demo_pipeline.db, read_only=True))
    reader = subprocess.Popen([sys.executable, "-c", READER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        reader.stdin.write(script + "\n")
        reader.stdin.flush()
        before = int(reader.stdout.readline())
        results = load_pending(demo_pipeline.db, demo_pipeline.settings.staging, demo_pipeline.settings.loaded, wait=0)
        assert [r.source for r in results] == ["xinhua"] and results[0].counts["new"] > 0
        reader.stdin.write("\n")
        reader.stdin.flush()
        during = int(reader.stdout.readline())
        after = int(reader.stdout.readline())
    finally:
        reader.kill()
        reader.wait()
    assert during == before  # its snapshot did not move while its transaction lasted
    assert after == before + results[0].counts["new"]
    assert pending_batches(demo_pipeline.settings.staging) == []


def test_a_second_writer_waits_for_the_write_lock_then_gives_up(demo_pipeline):
    demo_pipeline.crawl("unnews")
    demo_pipeline.crawl("xinhua", load=False)
    with connect(demo_pipeline.db):  # a writer holds the lock
        with pytest.raises(DatabaseLocked, match="another load"):
            load_pending(demo_pipeline.db, demo_pipeline.settings.staging, demo_pipeline.settings.loaded, wait=0.5)
        assert len(pending_batches(demo_pipeline.settings.staging)) == 1
    results = load_pending(demo_pipeline.db, demo_pipeline.settings.staging, demo_pipeline.settings.loaded)
    assert [r.source for r in results] == ["xinhua"]
    assert pending_batches(demo_pipeline.settings.staging) == []


@pytest.mark.parametrize("state", ["empty file", "sqlite in WAL mode, no DuckLake tables"])
def test_a_reader_attaching_while_the_first_writer_creates_the_catalog_sees_no_warehouse_yet(tmp_path, state):
    """Earlier still than below: the first writer has opened the SQLite catalog, DuckLake has written nothing."""
    import sqlite3

    from warehouse.errors import DatabaseMissing
    from warehouse.revisits import export_known

    catalog = tmp_path / "pw" / "catalog.sqlite"
    catalog.parent.mkdir()
    if state == "empty file":
        catalog.write_bytes(b"")
    else:
        sqlite3.connect(catalog).execute("PRAGMA journal_mode=WAL").connection.close()
    with pytest.raises(DatabaseMissing, match="still being created"):
        with connect(tmp_path / "pw", read_only=True):
            pass

    class Source:
        name = "unnews"

    assert export_known(tmp_path / "pw", Source(), tmp_path / "known.jsonl") == 0  # a first crawl, not a failure
    with connect(tmp_path / "pw") as con:  # the writer goes on and creates the warehouse over it
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (0,)


def test_a_reader_attaching_while_the_first_writer_creates_the_lake_sees_no_warehouse_yet(tmp_path):
    """Two first runs overlap: one is creating the lake, the other asks what it already knows."""
    from warehouse.db import location, migrate, open_location
    from warehouse.errors import DatabaseMissing
    from warehouse.revisits import export_known

    where = location(tmp_path / "pw")
    creating = open_location(where, read_only=False)  # the catalog exists, no migration committed yet
    try:
        with pytest.raises(DatabaseMissing, match="no tables yet"):
            with connect(where, read_only=True):
                pass
        creating.execute("BEGIN TRANSACTION")
        creating.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER)")
        with pytest.raises(DatabaseMissing):  # an open, uncommitted migration is not visible either
            with connect(where, read_only=True):
                pass
        creating.execute("ROLLBACK")

        class Source:
            name = "unnews"

        assert export_known(where, Source(), tmp_path / "known.jsonl") == 0
        assert (tmp_path / "known.jsonl").read_text() == ""
        migrate(creating)
    finally:
        creating.close()
    with connect(where, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone() == (0,)


SOFT_404 = "<html><body><p>Page not found.</p></body></html>"


def _one_article_registry(site, **keys) -> str:
    return registry_entry("one", site.url, listings=[site.url + "/list.html"], article_pattern=r"/a/\d+\.html$", **keys)


def test_an_article_that_became_a_page_without_one_is_confirmed_deleted(pipeline, one_article_site):
    """A soft 404 (200, no article text) served the same twice: the second check confirms the deletion,
    though the body did not change between them."""
    pipeline.use_registry(_one_article_registry(one_article_site, confirm_deletion=2))
    pipeline.crawl()
    one_article_site.routes["/a/1.html"] = Route(SOFT_404)
    pipeline.crawl()
    assert pipeline.scalar("SELECT missing_count FROM article_state WHERE url LIKE '%/a/1.html'") == 1
    pipeline.crawl()
    kinds = pipeline.query("SELECT change_kind FROM article_versions WHERE url LIKE '%/a/1.html' ORDER BY version")
    assert kinds == [("new",), ("deleted",)]


def test_a_page_without_an_article_is_not_read_again_until_it_or_the_extractor_changes(pipeline, one_article_site):
    one_article_site.routes["/a/2.html"] = Route(SOFT_404)

    def crawl_page_two(**keys) -> tuple[str, str | None]:
        pipeline.use_registry(_one_article_registry(one_article_site, **keys))
        pipeline.crawl()
        outcome = pipeline.scalar(
            "SELECT outcome FROM fetches WHERE url LIKE '%/a/2.html' AND kind = 'article' ORDER BY fetched_at DESC LIMIT 1"
        )
        return outcome, pipeline.scalar("SELECT no_article_extractor FROM article_state WHERE url LIKE '%/a/2.html'")

    first, judged = crawl_page_two()
    assert first == "no_article" and judged
    assert pipeline.scalar("SELECT raw_hash IS NOT NULL FROM article_state WHERE url LIKE '%/a/2.html'")
    again, still = crawl_page_two()
    assert (again, still) == ("unchanged_body", judged)  # fetched, compared, not extracted
    assert pipeline.scalar("SELECT last_checked_at > first_seen_at FROM article_state WHERE url LIKE '%/a/2.html'")
    other, rejudged = crawl_page_two(ignore_selectors=["nav"])  # other settings: read again
    assert other == "no_article" and rejudged not in (None, judged)
    assert pipeline.scalar("SELECT count(*) FROM article_versions WHERE url LIKE '%/a/2.html'") == 0
