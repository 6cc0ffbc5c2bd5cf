"""When extraction fails, the page's fetch says so and nothing else changes: an exception inside the
extractor is `extract_failed` (never "no article", which confirmed deletes the article), and a
worker that hangs, even in a pool already rotated out, is killed at the extraction time limit so the
crawl ends. Real crawls of loopback sites, real trafilatura; the failures come from the registry a
user writes (a selector the CSS translator refuses, a pattern that backtracks for ever).
"""

from __future__ import annotations

from crawlers.registry import load_registry
from flows.crawl_step import crawl_source_process
from tests.conftest import make_pipeline
from tests.servers import Route, StaticSite, article_html, registry_entry, rss_feed
from warehouse.loader import load_pending

PARAGRAPHS = [
    "The regional government announced new measures for vocational training and employment on Monday.",
    "Officials said the programme would reach every county of the region before the end of the year.",
    "Observers noted that the announcement followed months of criticism from several foreign governments.",
]


def _page(title: str, extra: str = "") -> Route:
    return Route(article_html(title, [*PARAGRAPHS, extra] if extra else PARAGRAPHS))


def test_an_extractor_exception_is_an_extraction_failure_and_never_deletes_the_article(tmp_path):
    pipeline = make_pipeline(tmp_path)
    with StaticSite({"/a/1.html": _page("Measures announced")}) as site:
        site.routes["/feed.xml"] = rss_feed(site.url, ["/a/1.html"])
        entry = registry_entry("s", site.url, feeds=[site.url + "/feed.xml"], article_pattern=r"/a/\d+\.html$")
        pipeline.use_registry(entry)
        [first] = pipeline.crawl()
        assert first.counts["new"] == 1
        # The page changes, and the registry now asks for a selector with a namespace prefix: it passes
        # the registry's CSS check, and lxml raises on it inside trafilatura's extraction of every page
        # (deletion needs one miss here: confirm_deletion 1).
        site.routes["/a/1.html"] = _page("Measures announced", "A sentence added later by the publisher.")
        pipeline.use_registry(entry + 'ignore_selectors = ["svg|rect"]\n')
        [second] = pipeline.crawl()
    assert second.counts["deleted"] == second.counts["missing"] == 0
    assert pipeline.query("SELECT version, change_kind FROM article_versions") == [(1, "new")]
    assert pipeline.scalar("SELECT count(*) FROM articles") == 1  # still live, its version unchanged
    [(outcome, error)] = pipeline.query(
        "SELECT outcome, error FROM fetches WHERE batch_id = ? AND kind = 'article'", [second.batch_id]
    )
    assert outcome == "extract_failed" and "extractor failed: XPathEvalError" in error
    assert pipeline.scalar("SELECT missing_count FROM article_state") == 0


def test_a_worker_hung_in_a_rotated_pool_is_killed_and_the_crawl_ends(tmp_path, monkeypatch):
    monkeypatch.setenv("PRESSWATCH_EXTRACT_TASKS_PER_WORKER", "1")  # a new pool for every page
    monkeypatch.setenv("PRESSWATCH_EXTRACT_TIMEOUT", "6")  # a fresh worker warms up well within it
    pipeline = make_pipeline(tmp_path)
    hang = "The crowd answered: " + "a" * 40 + "h!"  # the registry's pattern backtracks for ever on it
    routes = {"/a/0.html": _page("Zero"), "/a/1.html": _page("The crowd", hang), "/a/2.html": _page("Two")}
    with StaticSite(routes) as site:
        site.routes["/feed.xml"] = rss_feed(site.url, ["/a/0.html", "/a/1.html", "/a/2.html"])
        pipeline.use_registry(
            registry_entry(
                "s",
                site.url,
                feeds=[site.url + "/feed.xml"],
                article_pattern=r"/a/\d+\.html$",
                # One page at a time, the hanging one in the middle (whichever end the crawl starts
                # from): the page after it rotates its pool out while it hangs.
                concurrency=1,
                crawl_timeout=25,
                ignore_patterns=["(a+)+$"],
            )
        )
        outcome = crawl_source_process(load_registry(pipeline.settings.registry).get("s"), pipeline.settings, workers=1)
    [result] = load_pending(pipeline.db, pipeline.settings.staging, pipeline.settings.loaded, wait=5)
    assert result.batch_id == outcome.batch_id and result.status == "complete"
    assert result.counts["new"] == 2
    rows = pipeline.query("SELECT url, outcome, error FROM fetches WHERE kind = 'article' ORDER BY url")
    assert [(url.rsplit("/", 1)[1], outcome) for url, outcome, _ in rows] == [
        ("0.html", "article"),
        ("1.html", "extract_failed"),
        ("2.html", "article"),
    ]
    assert rows[1][2] == "extraction took over 6s"
