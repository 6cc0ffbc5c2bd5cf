"""The bundled registry checked against saved real pages of its outlets, through `sources check`.

The pages in ../shared/fixtures/real are served on loopback under their original host and path
(tests/fixture_site.py); `check_source` reads them through a Fetcher whose `resolve` table sends
those hosts there. Feeds, listings and sitemaps were not saved, so those answer 404 here and
only the article side is checked: what sources.toml's comments say per entry.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from crawlers.onboard.check import check_source, make_fetcher
from crawlers.onboard.discover import read_sitemap
from crawlers.onboard.fetch import Fetcher
from crawlers.registry import load_registry
from crawlers.urls import host_allowed
from tests.conftest import real_fixture
from tests.fixture_site import FixtureSite

CHINADAILY = "chinadaily/china_chinadaily_WS65571297a310d5acd876f404.html"
SAVED = {
    "chinadaily": {
        "https://china.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html": CHINADAILY,
        # The same saved page under the English edition's host: the shape and extraction, checked.
        "https://www.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html": CHINADAILY,
    },
    "xinhua": {
        "http://news.xinhuanet.com/english/2007-11/24/content_7138034.htm": "xinhua/xinhuanet_english_content_7138034.html",
        "http://news.xinhuanet.com/english/2007-12/29/content_7338300.htm": "xinhua/xinhuanet_english_content_7338300.html",
        "http://news.xinhuanet.com/english/2008-01/08/content_7382664.htm": "xinhua/xinhuanet_english_content_7382664.html",
        "http://news.xinhuanet.com/english/2008-01/11/content_7404845.htm": "xinhua/xinhuanet_english_content_7404845.html",
        "http://news.xinhuanet.com/english/2008-01/13/content_7414867.htm": "xinhua/xinhuanet_english_content_7414867.html",
        "http://www.news.cn/fortune/2023-11/17/c_1129981476.htm": "xinhua/news_cn_fortune_c_1129981476.html",
        "http://www.xinhuanet.com/world/2019-12/10/c_1125327450.htm": "xinhua/xinhuanet_world_c_1125327450.html",
    },
    "peoples_daily": {
        "http://english.people.com.cn/90001/90777/90852/6329279.html": "people/english_people_com_cn_6329279.html",
    },
    "unnews": {
        "http://www.un.org/apps/news/story.asp?NewsID=25318&Cr=kosovo&Cr1=": "un_news/un_org_news_story_NewsID_25318.html",
    },
}
# What each check must find: articles that extract, and those left out on purpose (and why).
EXTRACTS = {
    "chinadaily": ["https://www.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html"],
    "xinhua": [u for u in SAVED["xinhua"] if "/english/" in u],
    "peoples_daily": list(SAVED["peoples_daily"]),
    "unnews": [],
}
LEFT_OUT = {
    "chinadaily": {"https://china.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html": "does not match"},
    "xinhua": {
        "http://www.news.cn/fortune/2023-11/17/c_1129981476.htm": "not on allowed_domains",
        "http://www.xinhuanet.com/world/2019-12/10/c_1125327450.htm": "does not match",
    },
    "peoples_daily": {},
    "unnews": {"http://www.un.org/apps/news/story.asp?NewsID=25318&Cr=kosovo&Cr1=": "not on allowed_domains"},
}


@pytest.mark.parametrize("name", list(SAVED))
def test_bundled_entry_against_saved_pages(name):
    source = load_registry().get(name)
    pages = {url: (real_fixture(path), None) for url, path in SAVED[name].items()}
    with FixtureSite(pages) as site:
        hosts = [urlsplit(u).hostname for u in source.feeds + source.sitemaps + source.listings]
        fetcher = make_fetcher(source, site.resolve(*hosts))
        fetcher.delay = 0.0
        result = check_source(source, fetcher, articles=tuple(SAVED[name]))
    lines = {line.url: line for line in result.lines if line.kind == "article"}
    for url in EXTRACTS[name]:
        assert lines[url].ok, (url, lines[url].detail)
        assert "(19" not in lines[url].detail and "None," not in lines[url].detail  # a real date
    for url, why in LEFT_OUT[name].items():
        assert not lines[url].ok and why in lines[url].detail, (url, lines[url].detail)
    # Everything else failed only because it was not saved: the discovery URLs answer 404 here.
    discovery = {line.url for line in result.lines if line.kind in ("feed", "sitemap", "listing")}
    assert discovery == set(source.feeds + source.sitemaps + source.listings)
    assert all(line.detail == "HTTP 404" for line in result.lines if line.url in discovery)
    assert len(result.problems) == len(discovery) + len(LEFT_OUT[name])


def test_every_bundled_entry_is_consistent():
    """What can be checked of the entries with no saved page: discovery URLs on the site, none an article."""
    for source in load_registry().sources:
        for url in source.feeds + source.sitemaps + source.listings:
            assert host_allowed(url, source.allowed_domains), (source.name, url)
            assert not source.matches_article(url), (source.name, url)
        assert source.verified is False, "no entry was verified live from here"


def test_chinese_edition_pages_stay_out_of_the_english_china_daily_entry():
    source = load_registry().get("chinadaily")
    assert source.matches_article("https://www.chinadaily.com.cn/a/202102/08/WS601f5a2fa31024ad0baa7b6f.html")
    assert source.matches_article("https://global.chinadaily.com.cn/a/202102/08/WS601f5a2fa31024ad0baa7b6f.html")
    assert not source.matches_article("https://cn.chinadaily.com.cn/a/202102/08/WS601f5a2fa31024ad0baa7b6f.html")
    assert not source.matches_article("https://china.chinadaily.com.cn/a/202311/17/WS65571297a310d5acd876f404.html")


def test_gbk_page_without_charset_header_reads_right():
    path = real_fixture("encoding_gbk/money_163_com_gbk_article.html")
    url = "http://money.163.com/12/0709/08/85I2JMKP00253B0H.html"
    with FixtureSite({url: (path, "text/html")}) as site:
        fetcher = Fetcher(("163.com",), delay=0.0, resolve=site.resolve())
        page = fetcher.get(url)
    assert page.decoded.encoding == "gb18030"
    assert "\ufffd" not in page.text


@pytest.mark.parametrize(
    "saved", ["sitemaps_other/shinpaideshou_news_sitemap.xml", "sitemaps_other/hebdenbridgetimes_articles_sitemap.xml"]
)
def test_real_sitemaps_parse(saved):
    path = real_fixture(saved)
    url = "http://www.example.org/sitemap.xml"
    with FixtureSite({url: (path, "application/xml")}) as site:
        found = read_sitemap(Fetcher(("example.org",), delay=0.0, resolve=site.resolve()), url)
    assert found.ok and len(found.links) == path.read_text(encoding="utf-8").count("<loc>"), found.error
