"""An alert's message in three forms: HTML email with the inline word diff, plain text for chat, JSON for webhooks.

The JSON document (`schema: "presswatch.alert/1"`) is documented in docs/alerts.md.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from crawlers.alert_rules import AlertRule
from flows.change_report.paths import page_url
from warehouse.change_kinds import EDIT_KINDS
from warehouse.changes import Change
from warehouse.history import diff_texts, segments
from warehouse.textdiff import sentences, word_gap

SCHEMA = "presswatch.alert/1"


@dataclass(frozen=True)
class Message:
    """One message of one rule: a title and the same content as text, HTML and JSON."""

    title: str
    text: str
    html: str
    json: str


def describe(change: Change) -> str:
    """The kind as a person reads it: "edited (silent)", "deleted (HTTP 404)"."""
    kind = change.change_kind
    if kind in EDIT_KINDS:
        kind += " (silent)" if change.silent else " (dates moved)"
    elif kind == "deleted" and change.http_status:
        kind += f" (HTTP {change.http_status})"
    return kind


def title_of(rule: AlertRule, changes: list[Change], digest: bool) -> str:
    what = "digest" if digest else "alert"
    first = changes[0].title or changes[0].canonical_url if changes else "no changes"
    more = f" and {len(changes) - 1} more" if len(changes) > 1 else ""
    return f"presswatch {what} {rule.name}: {len(changes)} change(s): {first}{more}"


def render(
    rule: AlertRule, changes: list[Change], report_base: str, digest: bool = False, now: datetime | None = None
) -> Message:
    """The message listing every change in `changes` for `rule`."""
    now = now or datetime.now(UTC)
    return Message(
        title=title_of(rule, changes, digest),
        text=_text(rule, changes, report_base, digest),
        html=_html(rule, changes, report_base, digest),
        json=_json(rule, changes, report_base, digest, now),
    )


def removed_added(change: Change) -> tuple[str | None, str | None]:
    """(removed, added) sentence: the first one an edit changed, a retitle's titles."""
    if change.change_kind == "retitled":
        return change.previous_title, change.title
    if change.change_kind == "deleted":  # what the reader lost: the article's opening sentence
        return change.previous_sentence or next(iter(sentences(change.old_text)), None), None
    return change.previous_sentence, change.changed_sentence


def _text(rule: AlertRule, changes: list[Change], base: str, digest: bool) -> str:
    head = f"presswatch {'digest' if digest else 'alert'} {rule.name}: {len(changes)} change(s)"
    lines = [head, ""]
    for n, c in enumerate(changes, 1):
        lines.append(f"{n}. [{c.source}] {describe(c)}: {c.title or c.canonical_url}")
        removed, added = removed_added(c)
        if removed:
            lines.append(f"   - {removed}")
        if added:
            lines.append(f"   + {added}")
        lines.append(f"   {c.canonical_url}")
        lines.append(f"   report: {page_url(base, c.article_id, c.version)}")
        lines.append(f"   detected {c.detected_at:%Y-%m-%d %H:%M} UTC")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


_STYLE = (
    "del{background:#ffe0e0;color:#a00}ins{background:#ddf5dd;color:#060;text-decoration:none}"
    "li{margin-bottom:1em}.meta{color:#555;font-size:90%}.diff{border-left:3px solid #ccc;padding-left:.6em}"
)


# Hidden in HTML, kept by the plain-text part mail clients fall back to: "[-removed-]{+added+}".
_HIDDEN = '<span style="display:none">{}</span>'


def _inline_diff(change: Change) -> str:
    """The changed paragraphs with removed words in <del> and added ones in <ins>."""

    def mark(segment) -> str:
        text = html.escape(segment.text)
        if segment.op == "delete":
            return f"<del>{_HIDDEN.format('[-')}{text}{_HIDDEN.format('-]')}</del>"
        if segment.op == "insert":
            return f"<ins>{_HIDDEN.format('{+')}{text}{_HIDDEN.format('+}')}</ins>"
        return text

    def marked(parts) -> str:
        out, before = [], None
        for segment in parts:  # a space between "fabricated" taken out and "not" put in (word_gap)
            if before is not None and before.op == "delete" and segment.op == "insert":
                out.append(" " if word_gap(before.text, segment.text) else "")
            out.append(mark(segment))
            before = segment
        return "".join(out)

    parts = []
    if (change.previous_title or "") != (change.title or "") and change.change_kind in EDIT_KINDS:
        title = marked(segments(change.previous_title, change.title))
        parts.append(f"<p><b>title:</b> {title}</p>")
    if change.change_kind in EDIT_KINDS:
        for hunk in diff_texts(change.old_text, change.new_text, context=0):
            for paragraph in hunk.paragraphs:
                parts.append("<p>" + marked(paragraph) + "</p>")
    return f'<div class="diff">{"".join(parts)}</div>' if parts else ""


def _html(rule: AlertRule, changes: list[Change], base: str, digest: bool) -> str:
    items = []
    for c in changes:
        removed, added = removed_added(c)
        sentence = ""
        if removed:
            sentence += f"<p>removed: <del>{html.escape(removed)}</del></p>"
        if added:
            sentence += f"<p>added: <ins>{html.escape(added)}</ins></p>"
        diff = _inline_diff(c)
        report = page_url(base, c.article_id, c.version)
        items.append(
            f"<li><b>{html.escape(c.title or c.canonical_url)}</b>"
            f'<div class="meta">{html.escape(c.source)} · {html.escape(describe(c))} · '
            f"detected {c.detected_at:%Y-%m-%d %H:%M} UTC</div>"
            f"{sentence}{diff}"
            f'<div>original: <a href="{html.escape(c.canonical_url, quote=True)}">'
            f"{html.escape(c.canonical_url)}</a></div>"
            f'<div>every version: <a href="{html.escape(report, quote=True)}">{html.escape(report)}</a></div>'
            "</li>"
        )
    what = "digest" if digest else "alert"
    return (
        f'<html><head><meta charset="utf-8"><style>{_STYLE}</style></head><body>'
        f"<h2>presswatch {what} {html.escape(rule.name)}: {len(changes)} change(s)</h2>"
        f"<ol>{''.join(items)}</ol></body></html>"
    )


def change_json(change: Change, base: str) -> dict:
    """One change as the webhook and feed documents carry it."""
    removed, added = removed_added(change)
    return {
        "article_id": change.article_id,
        "version": change.version,
        "from_version": change.from_version,
        "source": change.source,
        "kind": change.change_kind,
        "silent": bool(change.silent),
        "title": change.title,
        "previous_title": change.previous_title,
        "removed_sentence": removed,
        "added_sentence": added,
        "words_added": change.words_added,
        "words_removed": change.words_removed,
        "url": change.canonical_url,
        "report_url": page_url(base, change.article_id, change.version),
        "detected_at": change.detected_at.replace(tzinfo=UTC).isoformat(),
    }


def _json(rule: AlertRule, changes: list[Change], base: str, digest: bool, now: datetime) -> str:
    return json.dumps(
        {
            "schema": SCHEMA,
            "rule": rule.name,
            "digest": digest,
            "sent_at": now.isoformat(),
            "count": len(changes),
            "changes": [change_json(c, base) for c in changes],
        },
        ensure_ascii=False,
    )
