"""HTML templates of the demo outlets: one article layout per outlet plus shared page furniture.

The furniture (most-read box, view counter, clock, CSRF token, ad ids) changes on every request
and sits outside the article markup, as on the real sites.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

from .content import OUTLETS, Article


@dataclass
class Furniture:
    views: int
    clock: str  # "12:01:33"
    csrf: str
    ad_id: str
    most_read: list[tuple[str, str]] = field(default_factory=list)  # (title, path)
    banner: str = ""  # the redesigned template's banner above the header (content.REDESIGN_BANNER)


@dataclass(frozen=True)
class Style:
    accent: str
    nav: tuple[tuple[str, str], ...]  # (label, path)
    most_read: str = "Most read"
    generated: str = "Page generated at "
    subscribe: str = "Subscribe"
    copyright: str = ""
    footer: tuple[str, ...] = (
        "About us",
        "Contact us",
        "Advertise",
        "Privacy policy",
        "Terms of use",
        "Jobs",
        "Mobile apps",
        "Newsletters",
        "RSS feeds",
        "Corrections",
        "Archive",
        "Photos",
        "Video",
        "Podcasts",
        "Weather",
        "Accessibility",
        "Cookie settings",
        "Reprints and permissions",
        "Help",
        "Site map",
    )


STYLES = {
    "chinadaily": Style(
        "#0a4c8a",
        (
            ("Home", "/chinadaily/"),
            ("China", "/chinadaily/china/index.html"),
            ("World", "/chinadaily/world/index.html"),
            ("Regional", "/chinadaily/regional/index.html"),
            ("Travel", "/chinadaily/travel/index.html"),
            ("Updates", "/chinadaily/updates/index.html"),
            ("About", "/chinadaily/about.html"),
        ),
        copyright="Copyright 1995 - 2021. All rights reserved. The content (including but not limited to text, "
        "photo, multimedia information, etc) published in this site belongs to the demo China Daily.",
    ),
    "xinhua": Style(
        "#b50d0d",
        (
            ("Home", "/xinhua/english/"),
            ("China", "/xinhua/english/china/index.html"),
            ("World", "/xinhua/english/world/index.html"),
            ("Business", "/xinhua/english/business/index.html"),
            ("About", "/xinhua/about.html"),
        ),
        copyright="Copyright 2000 - 2021 XINHUANET.com (demo). All rights reserved.",
    ),
    "globaltimes": Style(
        "#1d1d1d",
        (
            ("Home", "/globaltimes/"),
            ("China", "/globaltimes/china/index.html"),
            ("World", "/globaltimes/world/index.html"),
            ("Opinion", "/globaltimes/opinion/index.html"),
            ("About", "/globaltimes/about.html"),
        ),
        copyright="Copyright 2021 by The Global Times (demo). All rights reserved.",
    ),
    "xjgov": Style(
        "#c4161c",
        (
            ("首页", "/xjgov/"),
            ("新闻发布", "/xjgov/xwfb/index.html"),
            ("政策文件", "/xjgov/zcwj/index.html"),
            ("政务公开", "/xjgov/zwgk/index.html"),
            ("关于我们", "/xjgov/about.html"),
        ),
        most_read="热点排行",
        generated="页面生成时间：",
        subscribe="订阅",
        copyright="主办：新疆维吾尔自治区人民政府新闻办公室（演示站点） 版权所有 新ICP备00000000号",
        footer=(
            "网站地图",
            "联系我们",
            "隐私声明",
            "网站纠错",
            "无障碍浏览",
            "政务服务",
            "信息公开指南",
            "信息公开目录",
            "依申请公开",
            "政府信箱",
            "在线访谈",
            "新闻发布会",
            "政策解读",
            "便民服务",
            "办事指南",
            "统计数据",
            "人事信息",
            "财政预决算",
            "建议提案办理",
            "网站工作年报",
        ),
    ),
    "unnews": Style(
        "#009edb",
        (
            ("Home", "/unnews/"),
            ("Human Rights", "/unnews/topic/human-rights"),
            ("Economic Development", "/unnews/topic/economic-development"),
            ("About", "/unnews/about.html"),
        ),
        copyright="Copyright United Nations 2021 (demo). Global perspective, human stories.",
    ),
}

_CSS = """
body{margin:0;font-family:Arial,Helvetica,sans-serif;color:#222;background:#fff}
a{color:%(accent)s;text-decoration:none}a:hover{text-decoration:underline}
.topbar{background:#f2f2f2;font-size:12px;padding:4px 20px}.topbar a{margin-right:12px;color:#555}
.header{border-bottom:3px solid %(accent)s;padding:10px 20px;display:flex;align-items:center}
.logo a{font-size:26px;font-weight:bold;color:%(accent)s}.main-nav ul{list-style:none;margin:0 0 0 30px;padding:0}
.main-nav li{display:inline-block;margin-right:18px}.search input{border:1px solid #ccc;padding:3px}
.container{max-width:1180px;margin:0 auto;display:flex;gap:30px;padding:20px}
#main{flex:1;min-width:0}.sidebar{width:300px;font-size:14px}.sidebar ol{padding-left:18px}
.sidebar li{margin-bottom:8px}.ad-slot{min-height:90px;background:#fafafa;margin:10px auto;max-width:970px}
h1,.h-title,.article_title,.detail-title{font-size:30px;line-height:1.3;margin:10px 0}
.info,.h-info,.author_share,.detail-info,.story-date{color:#777;font-size:13px;margin-bottom:15px}
#Content p,#detail p,.article_right p,.TRS_Editor p,.text-formatted p{font-size:17px;line-height:1.7}
.share-bar,.detail-tools,.article-tools{font-size:12px;color:#999;border-top:1px solid #eee;padding-top:8px}
.footer{background:#222;color:#bbb;font-size:12px;padding:20px;margin-top:40px}.footer a{color:#ddd;margin-right:10px}
.pages a,.page a{display:inline-block;border:1px solid #ddd;padding:2px 8px;margin-right:4px}
.list_info,.list-news li{border-bottom:1px dotted #ddd;padding:8px 0}
@media (max-width:768px){.container{display:block}.sidebar{width:auto}.main-nav{display:none}}
"""

_HEAD_SCRIPT = """
window.dataLayer = window.dataLayer || [];
function gtag(){dataLayer.push(arguments);}
gtag('js', new Date());
gtag('config', 'UA-000000-1', {'anonymize_ip': true, 'page_type': '%(page_type)s'});
var siteConfig = {
  outlet: '%(outlet)s', lang: '%(lang)s', adNetwork: 'demo-ads', lazyLoad: true,
  shareTargets: ['weibo', 'wechat', 'facebook', 'twitter', 'linkedin', 'email'],
  fontSizes: {small: 14, normal: 17, large: 20}
};
(function (w, d) {
  var ua = w.navigator.userAgent || '';
  w.isMobile = /Android|iPhone|iPad|iPod|Mobile/i.test(ua);
  if (w.isMobile) { d.documentElement.className += ' mobile'; }
})(window, document);
"""

_TAIL_SCRIPT = """
(function () {
  function ready(fn) {
    if (document.readyState !== 'loading') { fn(); } else { document.addEventListener('DOMContentLoaded', fn); }
  }
  function lazyImages() {
    var imgs = document.querySelectorAll('img[data-src]');
    if (!('IntersectionObserver' in window)) {
      for (var i = 0; i < imgs.length; i++) { imgs[i].src = imgs[i].getAttribute('data-src'); }
      return;
    }
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          entry.target.src = entry.target.getAttribute('data-src');
          io.unobserve(entry.target);
        }
      });
    }, {rootMargin: '200px'});
    imgs.forEach(function (img) { io.observe(img); });
  }
  function shareButtons() {
    var links = document.querySelectorAll('.share-bar a[data-target], .article-tools a[data-target]');
    for (var i = 0; i < links.length; i++) {
      links[i].addEventListener('click', function (ev) {
        ev.preventDefault();
        var target = this.getAttribute('data-target');
        var url = encodeURIComponent(document.location.href);
        var title = encodeURIComponent(document.title);
        var map = {
          weibo: 'https://service.weibo.com/share/share.php?url=' + url + '&title=' + title,
          facebook: 'https://www.facebook.com/sharer/sharer.php?u=' + url,
          twitter: 'https://twitter.com/intent/tweet?url=' + url + '&text=' + title,
          linkedin: 'https://www.linkedin.com/shareArticle?mini=true&url=' + url
        };
        if (map[target]) { window.open(map[target], '_blank', 'width=600,height=500'); }
      });
    }
  }
  function fontSize() {
    var buttons = document.querySelectorAll('[data-font]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].addEventListener('click', function () {
        var size = siteConfig.fontSizes[this.getAttribute('data-font')] || 17;
        var paras = document.querySelectorAll('#main p');
        for (var j = 0; j < paras.length; j++) { paras[j].style.fontSize = size + 'px'; }
      });
    }
  }
  function backToTop() {
    var btn = document.createElement('a');
    btn.className = 'back-to-top';
    btn.href = '#top';
    btn.style.display = 'none';
    document.body.appendChild(btn);
    window.addEventListener('scroll', function () {
      btn.style.display = window.pageYOffset > 600 ? 'block' : 'none';
    });
  }
  function adSlots() {
    var slots = document.querySelectorAll('.ad-slot');
    for (var i = 0; i < slots.length; i++) {
      slots[i].setAttribute('data-loaded', 'false');
      slots[i].setAttribute('data-network', siteConfig.adNetwork);
    }
  }
  ready(function () { lazyImages(); shareButtons(); fontSize(); backToTop(); adSlots(); });
})();
"""


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def description(article: Article, paragraphs: tuple[str, ...]) -> str:
    first = paragraphs[0]
    stop = "。" if article.outlet == "xjgov" else ". "
    cut = first.find(stop)
    text = first if cut < 0 else first[: cut + 1]
    return text if len(text) <= 220 else text[:217].rsplit(" ", 1)[0] + "..."


def _head(outlet: str, title: str, base: str, page_type: str, extra: str = "") -> str:
    o, s = OUTLETS[outlet], STYLES[outlet]
    charset = "gbk" if outlet == "xjgov" else "utf-8"
    script = _HEAD_SCRIPT % {"page_type": page_type, "outlet": outlet, "lang": o.language}
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if o.language == "zh" else "en"}">\n<head>\n'
        f'<meta charset="{charset}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        '<meta http-equiv="X-UA-Compatible" content="IE=edge">\n'
        f"<title>{escape(title)}</title>\n{extra}"
        f'<link rel="icon" href="{base}{o.home}favicon.ico">\n'
        f"<style>{_CSS % {'accent': s.accent}}</style>\n<script>{script}</script>\n</head>\n"
    )


def _body(outlet: str, main: str, base: str, furn: Furniture) -> str:
    o, s = OUTLETS[outlet], STYLES[outlet]
    nav = "".join(f'<li><a href="{href}">{escape(label)}</a></li>' for label, href in s.nav)
    most = "".join(f'<li><a href="{href}">{escape(t)}</a></li>' for t, href in furn.most_read)
    footer = " ".join(f'<a href="{href}">{escape(label)}</a>' for label, href in s.nav)
    site_map = "".join(f'<li><a href="{o.home}info/{i}.html">{escape(t)}</a></li>' for i, t in enumerate(s.footer))
    partners = "".join(f'<li><a href="http://example.com/partner/{i}">Partner site {i}</a></li>' for i in range(1, 9))
    banner = f'<div class="site-banner"><p>{escape(furn.banner)}</p></div>\n' if furn.banner else ""
    return (
        f'<body class="{outlet}" id="top">\n{banner}'
        f'<div class="topbar" id="topbar"><a href="{o.home}">{escape(o.label)}</a>'
        '<a href="/unnews/">UN News</a><a href="/xinhua/english/">Xinhua</a>'
        '<a href="/globaltimes/">Global Times</a><a href="/chinadaily/">China Daily</a></div>\n'
        f'<header class="header" id="header"><div class="logo"><a href="{o.home}">{escape(o.label)}</a></div>\n'
        f'<nav class="nav main-nav"><ul>{nav}</ul></nav>\n'
        f'<form class="search" action="{o.home}search" method="get"><input type="text" name="q"></form></header>\n'
        f'<div class="ad-slot ad-top" id="ad-{furn.ad_id}" data-slot="top"></div>\n'
        f'<div class="container">\n<main id="main">\n{main}\n</main>\n'
        f'<aside class="sidebar most-read" id="sidebar">\n<h3 class="sidebar-title">{escape(s.most_read)}</h3>\n'
        f'<ol class="most-read-list">{most}</ol>\n'
        f'<div class="ad-slot ad-side" id="ad-side-{furn.ad_id}" data-slot="side"></div>\n'
        f'<form class="newsletter" method="post" action="{o.home}subscribe">'
        f'<input type="hidden" name="csrf" value="{furn.csrf}">'
        f'<input type="email" name="email"><button type="submit">{escape(s.subscribe)}</button></form>\n'
        "</aside>\n</div>\n"
        f'<footer class="footer" id="footer">\n<div class="footer-links">{footer}</div>\n'
        f'<ul class="footer-sitemap">{site_map}</ul>\n<ul class="footer-partners">{partners}</ul>\n'
        f'<p class="copyright">{escape(s.copyright)}</p>\n'
        f'<p class="page-stats">{escape(s.generated)}{furn.clock}</p>\n</footer>\n'
        f"<script>{_TAIL_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _paras(paragraphs: tuple[str, ...]) -> str:
    return "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)


def _meta(article: Article, title: str, paragraphs: tuple[str, ...], base: str) -> str:
    url = base + article.path
    site = OUTLETS[article.outlet].label
    desc = escape(description(article, paragraphs))
    tags = [
        f'<meta name="description" content="{desc}">',
        f'<meta property="og:title" content="{escape(title)}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:url" content="{url}">',
        f'<meta property="og:site_name" content="{escape(site)}">',
        f'<meta property="og:description" content="{desc}">',
        f'<link rel="canonical" href="{url}">',
    ]
    if article.author:
        tags.append(f'<meta name="author" content="{escape(article.author)}">')
    if article.outlet in ("chinadaily", "globaltimes"):
        tags.append(f'<meta property="article:published_time" content="{article.published}">')
        tags.append(f'<meta property="article:modified_time" content="{article.modified}">')
        tags.append(f'<meta property="article:section" content="{escape(article.section)}">')
    if article.outlet == "xjgov":
        tags += [
            '<meta name="SiteName" content="新疆维吾尔自治区人民政府新闻办公室">',
            f'<meta name="ColumnName" content="{escape(article.section)}">',
            f'<meta name="ArticleTitle" content="{escape(title)}">',
            f'<meta name="PubDate" content="{_dt(article.published):%Y-%m-%d %H:%M}">',
            f'<meta name="ContentSource" content="{escape(article.source or "")}">',
        ]
    if article.outlet in ("xinhua", "unnews"):
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": article.published,
            "dateModified": article.modified,
            "mainEntityOfPage": url,
            "inLanguage": OUTLETS[article.outlet].language,
            "description": description(article, paragraphs),
            "author": {"@type": "Organization", "name": site},
            "publisher": {"@type": "Organization", "name": site},
        }
        ld = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
        tags.append(f'<script type="application/ld+json">{ld}</script>')
    return "\n".join(tags) + "\n"


def _share(furn: Furniture, css_class: str = "share-bar") -> str:
    targets = "".join(
        f'<a href="#" data-target="{t}">{t.title()}</a> ' for t in ("weibo", "facebook", "twitter", "linkedin")
    )
    return (
        f'<div class="{css_class}"><span class="views">Views: {furn.views}</span> | Share: {targets}'
        '<a href="#" data-font="small">A-</a> <a href="#" data-font="large">A+</a></div>'
    )


def _main_chinadaily(a: Article, title: str, paras: tuple[str, ...], furn: Furniture) -> str:
    byline = f"By {escape(a.author)} | " if a.author else ""
    slug = a.section.lower()
    return (
        f'<div class="breadcrumb"><a href="/chinadaily/">Home</a>&gt; '
        f'<a href="/chinadaily/{slug}/index.html">{escape(a.section)}</a></div>\n'
        f'<article class="main_art">\n<h1>{escape(title)}</h1>\n'
        f'<p class="info"><span class="info_l">{byline}{escape(a.source or "")} | '
        f"Updated: {_dt(a.modified):%Y-%m-%d %H:%M}</span></p>\n"
        f'<div id="Content">\n{_paras(paras)}\n</div>\n</article>\n{_share(furn)}'
    )


def _main_xinhua(a: Article, title: str, paras: tuple[str, ...], furn: Furniture) -> str:
    slug = a.section.lower()
    return (
        f'<div class="location"><a href="/xinhua/english/">Home</a> &gt; '
        f'<a href="/xinhua/english/{slug}/index.html">{escape(a.section)}</a></div>\n'
        f'<div class="domPC main-content">\n<h1 class="h-title">{escape(title)}</h1>\n'
        f'<div class="h-info"><span class="h-time">{_dt(a.published):%Y-%m-%d %H:%M:%S}</span> '
        '<span class="source">Source: Xinhua</span></div>\n'
        f'<div id="detail">\n{_paras(paras)}\n</div>\n'
        '<div class="h-editor">Editor: huaxia</div>\n</div>\n'
        f"{_share(furn, 'article-tools')}"
    )


def _main_globaltimes(a: Article, title: str, paras: tuple[str, ...], furn: Furniture) -> str:
    byline = f'<span class="byline">By {escape(a.author)}</span> ' if a.author else ""
    return (
        f'<div class="article">\n<div class="article_column">{escape(a.section)}</div>\n'
        f'<h1 class="article_title">{escape(title)}</h1>\n'
        f'<div class="author_share"><div class="author_share_left">{byline}'
        f'<span class="pub_time">Published: {_dt(a.published):%b %d, %Y %I:%M %p}</span></div></div>\n'
        f'<div class="article_content"><div class="article_right">\n{_paras(paras)}\n</div></div>\n</div>\n'
        f"{_share(furn)}"
    )


def _main_xjgov(a: Article, title: str, paras: tuple[str, ...], furn: Furniture) -> str:
    return (
        '<div class="position">当前位置：<a href="/xjgov/">首页</a> &gt; '
        f'<a href="/xjgov/xwfb/index.html">{escape(a.section)}</a></div>\n'
        f'<div class="detail">\n<h2 class="detail-title">{escape(title)}</h2>\n'
        f'<div class="detail-info"><span>发布时间：{_dt(a.published):%Y-%m-%d %H:%M}</span> '
        f"<span>来源：{escape(a.source or '')}</span></div>\n"
        f'<div class="detail-content"><div class="TRS_Editor">\n{_paras(paras)}\n</div></div>\n</div>\n'
        f'<div class="detail-tools"><span class="views">浏览次数：{furn.views}</span> '
        '<a href="javascript:window.print()">打印本页</a> <a href="javascript:window.close()">关闭窗口</a></div>'
    )


def _main_unnews(a: Article, title: str, paras: tuple[str, ...], furn: Furniture) -> str:
    topic = a.section.lower().replace(" ", "-")
    day = _dt(a.published)
    return (
        '<article role="article" class="node node--type-news-story node--view-mode-full">\n'
        f'<h1 class="story-title"><span class="field--name-title">{escape(title)}</span></h1>\n'
        f'<div class="story-date"><time datetime="{a.published}">{day.day} {day:%B %Y}</time> | '
        f'<a href="/unnews/topic/{topic}">{escape(a.section)}</a></div>\n'
        f'<div class="field field--name-field-text-column text-formatted">\n{_paras(paras)}\n</div>\n'
        f"</article>\n{_share(furn, 'article-tools')}"
    )


_MAIN = {
    "chinadaily": _main_chinadaily,
    "xinhua": _main_xinhua,
    "globaltimes": _main_globaltimes,
    "xjgov": _main_xjgov,
    "unnews": _main_unnews,
}
_TITLE_SUFFIX = {
    "chinadaily": " - Chinadaily.com.cn",
    "xinhua": " - Xinhua | English.news.cn",
    "globaltimes": " - Global Times",
    "xjgov": " - 新疆维吾尔自治区人民政府新闻办公室",
    "unnews": " | UN News",
}


def article_page(a: Article, title: str, paras: tuple[str, ...], base: str, furn: Furniture) -> str:
    head = _head(a.outlet, title + _TITLE_SUFFIX[a.outlet], base, "article", _meta(a, title, paras, base))
    return head + _body(a.outlet, _MAIN[a.outlet](a, title, paras, furn), base, furn)


def _pager(outlet: str, pages: list[str], current: int) -> str:
    """Numbered page links plus previous/next; `current` is 0-based."""
    name = lambda p: p.rsplit("/", 1)[1]  # noqa: E731 - relative links, as on the real sites
    zh = outlet == "xjgov"
    parts = [f"共{len(pages)}页 " if zh else ""]
    if current > 0:
        parts.append(f'<a href="{name(pages[current - 1])}" rel="prev">{"上一页" if zh else "« Prev"}</a>')
    for i, p in enumerate(pages):
        parts.append(f"<span>{i + 1}</span>" if i == current else f'<a href="{name(p)}">{i + 1}</a>')
    if current + 1 < len(pages):
        parts.append(f'<a href="{name(pages[current + 1])}" rel="next">{"下一页" if zh else "Next »"}</a>')
    return f'<div class="{"page" if zh else "pages"}">{" ".join(parts)}</div>'


def listing_page(
    outlet: str, items: list[tuple[Article, str]], pages: list[str], current: int, base: str, furn: Furniture
) -> str:
    """A paginated section listing (Global Times, Xinjiang press office)."""
    if outlet == "xjgov":
        rows = "".join(
            f'<li><a href="./{a.path.split("/xwfb/", 1)[1]}" target="_blank" title="{escape(t)}">{escape(t)}</a>'
            f'<span class="date">{a.published[:10]}</span></li>\n'
            for a, t in items
        )
        main = (
            '<div class="position">当前位置：<a href="/xjgov/">首页</a> &gt; 新闻发布</div>\n'
            f'<h2 class="column-title">新闻发布</h2>\n<ul class="list-news">\n{rows}</ul>\n'
            f"{_pager(outlet, pages, current)}\n"
            '<div class="links">相关链接：<a href="/xjgov/about.html">关于我们</a> '
            '<a href="/xjgov/zcwj/index.html">政策文件</a> <a href="http://example.com/">中国政府网</a></div>'
        )
        title = "新闻发布 - 新疆维吾尔自治区人民政府新闻办公室"
    else:
        featured = ""
        if current == 0 and items:
            a, t = items[0]
            featured = f'<div class="featured"><a href="{a.path}?utm_source=featured">{escape(t)}</a></div>\n'
        rows = "".join(
            f'<div class="list_info"><a class="new_title_ms" href="{a.path}">{escape(t)}</a>'
            f"<p>{escape(description(a, a.paragraphs))}</p>"
            f'<div class="source_time">{escape(a.author or "Global Times")} | {_dt(a.published):%Y/%m/%d %H:%M} '
            f'<a class="comments" href="{a.path}#comments">Comments</a></div></div>\n'
            for a, t in items
        )
        main = (
            f'<div class="column_title">CHINA</div>\n{featured}<div class="level01_list">\n{rows}</div>\n'
            f"{_pager(outlet, pages, current)}\n"
            '<div class="more-links"><a href="/globaltimes/about.html">About us</a> '
            '<a href="/globaltimes/world/index.html">World</a> <a href="/globaltimes/opinion/index.html">Opinion</a> '
            '<a href="http://example.com/">Partner site</a></div>'
        )
        title = "China - Global Times" + (f" - Page {current + 1}" if current else "")
    return _head(outlet, title, base, "listing") + _body(outlet, main, base, furn)


def simple_page(
    outlet: str,
    heading: str,
    text: str,
    links: list[tuple[str, str]],
    base: str,
    furn: Furniture,
    extra_head: str = "",
) -> str:
    """Front, section and about pages: a heading, a sentence and some links (`extra_head`: e.g. feed links)."""
    items = "".join(f'<li><a href="{href}">{escape(label)}</a></li>' for label, href in links)
    main = f'<h1 class="page-title">{escape(heading)}</h1>\n<p>{escape(text)}</p>\n<ul class="links">{items}</ul>'
    return _head(outlet, f"{heading} - {OUTLETS[outlet].label}", base, "section", extra_head) + _body(
        outlet, main, base, furn
    )


def error_page(status: int, reason: str, path: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{status} {escape(reason)}</title>'
        f"</head>\n<body><h1>{status} {escape(reason)}</h1>\n<p>The page {escape(path)} is not available.</p>\n"
        '<p><a href="/chinadaily/">China Daily</a> | <a href="/xinhua/english/">Xinhua</a> | '
        '<a href="/globaltimes/">Global Times</a> | <a href="/unnews/">UN News</a></p></body></html>\n'
    )
