"""A diff of two versions (warehouse.history.VersionDiff) rendered for `presswatch diff`: coloured or marked text, JSON, an HTML page."""

from __future__ import annotations

import click

from flows.change_report.templating import render

CONTEXT_CHARS = 160  # how much of an unchanged neighbouring paragraph the text diff shows


def _version_json(v) -> dict:
    return {
        "version": v.version,
        "change_kind": v.change_kind,
        "title": v.title,
        "valid_from": v.valid_from.isoformat(),
        "extractor_version": v.extractor_version,
        "url": v.url,
    }


def _segments_json(segments) -> list[dict]:
    return [{"op": s.op, "text": s.text} for s in segments]


def diff_json(d) -> dict:
    """The diff for programs: both versions, the title's and each paragraph's segments."""
    return {
        "article_id": d.new.article_id,
        "canonical_url": d.new.canonical_url,
        "source": d.new.source,
        "from": _version_json(d.old),
        "to": _version_json(d.new),
        "title": _segments_json(d.title) if d.title is not None else None,
        "words_added": d.words_added,
        "words_removed": d.words_removed,
        "hunks": [
            {
                "old_paragraph": h.old_start,
                "new_paragraph": h.new_start,
                "paragraphs": [_segments_json(p) for p in h.paragraphs],
            }
            for h in d.hunks
        ],
    }


def _describe(v) -> str:
    kind = f"deleted, HTTP {v.http_status}" if v.is_tombstone and v.http_status else v.change_kind
    return f"version {v.version} ({kind}, {v.valid_from:%Y-%m-%d %H:%M:%S} UTC)"


def diff_text(d, color: bool) -> str:
    """The diff for a terminal: changed words coloured, or marked [-removed-] and {+added+}."""

    def mark(segment) -> str:
        if segment.op == "equal":
            return segment.text
        if color:
            return click.style(
                segment.text,
                fg="red" if segment.op == "delete" else "green",
                strikethrough=segment.op == "delete",
                underline=segment.op == "insert",
            )
        return f"[-{segment.text}-]" if segment.op == "delete" else f"{{+{segment.text}+}}"

    def context(text: str, before: bool) -> str:
        if len(text) <= CONTEXT_CHARS:
            return text
        return "…" + text[-CONTEXT_CHARS:] if before else text[:CONTEXT_CHARS] + "…"

    header = f"{d.new.canonical_url} ({d.new.source})"
    lines = [
        click.style(header, bold=True) if color else header,
        f"{_describe(d.old)} → {_describe(d.new)}: +{d.words_added} -{d.words_removed} words",
    ]
    if d.unchanged:
        lines.append("no difference in title or text")
    if d.title is not None:
        lines.append("title: " + "".join(mark(s) for s in d.title))
    for hunk in d.hunks:
        lines.append("")
        at = f"@@ paragraph {hunk.old_start} → {hunk.new_start} @@"
        lines.append(click.style(at, fg="cyan") if color else at)
        changed_seen = False
        for paragraph in hunk.paragraphs:
            if all(s.op == "equal" for s in paragraph):
                lines.append(context(paragraph[0].text, before=not changed_seen))
            else:
                changed_seen = True
                lines.append("".join(mark(s) for s in paragraph))
    return "\n".join(lines)


def diff_html(d) -> str:
    """A self-contained HTML page of the diff (the change report's diff marks, templates/diff_page.html)."""
    title = d.new.title or d.old.title or d.new.canonical_url
    lang = d.new.language or d.old.language or "en"
    return render("diff_page.html", d=d, title=title, lang=lang, old=_describe(d.old), new=_describe(d.new))
