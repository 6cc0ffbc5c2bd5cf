"""`presswatch sources add` and `sources check` on the demo site, and their answers to bad input.

Real CLI subprocesses against loopback servers; generated entries are crawled for real.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date

import pytest

from crawlers.registry import DEFAULT_REGISTRY as ROOT_REGISTRY
from crawlers.registry import load_registry
from demo_site import DemoSite, demo_registry
from demo_site.content import BY_PATH, OUTLETS
from tests.conftest import crawl_in_parallel, make_pipeline, run_cli
from tests.servers import Route, StaticSite, article_html


def add(registry, url, *extra):
    return run_cli("--sources", str(registry), "sources", "add", url, "--delay", "0", *extra)


@pytest.fixture(scope="module")
def demo():
    with DemoSite(port=0) as site:
        yield site


@pytest.fixture(scope="module")
def generated(demo, tmp_path_factory):
    """Every demo outlet added from its home page with --write into one fresh registry."""
    registry = tmp_path_factory.mktemp("generated") / "sources.toml"
    outputs = {}
    for name, outlet in OUTLETS.items():
        result = add(registry, demo.base_url + outlet.home, "--write")
        assert result.returncode == 0, result.stderr
        outputs[name] = result
    return registry, outputs


def article_urls(pipeline, name):
    rows = pipeline.query("select canonical_url from articles where source = ? order by 1", [name])
    return {row[0] for row in rows}


def test_add_writes_entries_that_validate(generated, demo):
    registry, outputs = generated
    loaded = load_registry(registry)
    assert [s.name for s in loaded.sources] == list(OUTLETS)
    for source in loaded.sources:
        assert source.label == OUTLETS[source.name].label
        assert source.language == OUTLETS[source.name].language
        assert source.allowed_domains == ("127.0.0.1",)
        assert source.verified is False
    by_name = {s.name: s for s in loaded.sources}
    base = demo.base_url
    assert by_name["chinadaily"].feeds == (f"{base}/chinadaily/rss/china_rss.xml",)
    assert by_name["unnews"].feeds == (f"{base}/unnews/feed/rss.xml",)
    assert by_name["xinhua"].sitemaps == (f"{base}/xinhua/sitemap_index.xml",)
    assert by_name["globaltimes"].listings == (f"{base}/globaltimes/china/index.html",)
    assert by_name["xjgov"].listings == (f"{base}/xjgov/xwfb/index.html",)
    assert by_name["xjgov"].listing_pattern and re.search(
        by_name["xjgov"].listing_pattern, f"{base}/xjgov/xwfb/index_1.html"
    )
    # The shared host's other outlets stay out: robots.txt's Xinhua sitemap is not China Daily's.
    assert not by_name["chinadaily"].sitemaps
    assert "left out sitemap" in outputs["chinadaily"].stderr


def test_add_reports_pattern_coverage_shapes_and_samples(generated):
    _, outputs = generated
    err = outputs["xjgov"].stderr
    assert "covers 2 of 2 sampled articles" in err
    assert "-   20  127.0.0.1/xjgov/info/d+.html  not an article: HTTP 404" in err
    assert "sample articles (3):" in err
    assert "自治区召开新闻发布会回应人权理事会涉疆言论" in err  # the GBK page read right, without a charset header
    assert "2021-03-10 · zh · gb18030" in err
    out = outputs["xjgov"].stdout
    assert out.startswith("# Proposed by `presswatch sources add")
    assert "[[sources]]" in out and "article_pattern = " in out and "download_delay = 0.0" in out


def test_generated_entries_crawl_the_same_articles_as_the_hand_written_ones(generated, demo, demo_story, tmp_path):
    registry, _ = generated
    hand = demo_story.copy("stage1", tmp_path / "hand")  # the hand-written registry's crawl, on the story's site
    (tmp_path / "made").mkdir()
    made = make_pipeline(tmp_path / "made").use_registry(registry.read_text(encoding="utf-8"))
    crawl_in_parallel(made, workers=len(OUTLETS))
    assert not made.failures
    articles = set(BY_PATH)
    for name in OUTLETS:
        expected = {url.removeprefix(demo_story.base_url()) for url in article_urls(hand, name)}
        found = {url.removeprefix(demo.base_url) for url in article_urls(made, name)}
        assert expected, name
        assert found == expected, name
        assert found <= articles, f"{name}: a listing or section page was stored as an article"


def test_add_refuses_a_duplicate_name(generated, demo):
    registry, _ = generated
    before = registry.read_text(encoding="utf-8")
    result = add(registry, demo.base_url + "/unnews/", "--write")
    assert result.returncode == 2
    assert "already has a source named 'unnews'" in result.stderr
    assert "Traceback" not in result.stderr
    assert registry.read_text(encoding="utf-8") == before


def test_check_passes_the_demo_registry_and_writes_the_date(demo, tmp_path):
    registry = tmp_path / "sources.toml"
    registry.write_text("# the demo outlets\n" + demo_registry(demo.base_url), encoding="utf-8")
    result = run_cli("--sources", str(registry), "sources", "check", "--write")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in OUTLETS:
        assert f"{name}: PASS" in result.stdout
    today = date.today().isoformat()
    text = registry.read_text(encoding="utf-8")
    assert text.startswith("# the demo outlets\n")
    assert text.count(f'verified = "{today}"') == len(OUTLETS)
    assert all(s.verified == today for s in load_registry(registry).sources)
    listing = run_cli("--sources", str(registry), "sources", "--format", "json")
    assert listing.returncode == 0, listing.stderr
    assert f'"verified": "{today}"' in listing.stdout


def test_check_names_the_problem_in_broken_entries(demo, tmp_path):
    base = demo.base_url
    text = demo_registry(base)
    text = text.replace(f"{base}/chinadaily/rss/china_rss.xml", f"{base}/chinadaily/rss/gone.xml")
    text = text.replace(r"/unnews/story/\\d{4}/\\d{2}/\\d+(?:[?#]|$)", r"/unnews/nothing/\\d+$")
    text = text.replace(f"{base}/globaltimes/china/index.html", f"{base}/globaltimes/china/gone.html")
    registry = tmp_path / "sources.toml"
    registry.write_text(text, encoding="utf-8")
    assert tomllib.loads(text)  # still a valid registry: only the site disagrees
    result = run_cli("--sources", str(registry), "sources", "check", "--write")
    assert result.returncode == 1
    out = result.stdout
    assert "Traceback" not in result.stderr
    assert f"fix: feed {base}/chinadaily/rss/gone.xml: HTTP 404" in out
    assert f"fix: listing {base}/globaltimes/china/gone.html: HTTP 404" in out
    assert "fix: article_pattern matches none of the 6 URLs discovered (main shapes: 127.0.0.1/unnews/story/" in out
    assert "xinhua: PASS" in out and "xjgov: PASS" in out
    verified = {s.name: s.verified for s in load_registry(registry).sources}
    assert verified["xinhua"] == date.today().isoformat()
    assert verified["chinadaily"] is False and verified["unnews"] is False  # unchanged: not verified


# Bad input: one line, the right exit status, never a traceback.


def _closed_port() -> int:
    """A loopback port nothing listens on once the probe socket is closed."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fails(result, status, *phrases):
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr


def test_add_down_host(tmp_path):
    _fails(add(tmp_path / "s.toml", f"http://127.0.0.1:{_closed_port()}/"), 1, "does not answer")


def test_add_non_html(tmp_path):
    with StaticSite({"/": Route(b"%PDF-1.4 ...", content_type="application/pdf")}) as site:
        _fails(add(tmp_path / "s.toml", site.url + "/"), 1, "answers application/pdf, not an HTML page")


def test_add_off_site_redirect(tmp_path):
    with StaticSite({"/": Route(status=302, headers={"Location": "http://example.com/news/"})}) as site:
        _fails(
            add(tmp_path / "s.toml", site.url + "/"),
            1,
            "redirects off the site to http://example.com/news/; not followed",
        )


def test_add_robots_disallow_is_reported_not_crawled(tmp_path):
    routes = {
        "/robots.txt": Route("User-agent: *\nDisallow: /\n", content_type="text/plain"),
        "/": Route(article_html("Home", ["Welcome."])),
    }
    with StaticSite(routes) as site:
        _fails(add(tmp_path / "s.toml", site.url + "/"), 1, "forbids crawling")
        assert site.paths() == ["/robots.txt"]


def test_add_no_articles(tmp_path):
    home = article_html("Home", ['<a href="/about/">About</a> <a href="/team-1">Team</a> <a href="/team-2">Team</a>'])
    routes = {
        "/": Route(home),
        "/about/": Route(article_html("About", ["Short."])),
        "/team-1": Route(article_html("Team", ["Short."])),
        "/team-2": Route(article_html("Team", ["Short."])),
    }
    with StaticSite(routes) as site:
        _fails(add(tmp_path / "s.toml", site.url + "/"), 1, "extracted as an article")


def test_add_bad_usage(tmp_path):
    _fails(run_cli("sources", "add", "ftp://example.org/"), 2, "is not a web address")
    _fails(run_cli("sources", "add", "http://127.0.0.1:9/", "--name", "Bad Name"), 2, "must be a lower-case slug")


def test_check_reports_a_down_site_and_robots_refusals(tmp_path):
    from tests.servers import registry_entry

    routes = {
        "/robots.txt": Route("User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
        "/private/feed.xml": Route("<rss/>", content_type="application/rss+xml"),
    }
    with StaticSite(routes) as site:
        down = f"http://127.0.0.1:{_closed_port()}"
        registry = tmp_path / "sources.toml"
        registry.write_text(
            registry_entry("down", down, feeds=[f"{down}/feed.xml"], article_pattern="/a/\\d+$")
            + registry_entry("forbidden", site.url, feeds=[f"{site.url}/private/feed.xml"], article_pattern="/a/\\d+$"),
            encoding="utf-8",
        )
        result = run_cli("--sources", str(registry), "sources", "check")
        assert "/private/feed.xml" not in site.paths()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert (
        f"fix: feed {down}/feed.xml: does not answer (connection refused): the site could not be reached"
        in result.stdout
    )
    assert f"fix: robots.txt forbids {site.url}/private/feed.xml: remove it from the entry" in result.stdout


def test_verified_date_is_written_in_place_keeping_comments(tmp_path):
    from crawlers.onboard.entry import set_verified

    registry = tmp_path / "sources.toml"
    text = (
        ROOT_REGISTRY.read_text(encoding="utf-8")
        + '\n[[sources]]\nname = "last"\nlabel = "Last"\nlanguage = "en"\nallowed_domains = ["x.org"]\n'
        'feeds = ["http://x.org/f"]\narticle_pattern = "/a/"\nrevisit = [\n  ["2d", "0s"],\n  ["inf", "1d"],\n]\n'
        "verified = false  # set by the check\n"
    )
    registry.write_text(text, encoding="utf-8")
    set_verified(registry, ["unnews", "last"], date(2026, 12, 1))
    after = registry.read_text(encoding="utf-8")
    assert 'verified = "2026-12-01"  # set by the check\n' in after
    assert (
        after.replace('verified = "2026-12-01"\n', "", 1).replace(
            'verified = "2026-12-01"  # set by the check', "verified = false  # set by the check"
        )
        == text
    )
    verified = {s.name: s.verified for s in load_registry(registry).sources}
    assert verified["unnews"] == verified["last"] == "2026-12-01" and verified["chinadaily"] is False


def test_verified_date_of_an_entry_without_the_key_goes_under_its_name_not_the_next_entrys_comments(tmp_path):
    from crawlers.onboard.entry import set_verified

    registry = tmp_path / "sources.toml"
    text = ROOT_REGISTRY.read_text(encoding="utf-8")
    registry.write_text(text, encoding="utf-8")
    set_verified(registry, ["chinadaily"], date(2026, 12, 1))
    after = registry.read_text(encoding="utf-8")
    assert after == text.replace('name = "chinadaily"\n', 'name = "chinadaily"\nverified = "2026-12-01"\n', 1)
