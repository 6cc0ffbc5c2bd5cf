"""Atom feeds of recent changes (all, or one alert rule's matches), written with feedgen."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from crawlers.alert_rules import AlertRule
from flows.change_report.paths import page_url
from flows.notify.match import matching
from flows.notify.render import describe, removed_added
from warehouse.change_kinds import ALERT_KINDS, SHOWN_KINDS
from warehouse.changes import Change

MAX_ENTRIES = 200


def feed_kinds(rule: AlertRule | None) -> tuple[str, ...]:
    """What a feed lists: every change of a known article and template events, or what a rule may ask for."""
    return ALERT_KINDS if rule else SHOWN_KINDS


def atom_feed(
    changes: list[Change],
    report_base: str,
    rule: AlertRule | None = None,
    now: datetime | None = None,
) -> bytes:
    """The Atom document of `changes` (of `feed_kinds(rule)`), newest first; only `rule`'s matches when given."""
    kinds = feed_kinds(rule)
    changes = [c for c in changes if c.change_kind in kinds]
    if rule is not None:
        changes = matching(rule, changes)
    changes = sorted(changes, key=lambda c: c.detected_at, reverse=True)[:MAX_ENTRIES]
    now = now or datetime.now(UTC)
    feed = FeedGenerator()
    name = rule.name if rule else "all"
    feed.id(f"urn:presswatch:feed:{name}")
    feed.title(f"presswatch: {'alert ' + rule.name if rule else 'every change'}")
    feed.subtitle("Edits, retitles, deletions and restorations presswatch detected")
    feed.link(href=report_base + "index.html", rel="alternate")
    feed.updated(changes[0].detected_at.replace(tzinfo=UTC) if changes else now)
    feed.generator("presswatch")
    for change in reversed(changes):  # feedgen prepends: add oldest first so the newest comes first
        entry = feed.add_entry()
        entry.id(f"urn:presswatch:change:{change.article_id}:{change.version}")
        entry.title(f"[{change.source}] {describe(change)}: {change.title or change.canonical_url}")
        # One link: feedgen 1.0 drops every entry link's rel, so a second one would read as the alternate.
        entry.link(href=change.canonical_url, rel="alternate")
        entry.updated(change.detected_at.replace(tzinfo=UTC))
        entry.author(name=change.source)
        entry.category(term=change.change_kind)
        removed, added = removed_added(change)
        body = ""
        if removed:
            body += f"<p>removed: <del>{html.escape(removed)}</del></p>"
        if added:
            body += f"<p>added: <ins>{html.escape(added)}</ins></p>"
        report = page_url(report_base, change.article_id, change.version)
        body += (
            f'<p>original: <a href="{html.escape(change.canonical_url, quote=True)}">'
            f"{html.escape(change.canonical_url)}</a></p>"
            f'<p>every version: <a href="{html.escape(report, quote=True)}">{html.escape(report)}</a></p>'
        )
        entry.content(body, type="html")
    return feed.atom_str(pretty=True)
