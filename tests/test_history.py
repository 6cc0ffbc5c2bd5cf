"""Migration 002 from any DuckDB client: the article_changes view and the article_history / as_of macros.

One warehouse is built by crawling the demo site through its three stages, with a copy of the
folder kept after each stage; the tests open those copies with a plain DuckDB connection that ran
`presswatch attach`'s statements.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from demo_site.content import DELETED_PATH, EDIT, EXPECTED, GONE_PATH, RETITLE
from tests.conftest import plain_duckdb
from tests.servers import Route, StaticSite, article_html, registry_entry

CHANGE_SQL = """
SELECT canonical_url, change_kind, publisher_change, silent, from_version, to_version, detected_at,
       changed_sentence, previous_sentence, changed_fields, title, previous_title, http_status, words_added, words_removed
FROM article_changes ORDER BY detected_at
"""


@pytest.fixture(scope="module")
def stages(tmp_path_factory, demo_story):
    """{stage: copy of the warehouse after crawling the demo site at that stage}, and the site's URL."""
    tmp = tmp_path_factory.mktemp("history")
    copies = {stage: demo_story.copy(f"stage{stage}", tmp / f"stage{stage}").db for stage in (1, 2, 3)}
    return copies, demo_story.base_url()


def query(path, sql, params=None):
    with plain_duckdb(path) as con:
        return con.execute(sql, params or []).fetchall()


def changes(path) -> dict[str, list[dict]]:
    with plain_duckdb(path) as con:
        cursor = con.execute(CHANGE_SQL)
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    by_path: dict[str, list[dict]] = {}
    for row in rows:
        path_part = "/" + row["canonical_url"].split("/", 3)[3]
        by_path.setdefault(path_part, []).append(row)
    return by_path


def test_no_changes_after_a_first_crawl(stages):
    copies, _ = stages
    assert query(copies[1], "SELECT count(*) FROM article_changes") == [(0,)]
    assert query(copies[1], "SELECT count(*) FROM as_of(now()::TIMESTAMP)") == [(sum(EXPECTED.values()),)]


def test_stage_2_gives_one_silent_edit_and_one_deletion(stages):
    copies, _ = stages
    found = changes(copies[2])
    assert set(found) == {EDIT["path"], DELETED_PATH}
    [edit] = found[EDIT["path"]]
    assert edit["change_kind"] == "edited" and edit["silent"] is True and edit["publisher_change"] is True
    assert (edit["from_version"], edit["to_version"]) == (1, 2)
    assert edit["previous_sentence"] == EDIT["old"] and edit["changed_sentence"] == EDIT["new"]
    assert edit["changed_fields"] == ["text"] and edit["words_added"] > 0 and edit["words_removed"] > 0
    [deletion] = found[DELETED_PATH]
    assert deletion["change_kind"] == "deleted" and deletion["http_status"] == 404
    assert deletion["title"] == deletion["previous_title"]  # a tombstone keeps the title it had
    assert deletion["silent"] is None and deletion["publisher_change"] is True


def test_stage_3_gives_a_title_change_a_410_and_a_restoration(stages):
    copies, _ = stages
    found = changes(copies[3])
    assert set(found) == {EDIT["path"], DELETED_PATH, RETITLE["path"], GONE_PATH}
    [retitle] = found[RETITLE["path"]]
    assert retitle["change_kind"] == "retitled" and retitle["publisher_change"] is True
    assert retitle["title"] == RETITLE["new"] and retitle["previous_title"] == RETITLE["old"]
    assert "title" in retitle["changed_fields"]
    [gone] = found[GONE_PATH]
    assert gone["change_kind"] == "deleted" and gone["http_status"] == 410
    deleted, restored = found[DELETED_PATH]
    assert deleted["change_kind"] == "deleted"
    assert restored["change_kind"] == "restored" and (restored["from_version"], restored["to_version"]) == (2, 3)
    assert restored["detected_at"] > deleted["detected_at"]
    # The stage-2 edit is still one change: the stage-3 crawl saw the same edited text.
    assert len(found[EDIT["path"]]) == 1


def test_article_history_lists_every_version_oldest_first(stages):
    copies, base = stages
    rows = query(
        copies[3],
        "SELECT version, change_kind, valid_from, valid_to, text IS NULL FROM article_history(?)",
        [base + DELETED_PATH],
    )
    assert [(r[0], r[1], r[4]) for r in rows] == [(1, "new", False), (2, "deleted", True), (3, "restored", False)]
    # Each version ends exactly where the next begins; the last is open.
    assert [r[3] for r in rows[:-1]] == [r[2] for r in rows[1:]] and rows[-1][3] is None
    assert query(copies[3], "SELECT count(*) FROM article_history('http://127.0.0.1:1/nothing')") == [(0,)]


def test_as_of_shows_the_text_before_and_after_the_edit(stages):
    copies, base = stages
    url = base + EDIT["path"]
    (edited_at,) = query(copies[3], "SELECT detected_at FROM article_changes WHERE canonical_url = ?", [url])[0]
    before = edited_at - timedelta(microseconds=1)
    sql = "SELECT version, text FROM as_of(?) WHERE canonical_url = ?"
    [(old_version, old_text)] = query(copies[3], sql, [before, url])
    [(new_version, new_text)] = query(copies[3], sql, [edited_at, url])
    assert (old_version, new_version) == (1, 2)
    assert EDIT["old"] in old_text and EDIT["new"] not in old_text
    assert EDIT["new"] in new_text and EDIT["old"] not in new_text
    # A string works as the moment too, as an analyst would type it.
    assert query(copies[3], "SELECT count(*) FROM as_of('1999-01-01')") == [(0,)]


def test_as_of_leaves_out_articles_deleted_at_that_moment(stages):
    copies, base = stages
    url = base + DELETED_PATH
    deleted_at, restored_at = [
        r[0]
        for r in query(
            copies[3], "SELECT detected_at FROM article_changes WHERE canonical_url = ? ORDER BY detected_at", [url]
        )
    ]
    sql = "SELECT count(*) FROM as_of(?) WHERE canonical_url = ?"
    assert query(copies[3], sql, [deleted_at - timedelta(microseconds=1), url]) == [(1,)]
    assert query(copies[3], sql, [deleted_at, url]) == [(0,)]
    assert query(copies[3], sql, [restored_at, url]) == [(1,)]
    now_count = query(copies[3], "SELECT count(*) FROM as_of(now()::TIMESTAMP + INTERVAL 1 DAY)")
    assert now_count == query(copies[3], "SELECT count(*) FROM articles")


def test_article_history_finds_an_article_by_the_url_it_was_fetched_at(pipeline):
    paragraphs = [
        f"The press office said course number {n} would open in spring for rural residents who wish "
        f"to learn a trade, and that {n * 20} places were still free."
        for n in range(1, 5)
    ]
    with StaticSite() as static:
        head = f'<link rel="canonical" href="{static.url}/story/42">'
        static.routes["/list.html"] = Route('<a href="/a/42.html">one</a>')
        static.routes["/a/42.html"] = Route(article_html("Courses open in spring", paragraphs, extra_head=head))
        pipeline.use_registry(
            registry_entry("office", static.url, listings=[static.url + "/list.html"], article_pattern=r"/a/\d+\.html$")
        )
        pipeline.crawl()
        by_canonical = pipeline.query("SELECT canonical_url, url FROM article_history(?)", [static.url + "/story/42"])
        by_fetched = pipeline.query("SELECT canonical_url, url FROM article_history(?)", [static.url + "/a/42.html"])
    assert by_canonical == by_fetched == [(static.url + "/story/42", static.url + "/a/42.html")]
