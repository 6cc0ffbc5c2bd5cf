"""The benchmark corpus: N article pages, each a pure function of (seed, page number, version).

Six layouts are modelled on the kinds of page in ../shared/fixtures/real (written here, not
copied): a national daily (China Daily), a wire service (Xinhua English), a ministry page with a
huge inline stylesheet (mfa.gov.by), a Drupal news agency (UN News), and two Chinese layouts
served as GBK: a portal with a heavy navigation bar and tabbed sidebars (NetEase/163) and a state
media page with many ad slots and inline scripts (Guangming Online). Like the real pages they
carry navigation, sidebars with links to other articles, inline scripts and JSON state, share
bars and big footers around the article; sizes spread around a median near 100 KB.

Each page has a furniture slot (view counter, clock, CSRF token) that the server fills per
request, as real sites do: it changes the raw bytes on every fetch but never the article.
"""

from __future__ import annotations

import hashlib
import json
import random
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from html import escape

from bench import text as T

MARK = "<!--#furniture#-->"
MARK_BYTES = MARK.encode("ascii")
EPOCH = datetime(2024, 6, 30, 18, 0, tzinfo=timezone(timedelta(hours=8)))
LAYOUTS = ("daily", "wire", "ministry", "agency", "portal", "motions")
ZH_LAYOUTS = ("portal", "motions")
EN_WEIGHTS = (("daily", 32), ("wire", 18), ("ministry", 18), ("agency", 32))
ZH_WEIGHTS = (("portal", 55), ("motions", 45))
ZH_SHARE = 0.15
ARTICLE_PATTERN = r"/news/[a-z]+/"


@dataclass(frozen=True)
class PageSpec:
    index: int
    layout: str
    zh: bool
    path: str
    published: datetime
    title: str


@dataclass(frozen=True)
class Rendered:
    """A page's bytes around the furniture slot, and its validators."""

    prefix: bytes
    suffix: bytes
    content_type: str
    etag: str
    last_modified: datetime
    modified: datetime

    def body(self, furniture: bytes = b"") -> bytes:
        return self.prefix + furniture + self.suffix


def _rng(seed: int, *parts) -> random.Random:
    return random.Random(":".join(str(p) for p in (seed, *parts)))


def _hex(seed: int, i: int, n: int) -> str:
    return hashlib.sha1(f"{seed}:{i}".encode()).hexdigest()[:n]


class Corpus:
    """Pages 0..pages-1 of one seed; `edit_rounds` lists the (round, fraction) edits applied so far."""

    def __init__(self, pages: int, seed: int = 1):
        if not 1 <= pages <= 1_000_000:
            raise ValueError("pages must be between 1 and 1,000,000")
        self.pages = pages
        self.seed = seed
        self.base = "http://127.0.0.1"  # the server sets its own address: canonical links are absolute
        self.edit_rounds: list[float] = []

    # ---------------------------------------------------------------- identity
    @cache  # noqa: B019 - one Corpus per process, pages are few
    def spec(self, i: int) -> PageSpec:
        rng = _rng(self.seed, i, "layout")
        zh = rng.random() < ZH_SHARE
        weights = ZH_WEIGHTS if zh else EN_WEIGHTS
        layout = rng.choices([w[0] for w in weights], [w[1] for w in weights])[0]
        published = EPOCH - timedelta(minutes=37 * i + rng.randint(0, 30))
        d, h = published, _hex(self.seed, i, 24)
        num = 1_120_000_000 + i * 7 + self.seed % 7
        path = {
            "daily": f"/news/daily/a/{d:%Y%m}/{d:%d}/WS{h}.html",
            "wire": f"/news/wire/{d:%Y-%m}/{d:%d}/c_{num}.htm",
            "ministry": f"/news/ministry/press/statements/{h[:16]}.html",
            "agency": f"/news/agency/story/{d:%Y}/{d:%m}/{1_000_000 + i}",
            "portal": f"/news/portal/{d:%y}/{d:%m%d}/{d:%H}/{h[:16].upper()}.html",
            "motions": f"/news/motions/{d:%Y-%m}/{d:%d}/content_{20_000_000 + i}.htm",
        }[layout]
        title = T.zh_headline(rng) if zh else T.headline(rng)
        return PageSpec(i, layout, zh, path, published, title)

    def url(self, base: str, i: int) -> str:
        return base + self.spec(i).path

    # ---------------------------------------------------------------- edits
    def edited(self, i: int, round_no: int, fraction: float) -> bool:
        """Whether edit round `round_no` (of `fraction` of the pages) touches page i: a fixed choice."""
        digest = hashlib.sha1(f"{self.seed}:edit:{round_no}:{i}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < fraction

    def version(self, i: int) -> int:
        return sum(1 for n, fraction in enumerate(self.edit_rounds, 1) if self.edited(i, n, fraction))

    def apply_edits(self, fraction: float) -> list[int]:
        """A new edit round over `fraction` of the pages; returns the pages it changed."""
        self.edit_rounds.append(fraction)
        n = len(self.edit_rounds)
        return [i for i in range(self.pages) if self.edited(i, n, fraction)]

    # ---------------------------------------------------------------- content
    def paragraphs(self, i: int, version: int) -> list[str]:
        spec = self.spec(i)
        rng = _rng(self.seed, i, "body")
        make = T.zh_paragraph if spec.zh else T.paragraph
        count = rng.randint(4, 14) if spec.layout != "wire" else rng.randint(3, 8)
        paras = [make(rng) for _ in range(count)]
        for v in range(1, version + 1):  # each edit rewrites one paragraph and sometimes adds one
            erng = _rng(self.seed, i, "edit", v)
            paras[erng.randrange(len(paras))] = make(erng)
            if erng.random() < 0.3:
                paras.append(make(erng))
        return paras

    def render(self, i: int, version: int | None = None) -> Rendered:
        version = self.version(i) if version is None else version
        spec = self.spec(i)
        modified = spec.published + timedelta(days=version, hours=3 * version)
        html = LAYOUT_FUNCS[spec.layout](self, spec, self.paragraphs(i, version), modified)
        if spec.zh:
            data = html.encode("gbk")
            ctype = "text/html" if i % 2 else "text/html; charset=GBK"  # half name the charset only in <meta>
        else:
            data = html.encode("utf-8")
            ctype = "text/html; charset=utf-8"
        prefix, _, suffix = data.partition(MARK_BYTES)
        etag = '"' + hashlib.sha1(f"{self.seed}:{i}:{version}".encode()).hexdigest()[:20] + '"'
        return Rendered(prefix, suffix, ctype, etag, modified.astimezone(UTC).replace(microsecond=0), modified)

    def html_text(self, i: int) -> str:
        """The page as text (decoded as presswatch would), with fixed furniture: for bare extraction."""
        spec = self.spec(i)
        body = self.render(i).body(furniture_bytes(i, 1000 + i))
        return body.decode("gb18030" if spec.zh else "utf-8")

    def related(self, i: int, rng: random.Random, count: int) -> list[tuple[str, str]]:
        """(title, path) of other pages: the links real sidebars carry."""
        out = []
        for _ in range(count):
            j = rng.randrange(self.pages)
            s = self.spec(j)
            out.append((s.title, s.path))
        return out


def furniture_bytes(i: int, counter: int) -> bytes:
    """The per-request part of a page: ASCII, so it fits UTF-8 and GBK pages alike."""
    token = hashlib.sha1(f"{i}:{counter}".encode()).hexdigest()
    return (
        f'<div class="page-stats" data-csrf="{token}"><span class="pv">{1000 + counter % 99991}</span> '
        f'<span class="clock">{counter % 24:02d}:{counter % 60:02d}:{(counter * 7) % 60:02d}</span></div>'
    ).encode()


# -------------------------------------------------------------------- shared page pieces


@cache
def css_blob(name: str, rules: int) -> str:
    rng = random.Random(f"css:{name}:{rules}")
    props = (
        "margin",
        "padding",
        "color",
        "background",
        "font-size",
        "line-height",
        "border",
        "width",
        "height",
        "display",
        "float",
        "position",
        "top",
        "left",
        "z-index",
        "overflow",
        "text-align",
    )
    values = (
        "0",
        "auto",
        "10px",
        "12px 0 0",
        "#333",
        "#f5f5f5",
        "1px solid #ddd",
        "100%",
        "block",
        "none",
        "left",
        "relative",
        "absolute",
        "hidden",
        "center",
        "14px",
        "1.6",
        "inline-block",
    )
    out = []
    for n in range(rules):
        sel = f".{name}-{rng.choice(('nav', 'box', 'list', 'item', 'col', 'hd', 'bd', 'ft', 'tab', 'ad'))}{n}"
        if rng.random() < 0.3:
            sel += f" {rng.choice(('a', 'li', 'span', 'p', 'img', 'h3'))}"
        body = ";".join(f"{rng.choice(props)}:{rng.choice(values)}" for _ in range(rng.randint(2, 7)))
        out.append(f"{sel}{{{body}}}")
    return "\n".join(out)


@cache
def js_blob(name: str, functions: int) -> str:
    rng = random.Random(f"js:{name}:{functions}")
    out = [f"var {name}Config = {{site: '{name}', version: '{rng.randint(1, 9)}.{rng.randint(0, 20)}', debug: false}};"]
    for n in range(functions):
        fn = f"{name}_{rng.choice(('init', 'track', 'load', 'bind', 'render', 'lazy', 'share'))}{n}"
        lines = [f"function {fn}(el, opts) {{", "  opts = opts || {};"]
        for _ in range(rng.randint(3, 9)):
            lines.append(
                rng.choice(
                    (
                        "  if (!el) { return; }",
                        f"  var items = document.querySelectorAll('.{name}-item{rng.randint(0, 99)}');",
                        "  for (var i = 0; i < items.length; i++) { items[i].setAttribute('data-i', i); }",
                        f"  window.setTimeout(function () {{ {name}Config.ready = true; }}, {rng.randint(10, 900)});",
                        f"  el.addEventListener('click', function (e) {{ e.preventDefault(); track('{fn}'); }});",
                        "  var url = encodeURIComponent(document.location.href);",
                        f"  opts.width = opts.width || {rng.randint(100, 990)};",
                    )
                )
            )
        lines.append("}")
        out.append("\n".join(lines))
    return "\n".join(out)


def _links(items, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return "".join(f'<li{c}><a href="{href}" target="_blank"><span>{escape(t)}</span></a></li>' for t, href in items)


def _items(items, rng: random.Random) -> str:
    """Teasers as real sidebars carry them: picture, title, time, each in its own element."""
    return "".join(
        f'<li class="item"><div class="pic"><a href="{href}"><img src="/img/{zlib.crc32(href.encode()) % 99991}.jpg" alt=""></a></div>'
        f'<div class="txt"><a href="{href}">{escape(t)}</a><span class="time">{rng.randint(1, 12):02d}-'
        f'{rng.randint(1, 28):02d}</span> <i class="icon-comment"></i><em>{rng.randint(0, 999)}</em></div></li>'
        for t, href in items
    )


def _nav(rng: random.Random, zh: bool, count: int, prefix: str) -> list[tuple[str, str]]:
    words = T.ZH_WORDS if zh else T.NOUNS
    return [
        (
            rng.choice(words).title() if not zh else rng.choice(words) + rng.choice(words),
            f"/{prefix}/{rng.choice(words) if not zh else 'ch'}{n}/index.html".replace(" ", "-"),
        )
        for n in range(count)
    ]


def _state_json(corpus: Corpus, spec: PageSpec, rng: random.Random, items: int) -> str:
    data = {
        "page": {"id": spec.index, "type": "article", "channel": spec.layout, "lang": "zh" if spec.zh else "en"},
        "recommend": [
            {
                "id": corpus.spec(j).index,
                "title": corpus.spec(j).title,
                "url": corpus.spec(j).path,
                "img": f"/img/{_hex(corpus.seed, j, 12)}.jpg",
                "score": round(rng.random(), 4),
            }
            for j in (rng.randrange(corpus.pages) for _ in range(items))
        ],
    }
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


def _head(
    spec: PageSpec, title: str, charset: str, desc: str, canonical: str, modified: datetime, extra: str = ""
) -> str:
    pub = spec.published.isoformat()
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if spec.zh else "en"}">\n<head>\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<meta name="description" content="{escape(desc)}">\n'
        f'<meta property="og:title" content="{escape(spec.title)}">\n<meta property="og:type" content="article">\n'
        f'<meta property="og:url" content="{canonical}">\n'
        f'<meta property="article:published_time" content="{pub}">\n'
        f'<meta property="article:modified_time" content="{modified.isoformat()}">\n'
        f'<link rel="canonical" href="{canonical}">\n{extra}'
    )


def _desc(paras: list[str]) -> str:
    return paras[0][:180]


def _paras(paras: list[str]) -> str:
    return "\n".join(f"<p>{escape(p)}</p>" for p in paras)


# -------------------------------------------------------------------- the six layouts


def daily(corpus: Corpus, spec: PageSpec, paras: list[str], modified: datetime) -> str:
    """A national daily: channel bar, share tools, div#Content, recommended columns, link-heavy footer."""
    rng = _rng(corpus.seed, spec.index, "furn")
    head = _head(
        spec,
        spec.title + " - Chinadaily.com.cn",
        "utf-8",
        _desc(paras),
        corpus.base + spec.path,
        modified,
        "".join(f'<meta name="keywords{n}" content="{escape(T.headline(rng))}">\n' for n in range(12)),
    )
    scripts = "".join(f"<script>{js_blob('cd' + str(n), 12)}</script>\n" for n in range(rng.randint(2, 5)))
    nav = _links(_nav(rng, False, rng.randint(40, 80), "cd"))
    rec = [_items(corpus.related(spec.index, rng, rng.randint(8, 16)), rng) for _ in range(rng.randint(2, 5))]
    foot = _links(_nav(rng, False, rng.randint(50, 110), "cd/info"))
    return (
        head + f"<style>{css_blob('cd', rng.choice((300, 500, 700)))}</style>\n{scripts}</head>\n<body>\n"
        f'<div id="all"><div class="tophui2"><div class="pingdaolink"><ul>{nav}</ul></div>'
        '<div class="dingtou"><a href="/cd/subscribe">Subscribe</a> <a href="/cd/app">App</a></div></div>\n'
        '<div class="container"><div class="container-left2">\n'
        '<div class="breadcrumb"><a href="/">Home</a> &gt; <a href="/cd/china/">China</a></div>\n'
        f"<h1>{escape(spec.title)}</h1>\n"
        f'<div class="info"><span class="info_l">By {rng.choice(T.PEOPLE)} | chinadaily.com.cn | '
        f"Updated: {modified:%Y-%m-%d %H:%M}</span></div>\n"
        '<div class="share"><a href="#" data-target="weibo">Weibo</a> <a href="#" data-target="wechat">WeChat</a> '
        '<a href="#" data-target="twitter">Twitter</a> <a href="#" data-target="facebook">Facebook</a></div>\n'
        f'<div id="Content" class="article">\n{_paras(paras)}\n</div>\n'
        f'<div class="moreshare"><script>var cdArticle = {_state_json(corpus, spec, rng, rng.randint(10, 120))};</script></div>\n'
        '</div>\n<div class="container-right2">\n'
        + "".join(f'<div class="tuijian"><h3>{escape(T.headline(rng))}</h3><ul>{r}</ul></div>\n' for r in rec)
        + f"{MARK}\n</div></div>\n"
        f'<div class="dibu"><div class="foot"><div class="foot-right"><ul>{foot}</ul>'
        "<p>Copyright 1995 - 2024. All rights reserved. The content published in this site belongs to the "
        "benchmark daily and may not be used without permission.</p></div></div></div>\n"
        f"</div>\n<script>{js_blob('cdtail', 10)}</script>\n</body>\n</html>\n"
    )


def wire(corpus: Corpus, spec: PageSpec, paras: list[str], modified: datetime) -> str:
    """A wire service's article: small, table-based, a short related list; the light end of the corpus."""
    rng = _rng(corpus.seed, spec.index, "furn")
    head = _head(
        spec, spec.title + " - Xinhua | English.news.cn", "utf-8", _desc(paras), corpus.base + spec.path, modified
    )
    rel = _items(corpus.related(spec.index, rng, rng.randint(5, 12)), rng)
    nav = _links(_nav(rng, False, rng.randint(10, 25), "xh"))
    return (
        head + f"<style>{css_blob('xh', rng.randint(40, 120))}</style>\n</head>\n<body>\n"
        f'<table width="100%" class="topnav"><tr><td><ul>{nav}</ul></td></tr></table>\n'
        '<table width="960" align="center"><tr><td class="main">\n'
        f'<h1 class="h-title" id="title">{escape(spec.title)}</h1>\n'
        f'<div class="h-info"><span class="h-time">{spec.published:%Y-%m-%d %H:%M:%S}</span> '
        '<span class="source">Source: Xinhua</span></div>\n'
        f'<div id="detail">\n{_paras(paras)}\n</div>\n<div class="h-editor">Editor: {rng.choice(T.PEOPLE)}</div>\n'
        f'</td><td class="side" width="300"><h3>Related</h3><ul>{rel}</ul>{MARK}</td></tr></table>\n'
        f"<script>{js_blob('xh', rng.randint(2, 8))}</script>\n"
        '<div class="footer">Copyright &copy; 2000-2024 XINHUANET.com All rights reserved.</div>\n</body>\n</html>\n'
    )


def ministry(corpus: Corpus, spec: PageSpec, paras: list[str], modified: datetime) -> str:
    """A ministry's statement: a very large inline stylesheet, accessibility widgets, a long menu."""
    rng = _rng(corpus.seed, spec.index, "furn")
    head = _head(
        spec, spec.title + " - Ministry of Foreign Affairs", "utf-8", _desc(paras), corpus.base + spec.path, modified
    )
    menu = "".join(
        f'<li class="menu-item"><a href="{h}">{escape(t)}</a><ul class="sub">'
        f"{_links(_nav(rng, False, rng.randint(3, 8), 'mfa/sub'))}</ul></li>"
        for t, h in _nav(rng, False, rng.randint(12, 20), "mfa")
    )
    news = _items(corpus.related(spec.index, rng, rng.randint(25, 60)), rng)
    return (
        head + f"<style>{css_blob('mfa', rng.choice((900, 1300, 1700)))}</style>\n"
        f"<script>{js_blob('mfa', 8)}</script>\n</head>\n<body>\n"
        '<div class="blind_btn"><a href="#" class="blind_btn_icon">The version for the visually impaired</a>'
        '<div class="font_size_wrap_size"><a href="#">A</a> <a href="#">A+</a> <a href="#">A++</a></div></div>\n'
        f'<header><nav class="main_menu"><ul>{menu}</ul></nav></header>\n'
        '<div class="content_wrap"><div class="left_col">\n'
        f'<div class="date">{spec.published:%d %B %Y}</div>\n<h1 class="page_title">{escape(spec.title)}</h1>\n'
        f'<div class="text_wrap">\n{_paras(paras)}\n</div>\n'
        '<div class="print"><a href="javascript:window.print()">Print</a></div>\n</div>\n'
        f'<aside class="right_col"><div class="news_block"><h2>News</h2><ul>{news}</ul></div>{MARK}</aside></div>\n'
        f"<footer><ul>{_links(_nav(rng, False, 30, 'mfa/footer'))}</ul>"
        "<p>&copy; 2024 Ministry of Foreign Affairs (benchmark). Reproduction with a link only.</p></footer>\n"
        "</body>\n</html>\n"
    )


def agency(corpus: Corpus, spec: PageSpec, paras: list[str], modified: datetime) -> str:
    """A Drupal news agency: drupal-settings JSON, node markup, related stories and topic menus."""
    rng = _rng(corpus.seed, spec.index, "furn")
    settings = json.dumps(
        {
            "path": {"baseUrl": "/", "currentPath": spec.path},
            "ajaxPageState": {"libraries": ",".join(f"core/lib{n}" for n in range(rng.randint(40, 160)))},
            "views": {
                "ajax_path": "/views/ajax",
                "ajaxViews": {
                    f"views_dom_id:{_hex(corpus.seed, n, 40)}": {
                        "view_name": "related",
                        "view_display_id": f"block_{n}",
                    }
                    for n in range(rng.randint(5, 30))
                },
            },
        }
    )
    head = _head(
        spec,
        spec.title + " | UN News",
        "utf-8",
        _desc(paras),
        corpus.base + spec.path,
        modified,
        f'<script type="application/json" data-drupal-selector="drupal-settings-json">{settings}</script>\n',
    )
    topics = _links(_nav(rng, False, rng.randint(20, 45), "un/topic"))
    related = "".join(
        f'<div class="views-row"><article class="node--view-mode-teaser"><h3><a href="{h}">{escape(t)}</a></h3>'
        f"<p>{escape(T.paragraph(rng, (1, 2)))}</p></article></div>\n"
        for t, h in corpus.related(spec.index, rng, rng.randint(6, 24))
    )
    return (
        head
        + f"<style>{css_blob('un', rng.choice((500, 700)))}</style>\n<script>{js_blob('un', 16)}</script>\n</head>\n"
        f'<body class="path-node page-node-type-news-story">\n<div class="dialog-off-canvas-main-canvas">\n'
        f'<header role="banner"><nav class="menu--main"><ul>{topics}</ul></nav></header>\n<main role="main">\n'
        '<article role="article" class="node node--type-news-story node--view-mode-full">\n'
        f'<h1 class="story-title"><span class="field--name-title">{escape(spec.title)}</span></h1>\n'
        f'<div class="story-date"><time datetime="{spec.published.isoformat()}">{spec.published:%d %B %Y}</time></div>\n'
        f'<div class="field field--name-field-text-column text-formatted">\n{_paras(paras)}\n</div>\n</article>\n'
        f'<section class="related-stories"><h2>Related stories</h2>\n{related}</section>\n'
        f'<aside class="most-read"><ul>{_items(corpus.related(spec.index, rng, rng.randint(15, 40)), rng)}</ul></aside>{MARK}\n</main>\n'
        f'<footer role="contentinfo"><ul>{_links(_nav(rng, False, 40, "un/footer"))}</ul></footer>\n</div>\n'
        f"<script>{js_blob('untail', 6)}</script>\n</body>\n</html>\n"
    )


def portal(corpus: Corpus, spec: PageSpec, paras: list[str], modified: datetime) -> str:
    """A Chinese portal (GBK): a 15 KB site bar, tabbed sidebars of headlines, long inline scripts."""
    rng = _rng(corpus.seed, spec.index, "furn")
    head = _head(
        spec,
        spec.title + "_网易新闻",
        "gbk",
        _desc(paras),
        corpus.base + spec.path,
        modified,
        f'<meta name="keywords" content="{escape(T.zh_headline(rng))}">\n',
    )
    bar = _links(_nav(rng, True, rng.randint(50, 90), "ntes"))
    tabs = "".join(
        f'<div class="mod-tab"><div class="tab-hd">{escape(T.zh_headline(rng))}</div><ul class="tab-bd">'
        f"{_items(corpus.related(spec.index, rng, rng.randint(10, 20)), rng)}</ul></div>\n"
        for _ in range(rng.randint(3, 6))
    )
    return (
        head + f"<style>{css_blob('ntes', rng.choice((400, 600)))}</style>\n</head>\n<body>\n"
        f'<div class="ntes_nav_wrap"><div class="ntes-nav" id="js_N_nav"><ul>{bar}</ul></div></div>\n'
        f"<script>{js_blob('ntes', 30)}</script>\n"
        '<div class="ep-content" id="js-epContent"><div class="ep-content-main" id="epContentLeft">\n'
        f'<h1>{escape(spec.title)}</h1>\n<div class="ep-time-source">{spec.published:%Y-%m-%d %H:%M:%S}　来源：网易新闻</div>\n'
        f'<div id="endText" class="end-text">\n{_paras(paras)}\n</div>\n'
        f'<div class="ep-source">责任编辑：{rng.choice(T.PEOPLE)}</div>\n</div>\n'
        f'<div class="ep-content-side" id="epContentRight">{tabs}{MARK}</div></div>\n'
        f"<script>var epState = {_state_json(corpus, spec, rng, rng.randint(20, 120))};</script>\n"
        f'<div class="fixed-sitemap"><ul>{_links(_nav(rng, True, 90, "ntes/map"))}</ul></div>\n'
        f"<script>{js_blob('ntestail', 30)}</script>\n"
        '<div class="N-nav-bottom">网易公司版权所有 &copy;1997-2024（基准测试）</div>\n</body>\n</html>\n'
    )


def motions(corpus: Corpus, spec: PageSpec, paras: list[str], modified: datetime) -> str:
    """A Chinese state-media page (GBK): many script tags in the head, ad boxes, a mood widget."""
    rng = _rng(corpus.seed, spec.index, "furn")
    scripts = "".join(f'<script type="text/javascript">{js_blob("gmw" + str(n), 6)}</script>\n' for n in range(24))
    head = _head(spec, spec.title + " _光明网", "gb2312", _desc(paras), corpus.base + spec.path, modified, scripts)
    ads = "".join(
        f'<div id="leftad{n}" class="contentadBox_left"><script>{js_blob("ad" + str(n), 12)}</script></div>\n'
        for n in range(rng.randint(2, 5))
    )
    right = "".join(
        f'<div class="contentColumnRight"><div class="contentBoxRight"><ul>'
        f"{_items(corpus.related(spec.index, rng, rng.randint(10, 20)), rng)}</ul></div></div>\n"
        for _ in range(rng.randint(3, 6))
    )
    mood = "".join(
        f'<li><a href="#">{w}</a><p>{rng.randint(0, 999)}</p></li>'
        for w in ("感动", "同情", "无聊", "愤怒", "搞笑", "难过")
    )
    return (
        head + f"<style>{css_blob('gmw', rng.choice((200, 350)))}</style>\n</head>\n<body>\n"
        f'<div class="noMobile"><div id="channelHead"><ul>{_links(_nav(rng, True, 30, "gmw"))}</ul></div></div>\n'
        '<div class="contentWrapper"><div class="contentLeft">\n'
        f'<h1 id="articleTitle">{escape(spec.title)}</h1>\n'
        f'<div id="contentMsg"><span id="pubTime">{spec.published:%Y-%m-%d %H:%M}</span>　来源：光明网</div>\n'
        f'<div id="contentMain">\n{_paras(paras)}\n</div>\n'
        f'<div id="motionsDiv"><div id="mood"><ul>{mood}</ul></div></div>\n{ads}</div>\n'
        f'<div class="contentRight">{right}{MARK}</div></div>\n'
        f'<div id="bsPanelHolder"><div id="bsPanel">{_links(_nav(rng, True, 20, "share"))}</div></div>\n'
        '<div class="footer">光明网版权所有（基准测试）</div>\n</body>\n</html>\n'
    )


LAYOUT_FUNCS = {
    "daily": daily,
    "wire": wire,
    "ministry": ministry,
    "agency": agency,
    "portal": portal,
    "motions": motions,
}
