"""Faults on the wire: every article ends in the warehouse once, or in `fetches` as failed with its reason.

Two sources of one registry crawl one faulty loopback server at once:

* `faulty`: 200 articles behind a sitemap; each request for an article has, decided per path and
  attempt from a seed, a 10 % chance of an HTTP error (500, 502, 503 or 429 with Retry-After),
  5 % of a stall past the 2 s download timeout and 5 % of a truncated body (Content-Length larger
  than what is sent, then close). A quarter of the faulty pages fail the same way on every
  attempt, so some articles exhaust Scrapy's retries (RETRY_TIMES 2: three attempts).
* `zoo`: one article per remaining kind of fault, each with a fixed plan (reset once or always,
  a wrong Content-Length, redirect loops, redirects off the allowed domains, a soft 404...).

The server's log says what happened to every request; the warehouse must agree with it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest

from tests.conftest import crawl_in_parallel
from tests.reliability import faulty_server as fs
from tests.reliability.conftest import module_pipeline, shared_result
from tests.reliability.faulty_server import FaultPlan, FaultyServer
from tests.servers import Route, article_html, registry_entry

SEED = 20210208
ARTICLES = 200
RATES = {
    fs.HTTP_500: 0.025,
    fs.HTTP_502: 0.025,
    fs.HTTP_503: 0.025,
    fs.RATE_LIMITED: 0.025,
    fs.STALL: 0.05,
    fs.TRUNCATE: 0.05,
}
STICKY = 0.25
DOWNLOAD_TIMEOUT = 2.0
ATTEMPTS = 3  # Scrapy's RETRY_TIMES = 2 (crawlers/settings.py): the first try and two retries
# What the spider records as the reason when the last attempt met each fault.
REASONS = {
    fs.HTTP_500: "HTTP 500",
    fs.HTTP_502: "HTTP 502",
    fs.HTTP_503: "HTTP 503",
    fs.RATE_LIMITED: "HTTP 429",
    fs.STALL: "timed out",
    fs.TRUNCATE: "ResponseDataLossError",
}


def news_page(i: int) -> str:
    return article_html(
        f"Dispatch number {i}",
        [
            f"Dispatch {i} reports on the day's events in the region, with quotes from officials and residents alike.",
            f"The second paragraph of dispatch {i} gives figures: {i * 7} visitors, {i * 3} new projects, {i + 11} meetings.",
            "A closing paragraph explains what happens next and when the next report is expected to be published.",
        ],
    )


def zoo_page(name: str) -> str:
    # Chinese text makes "characters, not bytes" Content-Length bugs cut real content.
    return article_html(
        f"Zoo case {name} 新闻",
        [
            f"The zoo case {name} is an ordinary article served by a misbehaving server 服务器出错了。",
            "Its text is long enough for the extractor to keep it as the main content of the page 这是正文。",
            "The last paragraph closes the article with one more sentence of plain text 最后一段。",
        ],
    )


# name -> (fixed plan for /zoo/NAME.html, expected outcome, reason words or None, xfail reason or None)
ZOO = {
    "reset-once": ([fs.RESET], "article", None, None),
    "reset-always": (fs.RESET, "failed", "ConnectionLost", None),
    "wrong-length": ([fs.WRONG_LENGTH], "article", None, None),
    "http-503-then-ok": ([fs.HTTP_503, fs.HTTP_503], "article", None, None),
    "http-429-then-ok": ([fs.RATE_LIMITED], "article", None, None),
    "http-429-always": (fs.RATE_LIMITED, "failed", "HTTP 429", None),
    "stall-always": (fs.STALL, "failed", "timed out", None),
    "truncate-always": (fs.TRUNCATE, "failed", "ResponseDataLossError", None),
    "soft-404": (fs.SOFT_404, "no_article", "no article text found", None),
    "redirect-loop": (fs.REDIRECT_LOOP, "failed", "max redirections", None),
    "redirect-ping": ("redirect:/zoo/redirect-pong.html", "failed", "redirect", None),
    "redirect-pong": ("redirect:/zoo/redirect-ping.html", "failed", "redirect", None),
    "redirect-offsite": (fs.REDIRECT_OFFSITE, "failed", "allowed domains", None),
    "redirect-other-host": (fs.REDIRECT_OTHER_HOST, "failed", "allowed domains", None),
}


def _exempt(path: str) -> bool:
    return not path.startswith("/news/")


def _crawl(folder):
    """Both sources crawled once, in parallel: (pipeline, the server's log, load results)."""
    pipeline = module_pipeline(folder)
    routes = {"/robots.txt": Route("User-agent: *\nAllow: /\n", content_type="text/plain")}
    routes.update({f"/news/{i:03d}.html": Route(news_page(i)) for i in range(ARTICLES)})
    routes.update({f"/zoo/{name}.html": Route(zoo_page(name)) for name in ZOO})
    plan = FaultPlan(
        seed=SEED,
        rates=RATES,
        sticky=STICKY,
        exempt=_exempt,
        fixed={f"/zoo/{name}.html": spec[0] for name, spec in ZOO.items()},
    )
    with FaultyServer(routes, plan, stall_seconds=DOWNLOAD_TIMEOUT + 1.5) as server:
        base = server.url
        server.routes["/sitemap.xml"] = Route(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{base}/news/{i:03d}.html</loc></url>" for i in range(ARTICLES))
            + "</urlset>",
            content_type="application/xml",
        )
        server.routes["/zoo/feed.xml"] = Route(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>zoo</title>'
            + "".join(f"<item><title>{n}</title><link>{base}/zoo/{n}.html</link></item>" for n in ZOO)
            + "</channel></rss>",
            content_type="application/rss+xml",
        )
        common = {"download_timeout": DOWNLOAD_TIMEOUT, "crawl_timeout": 120.0, "max_articles": 500}
        pipeline.use_registry(
            registry_entry(
                "faulty", base, sitemaps=[base + "/sitemap.xml"], article_pattern=r"/news/\d+\.html$", **common
            )
            + registry_entry(
                "zoo",
                base,
                feeds=[base + "/zoo/feed.xml"],
                article_pattern=r"/zoo/[\w-]+\.html$",
                concurrency=2,
                **common,
            )
        )
        results = crawl_in_parallel(pipeline, workers=2)
        assert server.wait_idle(timeout=DOWNLOAD_TIMEOUT + 5)
        return pipeline, server.snapshot(("/news/", "/zoo/")), results


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    return shared_result(tmp_path_factory, "faults", _crawl)


def _sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _news_accounts(pipeline, server):
    """Per article path: what the server did on each attempt, and what the warehouse holds."""
    base = server.url
    versions = {
        url: (n, hashes)
        for url, n, hashes in pipeline.query(
            "SELECT canonical_url, count(*), list(raw_hash) FROM article_versions WHERE source = 'faulty' GROUP BY 1"
        )
    }
    fetched = {}
    for url, outcome, error in pipeline.query(
        "SELECT url, outcome, error FROM fetches WHERE kind = 'article' AND source = 'faulty'"
    ):
        fetched.setdefault(url, []).append((outcome, error))
    accounts = {}
    for i in range(ARTICLES):
        path = f"/news/{i:03d}.html"
        accounts[path] = (server.served(path), versions.get(base + path), fetched.get(base + path, []))
    return accounts


def test_every_article_is_stored_once_or_failed_with_its_reason(crawl):
    pipeline, server, _ = crawl
    assert pipeline.failures == {}
    lost, twice, wrong = [], [], []
    for path, (served, version, fetched) in _news_accounts(pipeline, server).items():
        answered = [s for s in served if s.fault is None and s.status == 200]
        if len(fetched) != 1:
            (lost if not fetched else twice).append((path, fetched))
            continue
        outcome, error = fetched[0]
        if answered:
            if outcome != "article" or version is None or version[0] != 1:
                wrong.append((path, "answered, not stored once", outcome, error, version))
            elif version[1] != [_sha(server.expected_body(path))]:
                wrong.append((path, "stored bytes differ from the page", version[1]))
        else:
            last = served[-1].fault
            if outcome != "failed" or version is not None or REASONS[last] not in (error or ""):
                wrong.append((path, f"never answered (last fault {last}), recorded as", outcome, error, version))
    assert lost == [] and twice == [] and wrong == [], (lost, twice, wrong)


def test_a_truncated_body_never_becomes_a_version(crawl):
    pipeline, server, _ = crawl
    cut = {s.body_sha256 for s in server.served() if s.fault == fs.TRUNCATE}
    assert cut, "the seed injected no truncation"
    stored = {h for (h,) in pipeline.query("SELECT raw_hash FROM article_versions")}
    assert not cut & stored


def _timeout_retries(pipeline, source: str) -> int:
    """How many times the crawl of `source` retried a request after its download timeout (the batch's manifest)."""
    counts = Counter()
    for manifest in pipeline.settings.loaded.glob(f"*{source}*/manifest.json"):
        counts.update(json.loads(manifest.read_text())["retries"])
    return sum(n for reason, n in counts.items() if "TimeoutError" in reason)


def test_retries_are_bounded(crawl):
    pipeline, server, _ = crawl
    per_path = Counter(s.path for s in server.served() if s.path.startswith("/news/"))
    # Twisted's connection pool silently retries a GET once when a reused connection drops.
    assert max(per_path.values()) <= ATTEMPTS * 2
    stalls_retried, good_fetched_again = 0, []
    for path in per_path:
        served = server.served(path)
        stalls_retried += sum(s.fault == fs.STALL for s in served[:-1])
        good_fetched_again += [path for s in served[:-1] if s.fault is None]
    # A good answer is fetched again only when it reached the client after its download timeout (a busy
    # machine): Scrapy counts those timeouts, and every one beyond the stalls' is such an answer.
    assert len(good_fetched_again) <= _timeout_retries(pipeline, "faulty") - stalls_retried, good_fetched_again


def _zoo(pipeline, server, name):
    url = f"{server.url}/zoo/{name}.html"
    return (
        pipeline.query("SELECT outcome, error FROM fetches WHERE url = ?", [url]),
        pipeline.query("SELECT raw_hash FROM article_versions WHERE canonical_url = ?", [url]),
    )


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(reason=spec[3], strict=True)) if spec[3] else name
        for name, spec in ZOO.items()
    ],
)
def test_zoo_fault_has_a_clear_outcome(crawl, name):
    pipeline, server, _ = crawl
    _, expected, words, _ = ZOO[name]
    fetched, versions = _zoo(pipeline, server, name)
    assert len(fetched) == 1, f"{name}: expected one fetch record, got {fetched}"
    outcome, error = fetched[0]
    assert outcome == expected, (name, outcome, error)
    if words:
        assert words.lower() in (error or "").lower(), (name, error)
    assert len(versions) == (1 if expected == "article" else 0)


def test_a_short_content_length_stores_what_was_declared_and_spoils_nothing_else(crawl):
    """The server counts characters, not bytes: the client keeps the declared bytes, nothing more.

    HTTP cannot tell such a response from a complete one; what matters is that the surplus bytes
    left on the connection never become (part of) another response.
    """
    pipeline, server, _ = crawl
    (sent,) = [s for s in server.served("/zoo/wrong-length.html") if s.fault == fs.WRONG_LENGTH]
    _, versions = _zoo(pipeline, server, "wrong-length")
    assert versions == [(sent.body_sha256,)]
    for name, spec in ZOO.items():
        if name != "wrong-length" and spec[1] == "article":
            _, versions = _zoo(pipeline, server, name)
            assert versions == [(_sha(server.expected_body(f"/zoo/{name}.html")),)], name


def test_redirects_never_leave_the_allowed_host(crawl):
    pipeline, server, _ = crawl
    assert {s.host for s in server.served()} == {f"127.0.0.1:{server.port}"}  # never via `localhost`
    errors = [e for (e,) in pipeline.query("SELECT error FROM fetches WHERE error IS NOT NULL")]
    assert not [e for e in errors if "refused" in e.lower()], errors  # nothing tried 127.0.0.2:1
    loops = [s.path for s in server.served() if s.path.startswith("/zoo/redirect-loop.html")]
    assert len(loops) == 1 + 5  # the first request and REDIRECT_MAX_TIMES (crawlers/settings.py) redirects


def test_figures(crawl):
    """The figures docs/reliability.md quotes (run with -s to print them)."""
    pipeline, server, _ = crawl
    news = [s for s in server.served() if s.path.startswith("/news/")]
    faults = Counter(s.fault for s in news if s.fault)
    captured = pipeline.scalar("SELECT count(*) FROM articles WHERE source = 'faulty'")
    failed = pipeline.query(
        "SELECT error, count(*) FROM fetches WHERE source = 'faulty' AND outcome = 'failed' GROUP BY 1 ORDER BY 2 DESC"
    )
    duplicates = pipeline.scalar(
        "SELECT count(*) FROM (SELECT canonical_url FROM article_versions GROUP BY 1 HAVING count(*) > 1)"
    )
    accounted = captured + sum(n for _, n in failed)
    gaps = [
        b.at - a.at
        for a, b in zip(server.served("/zoo/http-429-then-ok.html"), server.served("/zoo/http-429-then-ok.html")[1:])
    ]
    print(
        f"\nfaulty site: {ARTICLES} articles, {len(news)} article requests, faults injected {dict(faults)} "
        f"({sum(faults.values())} in all), captured {captured}, failed {failed}, duplicates {duplicates}, "
        f"lost {ARTICLES - accounted}; retry after 429 (Retry-After: {server.retry_after}) came {gaps[0]:.2f}s later"
    )
    assert duplicates == 0 and accounted == ARTICLES
    assert faults[fs.STALL] and faults[fs.TRUNCATE] and failed  # the seed exercises every path
