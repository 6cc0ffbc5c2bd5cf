"""Site templates: the blocks a source's saved real pages share, and the one definition of a block's hash."""

from __future__ import annotations

from crawlers.extraction import content_hash
from tests.conftest import real_fixture
from tests.servers import Route, StaticSite, registry_entry
from warehouse.blocks import (
    article_hash,
    article_hash_sql,
    block_hash,
    block_hashes,
    blocks_sql,
    inline_sql,
    inline_texts,
    strip_blocks,
)
from warehouse.db import connect

XINHUA_ENGLISH = (7138034, 7338300, 7382664, 7404845, 7414867)  # news.xinhuanet.com/english, 2007-2008


def test_saved_xinhua_pages_show_their_recurring_blocks(pipeline):
    """Five saved Xinhua English pages: trafilatura keeps the site's table rows around each article.

    Served on loopback with a listing; with a threshold fit for five pages (three), the rows that
    recur are the site's from the first crawl: stripped from every text, one template event.
    """
    pages = {
        f"/english/content_{n}.htm": real_fixture(f"xinhua/xinhuanet_english_content_{n}.html") for n in XINHUA_ENGLISH
    }
    links = "".join(f'<li><a href="{path}">{path}</a></li>' for path in pages)
    routes = {"/list.html": Route(f"<html><body><ul>{links}</ul></body></html>")}
    routes.update({path: Route(file.read_bytes(), content_type="text/html") for path, file in pages.items()})
    with StaticSite(routes) as site:
        entry = registry_entry(
            "xinhua", site.url, listings=[site.url + "/list.html"], article_pattern=r"/english/content_\d+\.htm$"
        )
        pipeline.use_registry(entry + "template_min_articles = 3\n").crawl()
    assert pipeline.scalar("SELECT count(*) FROM articles") == 5
    [(initial, appeared, pages_carrying)] = pipeline.query("SELECT initial, appeared, pages FROM template_events")
    assert initial and pages_carrying == 5
    assert set(appeared) == {"| | |", "| | Back to Top |", "| | Related Stories |", "| Home | | World |"}
    assert pipeline.scalar("SELECT count(*) FROM articles WHERE contains(text, 'Back to Top')") == 0
    # what a page's site lines were, line by line, and the article's own lines all kept
    assert pipeline.scalar("SELECT count(DISTINCT article_id) FROM stripped_blocks WHERE text = '| | |'") == 5
    assert pipeline.scalar("SELECT min(length(text)) FROM articles") > 500


PROMO = "Sign up for our morning newsletter: the day's top stories, every weekday at 7 am."


def test_blocks_hash_and_strip_the_same_in_the_workers_and_in_the_warehouse(db_path):
    """The extraction workers and reextract (Python) and the loader (SQL) must agree to the byte."""
    title = "Xinjiang 新疆"
    text = f"First line. {PROMO}\n第二行，中文。\n| | Back to Top |\n{PROMO}"
    site = {block_hash("| | Back to Top |"), block_hash(PROMO)}
    with connect(db_path) as con:
        blocks, digest, inline = con.execute(
            f"SELECT {blocks_sql('t')}, {article_hash_sql('h', 't')}, "
            f"list_transform(string_split(t, chr(10)), lambda l: {inline_sql('l', 'texts')}) "
            "FROM (SELECT ?::VARCHAR AS t, ?::VARCHAR AS h, ?::VARCHAR[] AS texts)",
            [text, title, [PROMO]],
        ).fetchall()[0]
    assert blocks == block_hashes(text) and len(set(blocks)) == 4
    assert digest == article_hash(title, text) == content_hash(title, text)
    stripped, hashes = strip_blocks(text, site, inline_texts([PROMO, "| | Back to Top |"]))
    assert stripped == "First line.\n第二行，中文。" == "\n".join(inline[:2])  # the merged promo too
    assert sorted(hashes) == sorted([block_hash("| | Back to Top |"), block_hash(PROMO), block_hash(PROMO)])
