"""URL identity: one spelling per page."""

import pytest

from crawlers.urls import BadURL, canonical_url, host_allowed, normalise_url


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("HTTP://WWW.ChinaDaily.COM.cn/a/202102/08/WS1.html", "http://www.chinadaily.com.cn/a/202102/08/WS1.html"),
        ("https://news.un.org/en/story/2021/02/1084512#comments", "https://news.un.org/en/story/2021/02/1084512"),
        ("https://x.org/a?utm_source=rss&utm_medium=feed&id=7&fbclid=abc", "https://x.org/a?id=7"),
        ("https://x.org/a?b=2&a=1", "https://x.org/a?a=1&b=2"),
        ("http://x.org:80/a", "http://x.org/a"),
        ("https://x.org", "https://x.org/"),
        ("https://x.org/a b", "https://x.org/a%20b"),
    ],
)
def test_spellings_of_one_page_normalise_to_one_url(raw, expected):
    assert normalise_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "mailto:press@un.org",
        "file:///etc/passwd",
        "data:text/html,hi",
        "ftp://x.org/a",
        "http://",
        "https://x.org/" + "a" * 3000,
    ],
)
def test_links_presswatch_never_fetches_are_refused(raw):
    with pytest.raises(BadURL):
        normalise_url(raw)


def test_allowed_domains_include_subdomains_only():
    assert host_allowed("https://english.news.cn/x", ["news.cn"])
    assert host_allowed("https://news.cn/x", ["news.cn"])
    assert not host_allowed("https://fakenews.cn/x", ["news.cn"])
    assert not host_allowed("https://news.cn.evil.org/x", ["news.cn"])


def test_canonical_url_is_trusted_only_on_the_same_site():
    final = "https://www.chinadaily.com.cn/a/1.html?utm_source=x"
    assert (
        canonical_url("https://www.chinadaily.com.cn/a/1.html", final, ["chinadaily.com.cn"])
        == "https://www.chinadaily.com.cn/a/1.html"
    )
    assert (
        canonical_url("https://evil.example/a/1.html", final, ["chinadaily.com.cn"])
        == "https://www.chinadaily.com.cn/a/1.html"
    )
    assert canonical_url("javascript:void(0)", final, ["chinadaily.com.cn"]) == "https://www.chinadaily.com.cn/a/1.html"
