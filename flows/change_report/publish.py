"""Keeping the served outputs current: data/feeds/*.xml (every change, and one per alert rule) and data/report/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawlers.registry import load_registry
from flows.change_report.feed import atom_feed
from flows.change_report.paths import report_base, report_dir
from flows.change_report.site import write_site
from flows.settings import Settings

FEED_WINDOW = timedelta(days=30)


def feeds_dir(data: Path) -> Path:
    return data / "feeds"


def write_feeds(settings: Settings, now: datetime | None = None) -> list[Path]:
    """all.xml plus <rule>.xml for every alert rule, each over the last 30 days."""
    now = now or datetime.now(UTC)
    folder = feeds_dir(settings.data)
    folder.mkdir(parents=True, exist_ok=True)
    base = report_base(settings.data)
    written = []
    targets = [("all", None)] + [(rule.name, rule) for rule in load_registry(settings.registry).alerts]
    for name, rule in targets:
        path = folder / f"{name}.xml"
        partial = path.with_name(path.name + ".partial")
        document = atom_feed(settings.db, now - FEED_WINDOW, base, rule=rule, wait=settings.load_wait, now=now)
        partial.write_bytes(document)
        partial.replace(path)
        written.append(path)
    return written


def publish_all(settings: Settings) -> None:
    """Rewrite the feeds and the change report (what `serve` does after every run)."""
    write_feeds(settings)
    write_site(settings.db, report_dir(settings.data), wait=settings.load_wait)
