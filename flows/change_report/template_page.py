"""The change report's page of a source's site template: each template event (anchor #vN), the lines that
appeared and went, and a page that shows it. Alerts and the index link here as they link to an article."""

from __future__ import annotations

import html
from pathlib import Path

from flows.change_report.paths import page_name
from warehouse.change_kinds import TEMPLATE
from warehouse.template import TemplateEvent, events_of

_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;margin:1.5em auto;max-width:78em;padding:0 1em;color:#222}"
    "del{background:#ffe0e0;color:#a00}ins{background:#ddf5dd;color:#060;text-decoration:none}"
    ".version{border:1px solid #ddd;border-radius:4px;padding:.6em 1em;margin:1em 0}.muted{color:#666}"
)


def template_id(source: str) -> str:
    """The id a source's template events carry in alerts, feeds and the report (warehouse's template_changes)."""
    return f"{TEMPLATE}:{source}"


def template_source(article_id: str) -> str | None:
    """The source whose template events `article_id` names, or None for an article."""
    prefix = f"{TEMPLATE}:"
    return article_id[len(prefix) :] if article_id.startswith(prefix) else None


def write_template_pages(con, articles: Path, sources: list[str]) -> int:
    """The page of each of `sources`' site template (every event of it), in the report's articles/ folder."""
    for source, events in events_of(con, sources).items():
        path = articles / page_name(template_id(source))
        partial = path.with_name(path.name + ".partial")
        partial.write_text(_page(source, events), encoding="utf-8")
        partial.replace(path)
    return len(sources)


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _page(source: str, events: list[TemplateEvent]) -> str:
    sections = []
    for event in events:
        lines = "".join(f"<p><ins>{_e(line)}</ins></p>" for line in event.appeared)
        lines += "".join(f"<p><del>{_e(line)}</del></p>" for line in event.went)
        example = f' · e.g. <a href="{_e(event.example_url)}">{_e(event.example_url)}</a>' if event.example_url else ""
        when = f"{event.detected_at:%Y-%m-%d %H:%M:%S} UTC" if event.detected_at else ""
        sections.append(
            f'<section class="version" id="v{event.event}"><h2>template event {event.event}: {_e(event.title)}</h2>'
            f'<p class="muted">detected {when}{example}</p>{lines}</section>'
        )
    title = f"{source}: site template"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head><body>"
        f'<p><a href="../index.html">← all changes</a></p><h1>{_e(title)}</h1>'
        "<p>Lines that recur across many articles of this source are the site's, not an article's: they are "
        "left out of the stored texts and never make versions. Added lines in green, lines that went in red.</p>"
        f"{''.join(sections)}</body></html>\n"
    )
