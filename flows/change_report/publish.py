"""Keeping the served outputs current: data/feeds/*.xml (every change, and one per alert rule) and data/report/.

One publish opens the warehouse once and asks it once for changes: those of the feeds' window
(the last 30 days) and those the report has not shown yet (flows/change_report/site.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawlers.registry import load_registry
from flows.change_report.feed import atom_feed
from flows.change_report.paths import report_base, report_dir
from flows.change_report.site import SiteResult, plan_site, write_site
from flows.settings import Settings
from warehouse.change_kinds import ALERT_KINDS
from warehouse.changes import Wanted, find_changes, naive_utc
from warehouse.db import connect

FEED_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Published:
    """What one publish wrote."""

    feeds: list[Path]
    site: SiteResult


def feeds_dir(data: Path) -> Path:
    return data / "feeds"


def publish_all(settings: Settings, now: datetime | None = None) -> Published:
    """Rewrite the feeds and bring the change report up to date (what `serve` does after every run)."""
    now = now or datetime.now(UTC)
    rules = load_registry(settings.registry).alerts
    with connect(settings.db, read_only=True, wait=settings.load_wait) as con:
        plan = plan_site(con, report_dir(settings.data))
        changes = find_changes(con, Wanted(ALERT_KINDS, since=now - FEED_WINDOW), plan.wanted(None))
        site = write_site(con, plan, changes, now=now)
    recent = [c for c in changes if c.detected_at >= naive_utc(now - FEED_WINDOW)]
    folder = feeds_dir(settings.data)
    folder.mkdir(parents=True, exist_ok=True)
    base = report_base(settings.data)
    written = []
    for name, rule in [("all", None)] + [(rule.name, rule) for rule in rules]:
        path = folder / f"{name}.xml"
        document = atom_feed(recent, base, rule=rule, now=now)
        if not path.exists() or path.read_bytes() != document:
            partial = path.with_name(path.name + ".partial")
            partial.write_bytes(document)
            partial.replace(path)
        written.append(path)
    return Published(written, site)
