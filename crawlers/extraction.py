"""Turn one decoded HTML page into article fields with trafilatura, in a worker process.

Everything here is picklable and free of Scrapy so a process pool (and `presswatch reextract`)
can call `extract_page` directly.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING, cast

import trafilatura

from crawlers.extraction_options import EXTRACT_FAILED, ExtractionOptions
from warehouse.blocks import block_hashes

if TYPE_CHECKING:
    from trafilatura.settings import Document

EXTRACTOR = "trafilatura"
_UPDATED_LABEL = re.compile(
    r"(?:Updated|Last updated|Modified|更新时间|更新於|发布时间)\s*[:：]?\s*"
    r"([0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?"
    r"|[A-Z][a-z]+\.? [0-9]{1,2}, [0-9]{4})",
)
_MODIFIED_META = (
    "//meta[@property='article:modified_time']/@content",
    "//meta[@property='og:updated_time']/@content",
    "//meta[@name='lastmod']/@content",
    "//meta[@itemprop='dateModified']/@content",
)
# A line that is only a date label ("Updated: 2021-02-08 10:12", "chinadaily.com.cn | Updated: Feb 8,
# 2021", "发布时间：2021年02月05日"): pages bump it without editing, so it never reaches the hash.
_DATE = r"(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|[A-Z][a-z]{2,8}\.? \d{1,2},? \d{4}|\d{1,2} [A-Z][a-z]{2,8} \d{4})"
_SEPARATOR = r"(?:[|｜·•/]|来源|作者|责任编辑|source|by|editor)"
_DATE_LINE = re.compile(
    rf"^(?:[^\n]{{0,60}}?[|｜·•/]\s*)?(?:updated|last updated|published|posted|modified|date|更新时间|发布时间|发布日期)"
    rf"\s*[:：]?\s*{_DATE}(?:\s*\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?(?:\s*{_SEPARATOR}[^\n]{{0,60}})?\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")


def normalise_text(text: str | None) -> str:
    """NFC, white space collapsed inside lines, blank lines dropped: what versions are compared on."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def content_hash(title: str | None, text: str | None) -> str:
    """Hash of the normalised title and text; a new hash is a new version."""
    payload = normalise_text(title) + "\x1f" + normalise_text(text)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def extract_page(html: str, url: str, options: ExtractionOptions) -> dict:
    """Article fields of one page, {"outcome": "no_article", "reason": ...} when it holds none, or
    {"outcome": "extract_failed", "reason": ...} when the extractor raised.

    The page is parsed once: what presswatch reads beyond trafilatura (the html lang, the canonical
    link, the modified-date metas) is read from the tree before trafilatura prunes its copy of it.
    """
    try:
        tree = trafilatura.load_html(html)
    except Exception:  # noqa: BLE001 - hostile markup: let trafilatura fail on it below, as before
        tree = None
    lang, link_canonical, modified_meta = _html_lang(tree), _link_canonical(tree), _modified_meta(tree, html)
    try:
        doc = trafilatura.bare_extraction(
            tree if tree is not None else html,
            url=url,
            with_metadata=True,
            include_comments=options.include_comments,
            include_tables=options.include_tables,
            favor_precision=options.favor_precision,
            favor_recall=options.favor_recall,
            prune_xpath=options.prune_xpath(),
        )
    except Exception as exc:  # noqa: BLE001 - whatever the library raised, the page is recorded, never "no article"
        return extraction_failure(exc)
    # bare_extraction returns a Document unless asked for a dict (as_dict defaults to False here).
    doc = cast("Document | None", doc)
    text = _DATE_LINE.sub("", _strip_patterns((doc.text or "") if doc else "", options.ignore_patterns))
    if doc is None or len(normalise_text(text)) < options.min_text_chars:
        # the extractor that said so: a page without an article is read again when it changes
        return {
            "outcome": "no_article",
            "reason": "no article text found",
            "extractor_version": options.extractor_version,
        }
    title = normalise_text(_strip_patterns(doc.title or "", options.ignore_patterns)) or None
    tags = [t for t in (doc.categories or []) + (doc.tags or []) if t]
    text = normalise_text(text)
    return {
        "outcome": "article",
        "title": title,
        "text": text,
        "blocks": block_hashes(text),  # per line, for the loader's template model (warehouse/template.py)
        "author": doc.author or None,
        "published_at": doc.date or None,
        "site_name": doc.sitename or None,
        "language": doc.language or lang,
        "tags": list(dict.fromkeys(tags)),
        "description": doc.description or None,
        "declared_canonical": doc.url if doc.url and doc.url != url else link_canonical,
        "modified_at": modified_meta,
        "updated_label": _updated_label(html),
        "content_hash": content_hash(title, text),
        "extractor": EXTRACTOR,
        "extractor_version": options.extractor_version,
    }


def extraction_failure(exc: BaseException) -> dict:
    """The record of a page whose extraction raised `exc`."""
    return {"outcome": EXTRACT_FAILED, "reason": f"extractor failed: {type(exc).__name__}: {exc}"[:300]}


def _strip_patterns(text: str, patterns: tuple[str, ...]) -> str:
    for pattern in patterns:
        text = re.sub(pattern, "", text)
    return text


def _html_lang(tree) -> str | None:
    if tree is None:
        return None
    root = tree.getroottree().getroot() if hasattr(tree, "getroottree") else tree
    lang = root.get("lang") or root.get("xml:lang")
    return lang.split("-")[0].lower() if lang else None


def _link_canonical(tree) -> str | None:
    if tree is None:
        return None
    hrefs = tree.xpath("//link[@rel='canonical']/@href")
    return hrefs[0].strip() if hrefs else None


def _modified_meta(tree, html: str) -> str | None:
    if tree is not None:
        for xpath in _MODIFIED_META:
            values = tree.xpath(xpath)
            if values and values[0].strip():
                return values[0].strip()
    match = re.search(r'"dateModified"\s*:\s*"([^"]+)"', html)
    return match.group(1) if match else None


def _updated_label(html: str) -> str | None:
    match = _UPDATED_LABEL.search(html)
    return match.group(1) if match else None
