"""Discovery on loopback sites: nested sitemap indexes, news sitemaps, gzip, feeds, bounded pagination, filters."""

import gzip

from tests.servers import Route, StaticSite, article_html, registry_entry

PARAS = ["The spokesperson answered questions on vocational education and training centers in the region." * 2] * 4


def articles(n: int, prefix: str = "/news/") -> dict[str, Route]:
    return {
        f"{prefix}{i}.html": Route(article_html(f"Story {i}", [p + f" Story {i}." for p in PARAS])) for i in range(n)
    }


def urlset(base: str, paths: list[str], news: bool = False) -> str:
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    items = "".join(
        f"<url><loc>{base}{p}</loc><lastmod>2021-02-0{i % 9 + 1}</lastmod>"
        + (
            "<news:news><news:publication><news:name>X</news:name><news:language>en</news:language></news:publication>"
            "<news:publication_date>2021-02-03</news:publication_date><news:title>T</news:title></news:news>"
            if news
            else ""
        )
        + "</url>"
        for i, p in enumerate(paths)
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>{items}</urlset>'


def test_nested_sitemap_indexes_news_sitemaps_and_gzip(pipeline):
    routes = articles(9)
    with StaticSite(routes) as site:
        base = site.url
        paths = sorted(routes)
        index = (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/sm-news.xml</loc></sitemap><sitemap><loc>{base}/sm-inner-index.xml</loc></sitemap>"
            f"<sitemap><loc>{base}/sitemap.xml</loc></sitemap>"  # includes itself: visited once
            "<sitemap><loc>http://127.0.0.2:9/elsewhere.xml</loc></sitemap></sitemapindex>"
        )
        inner = (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/sm-old.xml.gz</loc></sitemap></sitemapindex>"
        )
        site.routes.update(
            {
                "/sitemap.xml": Route(index, content_type="application/xml"),
                "/sm-news.xml": Route(urlset(base, paths[:3], news=True), content_type="application/xml"),
                "/sm-inner-index.xml": Route(inner, content_type="application/xml"),
                "/sm-old.xml.gz": Route(
                    gzip.compress(urlset(base, paths[3:]).encode()), content_type="application/x-gzip"
                ),
            }
        )
        pipeline.use_registry(
            registry_entry("maps", base, sitemaps=[base + "/sitemap.xml"], article_pattern=r"/news/\d+\.html$")
        )
        pipeline.crawl()
        requested = site.paths()
    assert pipeline.scalar("SELECT count(*) FROM articles") == 9
    assert requested.count("/sitemap.xml") == 1
    assert pipeline.scalar("SELECT count(*) FROM fetches WHERE kind = 'sitemap'") == 4
    lastmods = pipeline.query("SELECT DISTINCT sitemap_lastmod FROM article_versions WHERE sitemap_lastmod IS NOT NULL")
    assert len(lastmods) > 1


def test_feeds_rss_and_atom(pipeline):
    routes = articles(4)
    with StaticSite(routes) as site:
        base = site.url
        rss = (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>x</title>"
            + "".join(f"<item><title>t</title><link>{base}/news/{i}.html?utm_source=rss</link></item>" for i in (0, 1))
            + "</channel></rss>"
        )
        atom = (
            "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>x</title>"
            + "".join(
                f"<entry><title>t</title><link href='{base}/news/{i}.html'/><id>{i}</id></entry>" for i in (1, 2, 3)
            )
            + "</feed>"
        )
        site.routes.update(
            {
                "/rss.xml": Route(rss, content_type="application/rss+xml"),
                "/atom.xml": Route(atom, content_type="application/atom+xml"),
            }
        )
        pipeline.use_registry(
            registry_entry(
                "feeds", base, feeds=[base + "/rss.xml", base + "/atom.xml"], article_pattern=r"/news/\d+\.html$"
            )
        )
        pipeline.crawl()
        requested = site.paths()
    assert pipeline.scalar("SELECT count(*) FROM articles") == 4
    assert sum(1 for p in requested if p.startswith("/news/1.html")) == 1  # in both feeds, fetched once


def test_meta_refresh_is_followed_from_the_head_of_the_page(pipeline):
    """A page whose head says "go there now" is read where it points, in any declared encoding; a
    refresh after longer than Scrapy's METAREFRESH_MAXDELAY, or one past the page's first 4,096
    characters, is not followed (Scrapy's own rules)."""
    routes = articles(4)
    padding = "<!-- " + "x" * 5000 + " -->"
    with StaticSite(routes) as site:
        site.routes.update(
            {
                "/news/10.html": Route(
                    '<html><head><meta http-equiv="refresh" content="0; url=/news/1.html"></head></html>'
                ),
                "/news/11.html": Route(
                    '<html><head><meta charset="gbk"><title>\u8df3\u8f6c</title>'
                    '<meta http-equiv="refresh" content="0;URL=\'2.html\'"></head></html>'.encode("gbk"),
                    content_type="text/html",
                ),
                "/news/12.html": Route(
                    article_html(
                        "Slow", PARAS, extra_head='<meta http-equiv="refresh" content="600; url=/news/3.html">'
                    )
                ),
                "/news/13.html": Route(
                    article_html(
                        "Late", PARAS, extra_head=padding + '<meta http-equiv="refresh" content="0; url=/news/3.html">'
                    )
                ),
            }
        )
        site.routes["/sitemap.xml"] = Route(
            urlset(site.url, ["/news/0.html", "/news/10.html", "/news/11.html", "/news/12.html", "/news/13.html"]),
            content_type="application/xml",
        )
        pipeline.use_registry(
            registry_entry("moved", site.url, sitemaps=[site.url + "/sitemap.xml"], article_pattern=r"/news/\d+\.html$")
        )
        pipeline.crawl()
        requested = site.paths()
    titles = {t for (t,) in pipeline.query("SELECT title FROM articles")}
    assert {"Story 0", "Story 1", "Story 2", "Slow", "Late"} <= titles
    assert "/news/1.html" in requested and "/news/2.html" in requested  # followed, from the head
    assert "/news/3.html" not in requested  # 600 s is too long to wait; 5,000 characters in is not the head


def test_listing_pagination_is_followed_and_bounded(pipeline):
    routes = articles(30)
    with StaticSite(routes) as site:
        for page in range(10):
            links = "".join(f'<a href="/news/{i}.html">s</a>' for i in range(page * 3, page * 3 + 3))
            nav = f'<a rel="next" href="/list/{page + 1}.html">Next</a>'
            site.routes[f"/list/{page}.html"] = Route(
                f"<html><body>{links}{nav}<a href='/about.html'>About</a>"
                "<a href='http://127.0.0.2:9/news/99.html'>off</a></body></html>"
            )
        pipeline.use_registry(
            registry_entry(
                "paged",
                site.url,
                listings=[site.url + "/list/0.html"],
                article_pattern=r"/news/\d+\.html$",
                max_listing_pages=3,
                max_depth=10,
            )
        )
        pipeline.crawl()
        requested = site.paths()
    listing_pages = [p for p in requested if p.startswith("/list/")]
    assert sorted(listing_pages) == ["/list/0.html", "/list/1.html", "/list/2.html", "/list/3.html"]
    assert pipeline.scalar("SELECT count(*) FROM articles") == 12
    assert "/about.html" not in requested


def test_max_articles_bounds_new_articles_per_run(pipeline):
    routes = articles(12)
    with StaticSite(routes) as site:
        site.routes["/list.html"] = Route("".join(f'<a href="{p}">x</a>' for p in routes))
        pipeline.use_registry(
            registry_entry(
                "capped",
                site.url,
                listings=[site.url + "/list.html"],
                article_pattern=r"/news/\d+\.html$",
                max_articles=5,
            )
        )
        pipeline.crawl()
        assert pipeline.scalar("SELECT count(*) FROM articles") == 5
        pipeline.crawl()
        assert pipeline.scalar("SELECT count(*) FROM articles") == 10


def test_conditional_get_and_byte_identical_bodies_skip_extraction(pipeline):
    routes = articles(3)
    routes["/news/0.html"].headers["ETag"] = '"v1"'
    with StaticSite(routes) as site:
        site.routes["/list.html"] = Route("".join(f'<a href="/news/{i}.html">x</a>' for i in range(3)))

        pipeline.use_registry(
            registry_entry("cond", site.url, listings=[site.url + "/list.html"], article_pattern=r"/news/\d+\.html$")
        )
        pipeline.crawl()
        site.routes["/news/0.html"] = Route(b"", status=304, content_type=None)
        results = pipeline.crawl()
        sent = [headers for path, headers in site.requests if path == "/news/0.html"]
        assert sent[-1].get("If-None-Match") == '"v1"'
        assert results[0].counts["not_modified"] == 3  # one 304, two byte-identical bodies
        assert pipeline.scalar("SELECT count(*) FROM article_versions") == 3
        outcomes = dict(
            pipeline.query(
                "SELECT outcome, count(*) FROM fetches WHERE kind = 'article' "
                "AND batch_id = (SELECT max(batch_id) FROM fetches) GROUP BY 1"
            )
        )
        assert outcomes == {"not_modified": 1, "unchanged_body": 2}


def test_conditional_get_can_be_switched_off(pipeline):
    routes = articles(1)
    routes["/news/0.html"].headers["ETag"] = '"stale"'
    with StaticSite(routes) as site:
        site.routes["/list.html"] = Route('<a href="/news/0.html">x</a>')
        pipeline.use_registry(
            registry_entry(
                "nocond",
                site.url,
                listings=[site.url + "/list.html"],
                article_pattern=r"/news/\d+\.html$",
                conditional_get=False,
            )
        )
        pipeline.crawl()
        pipeline.crawl()
        sent = [headers for path, headers in site.requests if path == "/news/0.html"]
    assert len(sent) == 2 and all("If-None-Match" not in h for h in sent)


def test_extraction_workers_are_recycled_without_stalling_the_crawl(pipeline, monkeypatch):
    monkeypatch.setenv("PRESSWATCH_EXTRACT_TASKS_PER_WORKER", "2")  # a fresh pool every 4 pages
    routes = articles(15)
    with StaticSite(routes) as site:
        site.routes["/list.html"] = Route("".join(f'<a href="{p}">x</a>' for p in routes))
        pipeline.use_registry(
            registry_entry(
                "recycled", site.url, listings=[site.url + "/list.html"], article_pattern=r"/news/\d+\.html$"
            )
        )
        pipeline.crawl()
    assert pipeline.failures == {}
    assert pipeline.scalar("SELECT count(*) FROM articles") == 15
    assert pipeline.scalar("SELECT count(*) FROM fetches WHERE outcome = 'extract_failed'") == 0
