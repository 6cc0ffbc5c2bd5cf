"""The change report's page of a source's site template: each template event (anchor #vN), the lines that
appeared and went, and a page that shows it. Alerts and the index link here as they link to an article."""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

from flows.change_report.paths import page_name
from warehouse.template import TemplateEvent, read_events

_STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;margin:1.5em auto;max-width:78em;padding:0 1em;color:#222}"
    "del{background:#ffe0e0;color:#a00}ins{background:#ddf5dd;color:#060;text-decoration:none}"
    ".version{border:1px solid #ddd;border-radius:4px;padding:.6em 1em;margin:1em 0}.muted{color:#666}"
)


def template_id(source: str) -> str:
    """The id a source's template events carry in alerts, feeds and the report (warehouse's template_changes)."""
    return f"template:{source}"


def write_template_pages(db, articles: Path, since: datetime | None = None, wait: float = 10.0) -> int:
    """One page per source with template events since `since`, in the report's articles/ folder; how many."""
    by_source: dict[str, list[TemplateEvent]] = {}
    for event in read_events(db, since, wait=wait):
        by_source.setdefault(event.source, []).append(event)
    for source, events in by_source.items():
        path = articles / page_name(template_id(source))
        partial = path.with_name(path.name + ".partial")
        partial.write_text(_page(source, events), encoding="utf-8")
        partial.replace(path)
    return len(by_source)


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
