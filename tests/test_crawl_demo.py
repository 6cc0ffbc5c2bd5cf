"""Crawling the demo site: discovery through feed, sitemap index and paginated listing; robots; GBK; fields.

Each test reads its own copy of the session's first crawl of every outlet (tests/demo_story.py).
"""

import pytest

from demo_site.content import BY_PATH, EXPECTED, PRIVATE_PATH, RSS_TRACKED_PATH, SEED_PATH, TOTAL_EXPECTED


@pytest.fixture
def demo_pipeline(demo_story, tmp_path):
    """The demo site's every outlet crawled once (a copy of the session's crawl)."""
    return demo_story.copy("stage1", tmp_path)


def test_every_outlet_is_discovered_and_stored_once(demo_pipeline, demo_story):
    results = demo_story.results("stage1")
    per_source = dict(demo_pipeline.query("SELECT source, count(*) FROM articles GROUP BY source"))
    assert per_source == EXPECTED
    assert demo_pipeline.scalar("SELECT count(*) FROM article_versions") == TOTAL_EXPECTED
    assert sum(r["counts"]["new"] for r in results) == TOTAL_EXPECTED
    # one fetch per article URL whatever its spelling in feeds and listings (?utm_source=rss)
    duplicates = demo_pipeline.query(
        "SELECT url, count(*) FROM fetches WHERE kind = 'article' GROUP BY url HAVING count(*) > 1"
    )
    assert duplicates == []
    tracked = demo_pipeline.query("SELECT url FROM fetches WHERE url LIKE ?", [f"%{RSS_TRACKED_PATH}%"])
    assert [u for (u,) in tracked] == [demo_pipeline_url(demo_pipeline, RSS_TRACKED_PATH)]


def demo_pipeline_url(pipeline, path):
    (base,) = pipeline.query("SELECT regexp_extract(url, '^https?://[^/]+') FROM fetches LIMIT 1")[0]
    return base + path


def test_robots_txt_is_obeyed_and_recorded(demo_pipeline):
    rows = demo_pipeline.query("SELECT outcome, error FROM fetches WHERE url LIKE ?", [f"%{PRIVATE_PATH}"])
    assert rows == [("failed", "forbidden by robots.txt")]
    assert demo_pipeline.scalar("SELECT count(*) FROM articles WHERE canonical_url LIKE '%/private/%'") == 0


def test_only_allowed_domains_and_article_urls_are_fetched(demo_pipeline):
    kinds = dict(
        demo_pipeline.query("SELECT kind, count(*) FROM fetches WHERE source IN ('globaltimes', 'xjgov') GROUP BY kind")
    )
    assert kinds == {"listing": 3 + 2, "article": EXPECTED["globaltimes"] + EXPECTED["xjgov"]}
    assert demo_pipeline.scalar("SELECT count(*) FROM fetches WHERE url NOT LIKE 'http://127.0.0.1:%'") == 0


def test_gbk_outlet_without_charset_header_decodes(demo_pipeline):
    texts = [t for (t,) in demo_pipeline.query("SELECT title || text FROM articles WHERE source = 'xjgov'")]
    assert len(texts) == EXPECTED["xjgov"]
    joined = "".join(texts)
    assert "职业技能教育培训中心" in joined and "\ufffd" not in joined
    languages = {lang for (lang,) in demo_pipeline.query("SELECT language FROM articles WHERE source = 'xjgov'")}
    assert languages == {"zh"}


def test_seed_article_fields(demo_pipeline):
    seed = BY_PATH[SEED_PATH]
    row = demo_pipeline.query(
        "SELECT title, text, published_at, site_name, language, canonical_url FROM articles WHERE canonical_url LIKE ?",
        [f"%{SEED_PATH}"],
    )
    assert len(row) == 1
    title, text, published, site_name, language, canonical = row[0]
    assert title == "Xinjiang holds webinar to outline its progress"
    assert str(published) == "2021-02-08"
    assert language == "en" and site_name
    assert canonical.endswith(SEED_PATH)
    for paragraph in seed.paragraphs:
        assert " ".join(paragraph.split()) in text
    assert "Views:" not in text and "Page generated" not in text
