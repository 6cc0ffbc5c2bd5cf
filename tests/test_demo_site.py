"""The bundled demo site: discovery documents, encodings, conditional GET, stages, extraction."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
import urllib.robotparser
from email.utils import format_datetime, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
import trafilatura

from demo_site import DemoSite, demo_registry, stages
from demo_site import content as c
from demo_site.server import listing_pages

ROOT = Path(__file__).resolve().parent.parent
SEED = Path("/work/shared/seed/chinadaily-xinjiang-webinar-2021-02-08.txt")
# Never use a proxy: every request goes straight to 127.0.0.1.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    assert urlsplit(url).hostname == "127.0.0.1"
    try:
        with OPENER.open(request, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def text_of(outlet: str, body: bytes) -> str:
    return body.decode("gbk" if outlet == "xjgov" else "utf-8")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str | None]] = []  # (href, rel)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append((attrs["href"], attrs.get("rel")))


def links_of(html: str, base: str) -> list[tuple[str, str | None]]:
    parser = Links()
    parser.feed(html)
    return [(urljoin(base, href), rel) for href, rel in parser.links]


def plain(url: str) -> str:
    return url.split("#", 1)[0].split("?", 1)[0]


@pytest.fixture(scope="module")
def site():
    with DemoSite(port=0) as demo:
        yield demo


@pytest.fixture(autouse=True)
def stage_one(site):
    site.set_stage(1)
    yield
    site.set_stage(1)


@pytest.fixture(scope="module")
def registry(site):
    return {s["name"]: s for s in tomllib.loads(demo_registry(site.base_url))["sources"]}


def articles(outlet: str) -> list[c.Article]:
    return [a for a in c.ARTICLES if a.outlet == outlet and not a.private]


# ---------------------------------------------------------------- content


def test_content_counts_and_phrases():
    assert len(c.OUTLETS) == 5
    assert c.EXPECTED == {o: len(articles(o)) for o in c.OUTLETS} == stages.expected_counts(1)
    assert sum(c.EXPECTED.values()) >= 32
    for a in c.ARTICLES:
        assert 4 <= len(a.paragraphs) <= 10, a.path
        assert "2021-01-01" <= a.published[:10] <= "2021-03-31"
    for phrase in ("vocational education and training centers", "happy lives", "politicizing human rights"):
        hits = [a for a in c.ARTICLES if phrase in " ".join(a.paragraphs)]
        assert len({a.outlet for a in hits}) >= 3 and len({a.published[:10] for a in hits}) >= 4, phrase
    trainings = [a for a in c.ARTICLES if re.search(r"\btrain(ing|ees?)\b", " ".join(a.paragraphs))]
    train = [a for a in c.ARTICLES if re.search(r"\btrain\b", " ".join(a.paragraphs))]
    assert len(train) >= 2
    assert any(not re.search(r"\btrain\b", " ".join(a.paragraphs)) for a in trainings)
    zh = " ".join(" ".join(a.paragraphs) for a in articles("xjgov"))
    assert "职业技能教育培训中心" in zh and "幸福生活" in zh


def test_reprints_share_body_but_not_opening_or_title():
    reprints = [c.BY_PATH[p] for p in c.REPRINTS]
    assert len({a.outlet for a in reprints}) == len(reprints) >= 2
    assert len({a.paragraphs[1:] for a in reprints}) == 1
    assert len({a.paragraphs[0] for a in reprints}) == len(reprints)
    assert len({a.title for a in reprints}) == len(reprints)
    for first, second in c.SAME_TOPIC.values():
        assert set(c.BY_PATH[first].paragraphs).isdisjoint(c.BY_PATH[second].paragraphs)


def test_seed_article_is_embedded_verbatim():
    seed = c.BY_PATH[c.SEED_PATH]
    assert seed.title == "Xinjiang holds webinar to outline its progress"
    if not SEED.exists():
        pytest.skip("seed file not available")
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    body = lines[lines.index("chinadaily.com.cn| Updated: February 8, 2021") + 1 :]
    assert list(seed.paragraphs) == body


# ---------------------------------------------------------------- registry and robots


def test_registry_patterns_pick_only_their_own_articles(site, registry):
    assert set(registry) == set(c.OUTLETS)
    base = site.base_url
    listing_urls = [base + p for o in ("globaltimes", "xjgov") for p in listing_pages(o, 1)]
    others = [base + p for p in (c.CHINADAILY_FEED, c.UNNEWS_FEED, c.XINHUA_SITEMAP_INDEX, *c.XINHUA_SITEMAPS)]
    for name, source in registry.items():
        assert source["allowed_domains"] == ["127.0.0.1"]
        assert source["language"] == ("zh" if name == "xjgov" else "en")
        pattern = re.compile(source["article_pattern"])
        for a in c.ARTICLES:
            url = base + a.path
            assert bool(pattern.search(url)) == (a.outlet == name), (name, url)
            assert bool(pattern.search(url + "?utm_source=rss")) == (a.outlet == name)
        assert not any(pattern.search(u) for u in listing_urls + others)
        discovery = source.get("feeds") or source.get("sitemaps") or source.get("listings")
        assert discovery and all(u.startswith(base + "/") for u in discovery)
        if "listing_pattern" in source:
            lp = re.compile(source["listing_pattern"])
            assert any(lp.search(u) for u in listing_urls)
            assert not any(lp.search(base + a.path) for a in c.ARTICLES)


def test_robots_blocks_the_private_page_listed_in_the_feed(site):
    status, _, body = fetch(site.base_url + "/robots.txt")
    assert status == 200
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(body.decode().splitlines())
    assert not robots.can_fetch("presswatch", site.base_url + c.PRIVATE_PATH)
    assert robots.can_fetch("presswatch", site.base_url + c.SEED_PATH)
    feed = feedparser.parse(fetch(site.base_url + c.CHINADAILY_FEED)[2])
    assert site.base_url + c.PRIVATE_PATH in [e.link for e in feed.entries]
    assert fetch(site.base_url + c.PRIVATE_PATH)[0] == 200


# ---------------------------------------------------------------- discovery documents


def test_chinadaily_rss(site):
    status, headers, body = fetch(site.base_url + c.CHINADAILY_FEED)
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    feed = feedparser.parse(body)
    assert not feed.bozo and feed.version == "rss20"
    links = [e.link for e in feed.entries]
    assert len(links) == c.EXPECTED["chinadaily"] + 1  # plus the robots-blocked page
    assert {plain(u) for u in links} == {site.base_url + a.path for a in c.ARTICLES if a.outlet == "chinadaily"}
    assert [u for u in links if "utm_source=rss" in u] == [
        site.base_url + c.RSS_TRACKED_PATH + "?utm_source=rss&utm_medium=feed"
    ]


def test_unnews_atom(site):
    status, headers, body = fetch(site.base_url + c.UNNEWS_FEED)
    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    feed = feedparser.parse(body)
    assert not feed.bozo and feed.version == "atom10"
    assert {e.link for e in feed.entries} == {site.base_url + a.path for a in articles("unnews")}
    assert all(e.get("published") and e.get("updated") for e in feed.entries)


def test_xinhua_sitemap_index_has_two_children(site):
    status, _, body = fetch(site.base_url + c.XINHUA_SITEMAP_INDEX)
    assert status == 200
    index = body.decode()
    children = re.findall(r"<loc>([^<]+)</loc>", index)
    assert len(children) == 2 and index.count("<lastmod>") == 2
    found: list[str] = []
    news_seen = False
    for child in children:
        xml = fetch(child)[2].decode()
        urls = re.findall(r"<loc>([^<]+)</loc>", xml)
        assert xml.count("<lastmod>") == len(urls) > 0
        if 'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' in xml:
            news_seen = True
            assert xml.count("<news:publication_date>") == xml.count("<news:title>") == len(urls)
        found += urls
    assert news_seen
    assert len(found) > len(set(found))  # one article is in both sitemaps
    assert set(found) == {site.base_url + a.path for a in articles("xinhua")}


@pytest.mark.parametrize(
    "outlet, first, pages", [("globaltimes", c.GLOBALTIMES_LISTING, 3), ("xjgov", c.XJGOV_LISTING, 2)]
)
def test_listing_pagination_reaches_every_page(site, registry, outlet, first, pages):
    pattern = re.compile(registry[outlet]["article_pattern"])
    url, seen_pages, found, spellings, offsite = site.base_url + first, [], set(), set(), set()
    while url:
        status, headers, body = fetch(url)
        assert status == 200
        seen_pages.append(url)
        links = links_of(text_of(outlet, body), url)
        for href, _ in links:
            if pattern.search(href):
                found.add(plain(href))
                spellings.add(href)
            elif urlsplit(href).hostname != "127.0.0.1":
                offsite.add(href)
        nexts = [href for href, rel in links if rel == "next"]
        assert len(nexts) <= 1
        url = nexts[0] if nexts else None
    assert len(seen_pages) == pages
    assert found == {site.base_url + a.path for a in articles(outlet)}
    assert "http://example.com/" in offsite
    if outlet == "globaltimes":
        assert len(spellings) > len(found)  # ?utm_source= and #comments spellings of the same articles
    assert fetch(site.base_url + first.replace("index.html", f"index_{pages + 1}.html"))[0] == 404


def test_non_article_pages_and_404(site):
    for path in ("/globaltimes/about.html", "/globaltimes/world/index.html", "/chinadaily/", "/xjgov/zcwj/index.html"):
        assert fetch(site.base_url + path)[0] == 200, path
    status, headers, body = fetch(site.base_url + "/globaltimes/page/202102/9999999.shtml")
    assert status == 404 and headers["Content-Type"].startswith("text/html") and b"404" in body


# ---------------------------------------------------------------- bytes, headers, furniture


def test_xjgov_pages_are_gbk_without_header_charset(site):
    for path in (c.XJGOV_LISTING, articles("xjgov")[1].path):
        status, headers, body = fetch(site.base_url + path)
        assert status == 200
        assert headers["Content-Type"] == "text/html"
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        html = body.decode("gbk")
        assert '<meta charset="gbk">' in html
        assert "职业技能教育培训中心" in html


def test_page_sizes(site):
    for a in c.ARTICLES:
        status, _, body = fetch(site.base_url + a.path)
        assert status == 200 and 10_000 <= len(body) <= 60_000, (a.path, len(body))


def test_furniture_changes_but_etag_does_not(site):
    url = site.base_url + c.SEED_PATH
    s1, h1, b1 = fetch(url)
    s2, h2, b2 = fetch(url + "?utm_source=x#frag")
    assert s1 == s2 == 200 and b1 != b2
    assert h1["ETag"] == h2["ETag"] and h1["ETag"].startswith('"')
    assert h1["Last-Modified"] == h2["Last-Modified"] == "Mon, 08 Feb 2021 02:12:00 GMT"
    csrf = re.compile(rb'name="csrf" value="([^"]+)"')
    views = re.compile(rb"Views: (\d+)")
    assert csrf.search(b1).group(1) != csrf.search(b2).group(1)
    assert int(views.search(b2).group(1)) > int(views.search(b1).group(1))
    assert b"Page generated at " in b1 and b"Updated: 2021-02-08 10:12" in b1
    canonical = f'<link rel="canonical" href="{url}">'.encode()
    assert canonical in b1 and canonical in b2


def test_conditional_get(site):
    url = site.base_url + articles("unnews")[0].path
    _, headers, _ = fetch(url)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    status, h304, body = fetch(url, {"If-None-Match": etag})
    assert status == 304 and body == b"" and h304["ETag"] == etag
    assert fetch(url, {"If-None-Match": '"other"'})[0] == 200
    assert fetch(url, {"If-Modified-Since": modified})[0] == 304
    older = format_datetime(parsedate_to_datetime(modified).replace(year=2020), usegmt=True)
    assert fetch(url, {"If-Modified-Since": older})[0] == 200
    for path in (c.CHINADAILY_FEED, c.XINHUA_SITEMAP_INDEX, c.GLOBALTIMES_LISTING):
        _, headers, _ = fetch(site.base_url + path)
        assert fetch(site.base_url + path, {"If-None-Match": headers["ETag"]})[0] == 304


# ---------------------------------------------------------------- stages


def _etags(site) -> dict[str, str | None]:
    return {a.path: fetch(site.base_url + a.path)[1].get("ETag") for a in c.ARTICLES}


def test_stage_two_edits_and_deletes(site):
    before = _etags(site)
    edited_url = site.base_url + c.EDIT["path"]
    _, old_headers, old_body = fetch(edited_url)
    site.set_stage(2)
    assert c.STAGE_CHANGES[2]["edited"] == [c.EDIT["path"]] and c.STAGE_CHANGES[2]["deleted"] == [c.DELETED_PATH]
    status, headers, body = fetch(edited_url)
    assert status == 200
    html = body.decode()
    assert c.EDIT["new"] in html and c.EDIT["old"] not in html
    assert headers["ETag"] != before[c.EDIT["path"]]
    assert headers["Last-Modified"] == old_headers["Last-Modified"]
    stamp = re.compile(rb'(Published: [^<]+|article:modified_time" content="[^"]+")')
    assert stamp.findall(body) == stamp.findall(old_body)  # a silent edit
    assert fetch(edited_url, {"If-None-Match": before[c.EDIT["path"]]})[0] == 200
    assert fetch(site.base_url + c.DELETED_PATH)[0] == 404
    feed = fetch(site.base_url + c.CHINADAILY_FEED)[2].decode()
    assert c.DELETED_PATH not in feed
    after = _etags(site)
    changed = {p for p in before if before[p] != after[p]}
    assert changed == {c.EDIT["path"], c.DELETED_PATH}


def test_stage_three_via_control_endpoint(site):
    before = _etags(site)
    status, _, body = fetch(site.base_url + "/_control/stage?n=3")
    assert (status, body) == (200, b"ok") and site.stage == 3
    assert fetch(site.base_url + "/_control/stage")[2] == b"3"
    assert fetch(site.base_url + "/_control/stage?n=9")[0] == 400
    changes = c.STAGE_CHANGES[3]
    assert changes["retitled"] == [c.RETITLE["path"]] and changes["gone"] == [c.GONE_PATH]
    assert changes["restored"] == [c.DELETED_PATH] and changes["edited"] == [c.EDIT["path"]]
    # retitled: new title everywhere, same body
    html = fetch(site.base_url + c.RETITLE["path"])[2].decode()
    assert f'<meta property="og:title" content="{c.RETITLE["new"]}">' in html
    assert c.RETITLE["old"] not in html
    assert all(p in html for p in c.BY_PATH[c.RETITLE["path"]].paragraphs)
    atom = feedparser.parse(fetch(site.base_url + c.UNNEWS_FEED)[2])
    assert c.RETITLE["new"] in [e.title for e in atom.entries]
    # gone: 410 and out of the sitemaps
    assert fetch(site.base_url + c.GONE_PATH)[0] == 410
    for child in c.XINHUA_SITEMAPS:
        assert c.GONE_PATH not in fetch(site.base_url + child)[2].decode()
    # restored: same content as at stage 1, back in the feed
    status, headers, _ = fetch(site.base_url + c.DELETED_PATH)
    assert status == 200 and headers["ETag"] == before[c.DELETED_PATH]
    assert c.DELETED_PATH in fetch(site.base_url + c.CHINADAILY_FEED)[2].decode()
    assert c.EDIT["new"] in fetch(site.base_url + c.EDIT["path"])[2].decode()
    after = _etags(site)
    assert {p for p in before if before[p] != after[p]} == {c.EDIT["path"], c.RETITLE["path"], c.GONE_PATH}


# ---------------------------------------------------------------- extraction


FURNITURE = ("Views", "浏览次数", "Page generated", "页面生成", "Most read", "热点排行", "Subscribe", "Share:")


@pytest.mark.parametrize("outlet", list(c.OUTLETS))
def test_trafilatura_sees_body_not_furniture(site, outlet):
    for a in articles(outlet)[:2]:
        url = site.base_url + a.path
        extracted = []
        for _ in range(2):
            html = text_of(outlet, fetch(url)[2])
            doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
            doc = doc.as_dict() if hasattr(doc, "as_dict") else doc
            text = doc["text"]
            for paragraph in a.paragraphs:
                assert paragraph in text, (a.path, paragraph[:60])
            assert not [m for m in FURNITURE if m in text], a.path
            others = [o.title for o in c.ARTICLES if o.outlet == outlet and o.path != a.path]
            assert not [t for t in others if t in text], a.path
            assert doc["title"] == a.title
            assert doc["date"] == a.published[:10]
            extracted.append(text)
        assert extracted[0] == extracted[1]


# ---------------------------------------------------------------- command line


def test_module_prints_its_url_and_serves(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo_site", "--port", "0", "--stage", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", line), line
        assert fetch(line + "/robots.txt")[0] == 200
        assert fetch(line + "/_control/stage?n=2")[2] == b"ok"
        assert fetch(line + c.DELETED_PATH)[0] == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)
