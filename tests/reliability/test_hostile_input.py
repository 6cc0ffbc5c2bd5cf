"""Hostile and broken input: every case gets a clear outcome and the run goes on.

One loopback site serves every case; three sources of one registry crawl it in three crawl
processes (the main one reaches most cases through its feeds, its sitemaps and one listing page
that links to every hostile article; one source has a 50,000-entry sitemap, one a 20 MB page).
Each case is then its own test, checking its outcome in the warehouse and the server's log.

No case may crash the run, hang it past its limits, read a local file or leave the allowed
domains: the last tests check the server's request log (only 127.0.0.1, only the paths the
cases allow) and that no trace of /etc/passwd is anywhere in the warehouse or the data folder.
"""

from __future__ import annotations

import functools
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from tests.conftest import crawl_in_parallel
from tests.reliability.conftest import (
    PASSWD_MARK,
    data_contains,
    module_pipeline,
    shared_result,
    warehouse_strings,
)
from tests.reliability.faulty_server import FaultPlan, FaultyServer, ServerLog
from tests.servers import Route, article_html, registry_entry

CAP = 2_000_000  # the main source's max_download_bytes
MAX_LISTING_PAGES = 5
BIG_SITEMAP_ENTRIES = 50_000
BIG_MAX_ARTICLES = 10
BOMB_EXPANDED = 64 << 20  # over the 50 MB sitemap cap and every max_download_bytes here
XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
PASSWD_ENTITY = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
ODD_SCHEMES = [
    "javascript:alert(1)",
    "mailto:editor@127.0.0.1",
    "file:///etc/passwd",
    "data:text/html;base64,PGgxPng8L2gxPg==",
    "ftp://127.0.0.1/a/ftp.html",
    "about:blank",
    "vbscript:msgbox(1)",
]


def laughs(root: str, levels: int = 10) -> str:
    """A DOCTYPE whose entity &lol9; expands to 10^9 "lol"s (the "billion laughs")."""
    defs = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, levels)
    )
    return f"<!DOCTYPE {root} [{defs}]>"


def story(slug: str, words: str = "") -> str:
    """A healthy article page (the control each hostile container also links to)."""
    return article_html(
        f"Control story {slug}",
        [
            f"This control story {slug} is an ordinary article {words} that every extractor reads without trouble. "
            "It has several sentences of plain text so that the extractor keeps it as the main content.",
            "A second paragraph adds detail about the reliability suite and the hostile inputs it serves to the crawler.",
        ],
    )


@functools.lru_cache(maxsize=1)
def gzip_bomb(expanded: int = BOMB_EXPANDED) -> bytes:
    """`expanded` bytes of zeros, gzip-compressed (about a thousandth of the size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    parts = [compressor.compress(chunk) for _ in range(expanded // len(chunk))]
    return b"".join(parts) + compressor.flush()


def sitemap(locs: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(f"<url><loc>{loc}</loc></url>" for loc in locs)
        + "</urlset>"
    )


def rss(items: list[str], head: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}<rss version="2.0"><channel><title>Hostile</title>'
        + "".join(f"<item><title>item</title><link>{link}</link></item>" for link in items)
        + "</channel></rss>"
    )


@dataclass
class Case:
    """One hostile input: what it is, the clear outcome expected, and the check of that outcome."""

    name: str
    what: str
    expect: str
    check: Callable[[Crawled, Case], None]
    source: str = "hostile"
    paths: list[str] = field(default_factory=list)  # paths the case may request (beyond its controls)


# ---------------------------------------------------------------------------------------------
# checks


@dataclass
class Crawled:
    pipeline: object
    server: ServerLog
    base: str

    def url(self, path: str) -> str:
        return self.base + path

    def fetches(self, path: str) -> list[tuple]:
        return self.pipeline.query(
            "SELECT kind, outcome, status, error, bytes FROM fetches WHERE url = ? ORDER BY fetched_at",
            [self.url(path)],
        )

    def stored(self, path: str) -> list[tuple]:
        return self.pipeline.query(
            "SELECT title, text, canonical_url FROM articles WHERE canonical_url = ?", [self.url(path)]
        )

    def requests(self, prefix: str) -> list[str]:
        return [s.path for s in self.server.served() if s.path.startswith(prefix)]


def one_fetch(crawled: Crawled, path: str) -> tuple:
    rows = crawled.fetches(path)
    assert len(rows) == 1, f"{path}: expected one fetch record, got {rows}"
    return rows[0]


def failed_with(path: str, *words: str):
    def check(crawled: Crawled, case: Case):
        kind, outcome, status, error, _ = one_fetch(crawled, path)
        assert outcome == "failed", (path, outcome, error)
        assert error and all(w.lower() in error.lower() for w in words), f"{path}: reason {error!r} lacks {words}"
        assert crawled.stored(path) == []

    return check


def no_article(path: str, *words: str):
    def check(crawled: Crawled, case: Case):
        kind, outcome, status, error, _ = one_fetch(crawled, path)
        assert (outcome, status) == ("no_article", 200), (path, outcome, status, error)
        assert error and all(w.lower() in error.lower() for w in words), f"{path}: reason {error!r} lacks {words}"
        assert crawled.stored(path) == []

    return check


def stored(path: str, contains: str | None = None, reason: str | None = None):
    def check(crawled: Crawled, case: Case):
        kind, outcome, status, error, _ = one_fetch(crawled, path)
        assert outcome == "article", (path, outcome, error)
        rows = crawled.stored(path)
        assert len(rows) == 1, rows
        if contains:
            assert contains in rows[0][1], rows[0][1][:300]
        if reason:
            assert error and reason.lower() in error.lower(), f"{path}: reason {error!r} lacks {reason!r}"

    return check


def control_stored(*paths: str):
    """The container (feed, sitemap, listing) was read: its healthy control articles are stored."""

    def check(crawled: Crawled, case: Case):
        for path in paths:
            assert len(crawled.stored(path)) == 1, f"control article {path} is missing"

    return check


def all_of(*checks):
    def check(crawled: Crawled, case: Case):
        for c in checks:
            c(crawled, case)

    return check


def container_ok(path: str, kind: str):
    def check(crawled: Crawled, case: Case):
        rows = crawled.fetches(path)
        assert [(k, o) for k, o, *_ in rows] == [(kind, "ok")], rows

    return check


def container_failed(path: str, kind: str, *words: str):
    def check(crawled: Crawled, case: Case):
        rows = crawled.fetches(path)
        failures = [r for r in rows if r[1] == "failed"]
        assert failures, f"{path}: expected a failure record, got {rows}"
        error = failures[-1][3]
        assert all(w.lower() in error.lower() for w in words), f"{path}: reason {error!r} lacks {words}"

    return check


def never_requested(*paths: str):
    def check(crawled: Crawled, case: Case):
        served = set(crawled.requests("/"))
        assert not served & set(paths), served & set(paths)

    return check


def no_expansion(crawled: Crawled, case: Case):
    assert "lollollol" not in warehouse_strings(crawled.pipeline)


def requested_once(path: str):
    def check(crawled: Crawled, case: Case):
        assert crawled.requests(path).count(path) == 1, crawled.requests(path)

    return check


# ---------------------------------------------------------------------------------------------
# the site


def build_cases(base: str, heavy: bool = True) -> tuple[list[Case], dict[str, Route]]:
    """Every case and the routes that serve it, for a site at `base` (heavy=False: skip building the bombs)."""
    bomb = gzip_bomb() if heavy else b"\x1f\x8b"
    rng = random.Random(20240207)
    routes: dict[str, Route] = {"/robots.txt": Route("User-agent: *\nAllow: /\n", content_type="text/plain")}
    cases: list[Case] = []
    listing_links: list[str] = []

    def control(slug: str) -> str:
        path = f"/a/ok-{slug}.html"
        routes[path] = Route(story(slug))
        return path

    def article_case(name, what, expect, check, route: Route | None = None, path: str | None = None, **kw):
        path = path or f"/a/{name}.html"
        if route is not None:
            routes[path] = route
        listing_links.append(path)
        cases.append(Case(name, what, expect, check, paths=[path], **kw))
        return path

    # --- feeds ----------------------------------------------------------------------------
    ok = control("feed-laughs")
    routes["/feeds/laughs.xml"] = Route(
        rss([base + ok, base + "/a/&lol9;.html"], laughs("rss")).replace(
            "<title>Hostile</title>", "<title>&lol9;</title>"
        ),
        content_type=RSS,
    )
    cases.append(
        Case(
            "feed-billion-laughs",
            "RSS feed whose DOCTYPE defines &lol9; (10^9 'lol's) used in its title and a link",
            "no expansion (expat's amplification limit stops it, feedparser's loose parse keeps the plain links); "
            "the control item is stored",
            all_of(container_ok("/feeds/laughs.xml", "feed"), control_stored(ok), no_expansion),
            paths=["/feeds/laughs.xml"],
        )
    )
    ok = control("feed-xxe")
    routes["/feeds/xxe.xml"] = Route(
        rss([base + ok, "&x;"], PASSWD_ENTITY).replace("<title>item</title>", "<title>&x;</title>", 1), content_type=RSS
    )
    cases.append(
        Case(
            "feed-xxe",
            'RSS feed with an external entity SYSTEM "file:///etc/passwd" in a title and a link',
            "the entity is never resolved (checked globally: no passwd line anywhere); the control item is stored",
            all_of(container_ok("/feeds/xxe.xml", "feed"), control_stored(ok)),
            paths=["/feeds/xxe.xml"],
        )
    )
    routes["/feeds/malformed.xml"] = Route(
        b"<?xml version='1.0'?><rss><channel><item><title>unterminated \x00\xff<<", content_type=RSS
    )
    cases.append(
        Case(
            "feed-malformed",
            "a feed that is broken XML with no readable item",
            "one failed fetch record: 'malformed feed: <parser message>'",
            container_failed("/feeds/malformed.xml", "feed", "malformed feed"),
            paths=["/feeds/malformed.xml"],
        )
    )
    ok = control("feed-schemes")
    routes["/feeds/schemes.xml"] = Route(rss([*ODD_SCHEMES, base + ok]), content_type=RSS)
    cases.append(
        Case(
            "feed-odd-schemes",
            "feed items linking to javascript:, mailto:, file:, data:, ftp:, about:, vbscript:",
            "none is requested (only http(s) on allowed hosts); the control item is stored",
            all_of(container_ok("/feeds/schemes.xml", "feed"), control_stored(ok)),
            paths=["/feeds/schemes.xml"],
        )
    )
    ok = control("feed-offsite")
    port = base.rsplit(":", 1)[1]
    routes["/feeds/offsite.xml"] = Route(
        rss(
            [
                f"http://localhost:{port}/a/offsite-feed.html",
                "http://127.0.0.2:1/a/offsite-feed.html",
                f"http://127.0.0.1.{port}.invalid/a/x.html",
                base + ok,
            ]
        ),
        content_type=RSS,
    )
    cases.append(
        Case(
            "feed-offsite-links",
            "feed items on hosts outside allowed_domains (localhost, 127.0.0.2, *.invalid)",
            "none is requested; the control item is stored",
            all_of(
                container_ok("/feeds/offsite.xml", "feed"), control_stored(ok), never_requested("/a/offsite-feed.html")
            ),
            paths=["/feeds/offsite.xml"],
        )
    )
    routes["/feeds/empty.xml"] = Route(b"", content_type=RSS)
    cases.append(
        Case(
            "feed-empty-200",
            "a feed answering 200 with an empty body",
            "one fetch record 'ok' with 0 bytes and no article requested",
            lambda c, case: (lambda rows: assert_equal([(r[0], r[1], r[4]) for r in rows], [("feed", "ok", 0)]))(
                c.fetches("/feeds/empty.xml")
            ),
            paths=["/feeds/empty.xml"],
        )
    )

    # --- sitemaps --------------------------------------------------------------------------
    ok = control("sm-laughs")
    routes["/sm/laughs.xml"] = Route(
        sitemap([base + "/a/&lol9;.html", base + ok]).replace("<urlset", laughs("urlset") + "<urlset", 1),
        content_type=XML,
    )
    cases.append(
        Case(
            "sitemap-billion-laughs",
            "sitemap whose DOCTYPE defines the billion laughs, used in a <loc>",
            "libxml2 refuses the expansion; the sitemap yields no URL (no expansion, no memory blow-up)",
            all_of(container_ok("/sm/laughs.xml", "sitemap"), no_expansion, never_requested(ok)),
            paths=["/sm/laughs.xml"],
        )
    )
    ok = control("sm-xxe")
    routes["/sm/xxe.xml"] = Route(
        sitemap([base + "/a/&x;", base + ok]).replace(
            "<urlset", PASSWD_ENTITY.replace(" r ", " urlset ") + "<urlset", 1
        ),
        content_type=XML,
    )
    cases.append(
        Case(
            "sitemap-xxe",
            'sitemap with an external entity SYSTEM "file:///etc/passwd" inside a <loc>',
            "the entity is not resolved (the <loc> becomes '/a/', not an article URL); the control is stored",
            all_of(container_ok("/sm/xxe.xml", "sitemap"), control_stored(ok)),
            paths=["/sm/xxe.xml"],
        )
    )
    ok = control("sm-index-child")
    routes["/sm/child.xml"] = Route(sitemap([base + ok]), content_type=XML)
    routes["/sm/index-self.xml"] = Route(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sm/index-self.xml</loc></sitemap><sitemap><loc>{base}/sm/index-self.xml?again=1</loc></sitemap>"
        f"<sitemap><loc>{base}/sm/child.xml</loc></sitemap></sitemapindex>",
        content_type=XML,
    )
    routes["/sm/index-self.xml?again=1"] = routes["/sm/index-self.xml"]
    cases.append(
        Case(
            "sitemap-index-includes-itself",
            "a sitemap index listing itself (and itself under another spelling) and one child",
            "the index is fetched once, the other spelling at most once (depth-bounded by max_depth), the child once; "
            "its article stored",
            all_of(
                requested_once("/sm/index-self.xml"),
                requested_once("/sm/child.xml"),
                control_stored(ok),
                lambda c, case: assert_le(len(c.requests("/sm/index-self.xml")), 2),
            ),
            paths=["/sm/index-self.xml"],
        )
    )
    routes["/sm/bomb.xml.gz"] = Route(bomb, content_type="application/x-gzip")
    cases.append(
        Case(
            "sitemap-gzip-bomb",
            f"a .xml.gz sitemap of {len(routes['/sm/bomb.xml.gz'].body):,} bytes that expands to {BOMB_EXPANDED >> 20} MB",
            "decompression stops at the 50 MB sitemap cap; one failed record 'sitemap body is not XML or is over the size cap'",
            container_failed("/sm/bomb.xml.gz", "sitemap", "over the size cap"),
            paths=["/sm/bomb.xml.gz"],
        )
    )
    routes["/sm/bomb-encoded.xml"] = Route(bomb, content_type=XML, headers={"Content-Encoding": "gzip"})
    cases.append(
        Case(
            "sitemap-gzip-bomb-content-encoding",
            f"a sitemap sent with Content-Encoding: gzip, {BOMB_EXPANDED >> 20} MB expanded",
            "Scrapy stops decompressing at max_download_bytes; one failed record naming DOWNLOAD_MAXSIZE",
            container_failed("/sm/bomb-encoded.xml", "sitemap", "DOWNLOAD_MAXSIZE"),
            paths=["/sm/bomb-encoded.xml"],
        )
    )
    ok = control("sm-malformed")
    routes["/sm/malformed.xml"] = Route(
        sitemap([base + ok]).replace("</urlset>", "").encode() + b"<url><loc>\x00\xff<<<garbage", content_type=XML
    )
    cases.append(
        Case(
            "sitemap-malformed",
            "a sitemap cut short with NUL and invalid bytes after its first <url>",
            "lxml's recovering parser keeps the readable <loc>: its article is stored, the garbage requests nothing",
            all_of(container_ok("/sm/malformed.xml", "sitemap"), control_stored(ok)),
            paths=["/sm/malformed.xml"],
        )
    )
    routes["/sm/not-xml.xml"] = Route("this is not a sitemap at all\n", content_type=XML)
    cases.append(
        Case(
            "sitemap-not-xml",
            "a sitemap URL answering plain text",
            "one failed record 'sitemap body is not XML or is over the size cap'",
            container_failed("/sm/not-xml.xml", "sitemap", "not XML"),
            paths=["/sm/not-xml.xml"],
        )
    )
    routes["/sm/empty.xml"] = Route(b"", content_type=XML)
    cases.append(
        Case(
            "sitemap-empty-200",
            "a sitemap answering 200 with an empty body",
            "one failed record 'sitemap body is not XML …'",
            container_failed("/sm/empty.xml", "sitemap", "not XML"),
            paths=["/sm/empty.xml"],
        )
    )
    routes["/sm/oversize.xml"] = Route(
        sitemap([f"{base}/a/huge-{i:07d}.html" for i in range(CAP // 40)]), content_type=XML
    )
    cases.append(
        Case(
            "sitemap-over-size-cap",
            f"a {len(routes['/sm/oversize.xml'].body):,}-byte sitemap, cap {CAP:,}",
            "the download is cancelled at the cap; one failed record; none of its URLs requested",
            all_of(
                container_failed("/sm/oversize.xml", "sitemap"),
                lambda c, case: assert_equal(c.requests("/a/huge-"), []),
            ),
            paths=["/sm/oversize.xml"],
        )
    )
    ok = control("sm-schemes")
    routes["/sm/schemes.xml"] = Route(
        sitemap([s.replace("&", "&amp;") for s in ODD_SCHEMES] + [base + ok]), content_type=XML
    )
    cases.append(
        Case(
            "sitemap-odd-schemes",
            "<loc>s with javascript:, mailto:, file:, data:, ftp:, about:, vbscript:",
            "none requested; the control stored",
            all_of(container_ok("/sm/schemes.xml", "sitemap"), control_stored(ok)),
            paths=["/sm/schemes.xml"],
        )
    )

    # --- listings --------------------------------------------------------------------------
    cases.append(
        Case(
            "listing-endless-pagination",
            "a listing whose rel=next pagination never ends",
            f"bounded: at most 1 + max_listing_pages ({MAX_LISTING_PAGES}) listing pages fetched",
            lambda c, case: assert_between(len(c.requests("/endless/")), 2, 1 + MAX_LISTING_PAGES),
            paths=["/endless/1.html"],
        )
    )
    ok = control("listing-nested")
    routes["/list/nested.html"] = Route(
        "<html><body>" + "<div>" * 100_000 + f'<a href="{ok}">deep link</a>' + "</div>" * 100_000 + "</body></html>"
    )
    cases.append(
        Case(
            "listing-nested-100k",
            "a listing page whose only link sits inside 100,000 nested <div>s",
            "parsed on the crawler's thread without crashing it; libxml2 drops what lies past its nesting "
            "limit, so the deep link is not seen (recorded 'ok', nothing requested) and the run goes on",
            all_of(container_ok("/list/nested.html", "listing"), never_requested(ok)),
            paths=["/list/nested.html"],
        )
    )
    long_ok = "/a/long-" + "x" * 1900 + ".html"
    routes[long_ok] = Route(story("long-url"))
    too_long = "/a/toolong-" + "y" * 10_000 + ".html"
    routes[too_long] = Route(story("too-long-url"))
    listing_links += [long_ok, too_long]
    cases.append(
        Case(
            "very-long-urls",
            "listing links of ~1,950 and ~10,000 characters",
            "the first (under the 2,048 limit) is fetched and stored; the second is skipped unrequested",
            all_of(stored(long_ok), never_requested(too_long)),
            paths=[long_ok],
        )
    )
    listing_links += ODD_SCHEMES + [
        f"http://localhost:{port}/a/offsite-listing.html",
        "//127.0.0.2:1/a/offsite-listing.html",
    ]
    cases.append(
        Case(
            "listing-odd-schemes-and-hosts",
            "listing links with javascript:, mailto:, file:, data: … and to other hosts",
            "none requested",
            never_requested("/a/offsite-listing.html", "/etc/passwd"),
        )
    )

    # --- articles --------------------------------------------------------------------------
    article_case(
        "gzip-bomb-article",
        f"an article with Content-Encoding: gzip expanding to {BOMB_EXPANDED >> 20} MB",
        "Scrapy stops at max_download_bytes while decompressing; failed record naming DOWNLOAD_MAXSIZE",
        failed_with("/a/gzip-bomb-article.html", "DOWNLOAD_MAXSIZE"),
        Route(bomb, headers={"Content-Encoding": "gzip"}),
    )
    article_case(
        "over-size-cap",
        f"a 3 MB article, max_download_bytes {CAP:,}",
        "download cancelled at the cap; failed record naming the size",
        failed_with("/a/over-size-cap.html", "size"),
        Route(article_html("Huge", ["x" * 3_000_000])),
    )
    article_case(
        "corrupt-gzip",
        "Content-Encoding: gzip on a body that is not gzip",
        "failed record (after Scrapy's retries) naming the decompression error",
        failed_with("/a/corrupt-gzip.html"),
        Route(b"this is not gzip data at all" * 10, headers={"Content-Encoding": "gzip"}),
    )
    article_case(
        "binary-as-html",
        "64 KB of random bytes served as text/html",
        "no_article: 'no article text found'",
        no_article("/a/binary-as-html.html", "no article"),
        Route(rng.randbytes(65536)),
    )
    article_case(
        "png-as-html",
        "a PNG image served as text/html; charset=utf-8",
        "no_article",
        no_article("/a/png-as-html.html"),
        Route(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + rng.randbytes(8192)),
    )
    article_case(
        "empty-200",
        "an article URL answering 200 with an empty body",
        "no_article",
        no_article("/a/empty-200.html", "no article"),
        Route(b""),
    )
    text_zh = "新疆举行网络研讨会介绍发展进步情况，来自多个国家的专家学者参加了会议。" * 6
    zh_page = article_html(
        "网络研讨会", [text_zh, "会议介绍了经济社会发展的最新成就和各项工作进展情况。" * 4], lang="zh", charset=None
    )
    utf8 = zh_page.encode("utf-8")
    article_case(
        "invalid-utf8",
        "a UTF-8 page (declared) with stray invalid bytes in its text",
        "stored; the bad bytes become U+FFFD; the fetch notes that the declared charset does not fit",
        stored("/a/invalid-utf8.html", contains="专家学者", reason="does not fit"),
        Route(utf8.replace("专家".encode(), b"\xff\xfe\xc3" + "专家".encode(), 1)),
    )
    article_case(
        "gbk-labelled-utf8",
        "GBK bytes with Content-Type charset=utf-8",
        "stored as correct Chinese (decoded as GB18030); the fetch notes the mismatch",
        stored("/a/gbk-labelled-utf8.html", contains=text_zh[:20], reason="does not fit"),
        Route(zh_page.encode("gbk"), content_type="text/html; charset=utf-8"),
    )
    article_case(
        "utf8-labelled-gbk",
        "UTF-8 bytes with Content-Type charset=gbk",
        "stored as correct Chinese (decoded as UTF-8); the fetch notes the mismatch",
        stored("/a/utf8-labelled-gbk.html", contains=text_zh[:20], reason="does not fit"),
        Route(utf8, content_type="text/html; charset=gbk"),
    )
    article_case(
        "no-article",
        "a page of navigation and footer only",
        "no_article: 'no article text found'",
        no_article("/a/no-article.html", "no article"),
        Route(
            "<html><head><title>Index</title></head><body><nav>"
            + "".join(f"<a href='/section/{i}'>S{i}</a>" for i in range(8))
            + "</nav><p>Search:</p><footer>Copyright</footer></body></html>"
        ),
    )
    article_case(
        "nested-100k",
        "an article inside 100,000 nested <div>s",
        "no_article (libxml2's depth limit); the extraction worker survives and later pages are stored",
        no_article("/a/nested-100k.html"),
        Route(
            "<html><head><title>Deep</title></head><body><article>"
            + "<div>" * 100_000
            + "<p>"
            + "Deep text sentence here. " * 20
            + "</p>"
            + "</div>" * 100_000
            + "</article></body></html>"
        ),
    )
    article_case(
        "xxe-in-html",
        'an article whose DOCTYPE declares SYSTEM "file:///etc/passwd" and uses it in its text',
        "stored without the entity's content (HTML parsing never resolves entities)",
        stored("/a/xxe-in-html.html", contains="ordinary article"),
        Route(story("xxe-in-html").replace("<!DOCTYPE html>", PASSWD_ENTITY).replace("</h1>", "</h1><p>&x;</p>")),
    )
    article_case(
        "canonical-file-scheme",
        "an article whose rel=canonical is file:///etc/passwd",
        "stored under its own URL (a canonical off the allowed domains is ignored)",
        stored("/a/canonical-file-scheme.html", contains="ordinary article"),
        Route(story("canonical").replace("</head>", '<link rel="canonical" href="file:///etc/passwd"></head>')),
    )
    article_case(
        "nul-bytes",
        "an article with NUL and other control characters in its text",
        "stored; the run goes on",
        stored("/a/nul-bytes.html", contains="ordinary article"),
        Route(story("nul").replace("without trouble", "without\x00 trouble\x01\x02\x1b")),
    )
    article_case(
        "octet-stream",
        "an HTML article served as application/octet-stream",
        "stored (the spider decodes bytes itself, whatever the Content-Type)",
        stored("/a/octet-stream.html", contains="ordinary article"),
        Route(story("octet"), content_type="application/octet-stream"),
    )
    # Redirects and refreshes towards local files must not be followed.
    for name, location in (
        ("redirect-to-file", "file:///etc/passwd"),
        ("redirect-to-data", "data:text/html,<p>root:x:0:0</p>"),
    ):
        routes[f"/a/{name}.html"] = Route(b"", status=302, headers={"Location": location})
        article_case(
            name,
            f"an article answering 302 to {location.split(',')[0]}",
            "not followed (Scrapy follows only http(s) redirects); failed record 'HTTP 302'",
            failed_with(f"/a/{name}.html", "HTTP 302"),
        )
    article_case(
        "meta-refresh-to-file",
        "an article whose <meta http-equiv=refresh> points at file:///etc/passwd",
        "the refresh is not followed to the file; the page is recorded (stored or failed), never the file",
        lambda c, case: assert_equal(len(c.fetches("/a/meta-refresh-to-file.html")), 1),
        Route(
            story("refresh").replace(
                "</head>", '<meta http-equiv="refresh" content="0; url=file:///etc/passwd"></head>'
            )
        ),
    )
    last = control("zz-after-everything")
    listing_links.append(last)
    cases.append(
        Case(
            "run-goes-on",
            "a healthy article linked after every hostile one",
            "stored: nothing before it stopped the run",
            stored(last),
            paths=[last],
        )
    )

    # --- the other two sources -------------------------------------------------------------
    routes["/big/sitemap.xml"] = Route(
        sitemap([f"{base}/big/a/{i}.html" for i in range(BIG_SITEMAP_ENTRIES)]), content_type=XML
    )
    for i in range(BIG_MAX_ARTICLES * 2):
        routes[f"/big/a/{i}.html"] = Route(story(f"big-{i}"))
    cases.append(
        Case(
            "sitemap-50000-entries",
            f"a {BIG_SITEMAP_ENTRIES:,}-entry sitemap (max_articles {BIG_MAX_ARTICLES})",
            f"parsed; exactly max_articles ({BIG_MAX_ARTICLES}) articles requested and stored",
            lambda c, case: (
                assert_equal(len(c.requests("/big/a/")), BIG_MAX_ARTICLES),
                assert_equal(
                    c.pipeline.scalar("SELECT count(*) FROM articles WHERE source = 'bigsitemap'"), BIG_MAX_ARTICLES
                ),
            ),
            source="bigsitemap",
            paths=["/big/sitemap.xml"],
        )
    )
    routes["/bigtext/list.html"] = Route('<html><body><a href="/bigtext/a/page.html">the big one</a></body></html>')
    big = (
        b"<html><head><title>Big</title></head><body><article><h1>Big</h1><p>"
        + b"word " * 4_000_000
        + b"</p></article></body></html>"
    )
    routes["/bigtext/a/page.html"] = Route(big)
    cases.append(
        Case(
            "text-node-20mb",
            "a 20 MB page that is one single-line text node (its source's cap: 25 MB)",
            "fetched whole and archived; no_article (libxml2 refuses a 20 MB text node); the run goes on",
            lambda c, case: (
                assert_equal(c.fetches("/bigtext/a/page.html")[0][:3], ("article", "no_article", 200)),
                assert_equal(c.fetches("/bigtext/a/page.html")[0][4], len(big)),
            ),
            source="bigtext",
            paths=["/bigtext/a/page.html"],
        )
    )
    routes["/list/main.html"] = Route(
        "<html><body><h1>All the cases</h1>"
        + "".join(f'<a href="{link}">case {i}</a> ' for i, link in enumerate(listing_links))
        + "</body></html>"
    )
    return cases, routes


def endless(path: str) -> Route | None:
    """/endless/N.html links to /endless/N+1.html, forever."""
    if path.startswith("/endless/") and path.endswith(".html"):
        n = int(path.removeprefix("/endless/").removesuffix(".html"))
        return Route(f'<html><body><p>page {n}</p><a rel="next" href="/endless/{n + 1}.html">next</a></body></html>')
    return None


def assert_equal(a, b):
    assert a == b, f"{a!r} != {b!r}"


def assert_le(a, b):
    assert a <= b, f"{a!r} > {b!r}"


def assert_between(a, low, high):
    assert low <= a <= high, f"{a!r} not in [{low}, {high}]"


CASE_NAMES = [c.name for c in build_cases("http://127.0.0.1:1", heavy=False)[0]]


def _crawl(folder):
    """The hostile site crawled once by its three sources, in parallel: (pipeline, the server's log)."""
    pipeline = module_pipeline(folder)
    with FaultyServer(plan=FaultPlan(), dynamic=endless) as server:
        cases, routes = build_cases(server.url)
        server.routes.update(routes)
        feeds = sorted(p for p in routes if p.startswith("/feeds/"))
        sitemaps = sorted(
            p for p in routes if p.startswith("/sm/") and p not in ("/sm/child.xml", "/sm/index-self.xml?again=1")
        )
        common = {"download_timeout": 5.0, "crawl_timeout": 120.0, "max_depth": 10}
        registry = (
            registry_entry(
                "hostile",
                server.url,
                feeds=[server.url + p for p in feeds],
                sitemaps=[server.url + p for p in sitemaps],
                listings=[server.url + p for p in ("/list/main.html", "/list/nested.html", "/endless/1.html")],
                listing_pattern=r"/endless/\d+\.html$",
                article_pattern=r"/a/[\w.-]+\.html$",
                max_download_bytes=CAP,
                max_listing_pages=MAX_LISTING_PAGES,
                **common,
            )
            + registry_entry(
                "bigsitemap",
                server.url,
                sitemaps=[server.url + "/big/sitemap.xml"],
                article_pattern=r"/big/a/\d+\.html$",
                max_articles=BIG_MAX_ARTICLES,
                max_download_bytes=10_000_000,
                **common,
            )
            + registry_entry(
                "bigtext",
                server.url,
                listings=[server.url + "/bigtext/list.html"],
                article_pattern=r"/bigtext/a/",
                max_download_bytes=25_000_000,
                **common,
            )
        )
        pipeline.use_registry(registry)
        crawl_in_parallel(pipeline)
        server.wait_idle()
        return pipeline, server.snapshot()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The crawl (shared by every pytest-xdist worker) and the cases, rebuilt here (their checks are closures)."""
    pipeline, log = shared_result(tmp_path_factory, "hostile", _crawl)
    cases = build_cases(log.url, heavy=False)[0]
    return Crawled(pipeline, log, log.url), {c.name: c for c in cases}


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case(crawled, name):
    crawl, cases = crawled
    case = cases[name]
    case.check(crawl, case)


def test_every_crawl_finished_within_its_limits(crawled):
    crawl, cases = crawled
    assert crawl.pipeline.failures == {}  # a crash or a crawl_timeout would be a failure here
    runs = dict(crawl.pipeline.query("SELECT source, status FROM crawl_runs"))
    assert runs == {"hostile": "complete", "bigsitemap": "complete", "bigtext": "complete"}


def test_no_request_left_loopback_or_the_allowed_host(crawled):
    crawl, cases = crawled
    hosts = {s.host for s in crawl.server.served()}
    assert hosts == {f"127.0.0.1:{crawl.server.port}"}
    errors = [e for (e,) in crawl.pipeline.query("SELECT error FROM fetches WHERE error IS NOT NULL")]
    assert not [e for e in errors if "refused" in e.lower() or "127.0.0.2" in e], errors
    assert crawl.pipeline.scalar("SELECT count(*) FROM fetches WHERE NOT starts_with(url, ?)", [crawl.base + "/"]) == 0


def test_no_local_file_was_read(crawled):
    crawl, cases = crawled
    assert PASSWD_MARK not in warehouse_strings(crawl.pipeline)
    assert data_contains(crawl.pipeline.settings.data, PASSWD_MARK.encode()) == []


def test_outcome_table(crawled):
    """Every hostile input the crawler requested got a recorded outcome of a known kind (run with -s
    to see each case's fetch records: the table in docs/reliability.md is made from them)."""
    crawl, cases = crawled
    requested, unrecorded = [], []
    for case in cases.values():
        rows = [r for path in case.paths for r in crawl.fetches(path)]
        print(f"{case.name}: {[(r[1], r[3]) for r in rows]}")
        for path in case.paths:
            if path in crawl.requests(path):
                requested.append(path)
                if not crawl.fetches(path):
                    unrecorded.append(f"{case.name}: {path}")
    assert len(requested) >= len(cases) // 2, requested  # most cases are fetched; the rest are refused links
    assert unrecorded == [], "requested but no outcome recorded"
    outcomes = {outcome for (outcome,) in crawl.pipeline.query("SELECT DISTINCT outcome FROM fetches")}
    assert outcomes <= {
        "ok",
        "failed",
        "article",
        "no_article",
        "extract_failed",
        "not_modified",
        "unchanged_body",
        "gone",
        "skipped",
    }, outcomes
