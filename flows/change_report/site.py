"""Writing the change report: index.html (recent changes, filter by outlet and kind) and one page per changed article.

Static files only, no external resources: it opens from disk (file://) or from any web server.
The index's filters are plain JavaScript and read/write the address's #source=…&kind=… part, so
a filtered view can be linked. Article pages show every version with its capture date and URL,
and for each change a side-by-side and an inline word diff (character diff for Chinese). The
pages are Jinja2 templates (templates/).

The report is incremental: `report.json` in its folder remembers the DuckLake snapshot it was
written from, and `report-rows.json` the index's rows as written. An update reads only the
versions loaded since that snapshot (DuckLake's change feed), rewrites the pages of the articles
they belong to, and rewrites the index (from its kept rows plus the new ones) only when it gained
a row. A first write, a `since` window, or a warehouse whose snapshots
no longer reach back that far writes everything.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flows.change_report.paths import page_name
from flows.change_report.template_page import template_source, write_template_pages
from flows.change_report.templating import render
from flows.notify.render import describe, removed_added
from warehouse.change_kinds import SHOWN_KINDS
from warehouse.changes import (
    Change,
    Wanted,
    current_snapshot,
    find_changes,
    naive_utc,
    template_events_added_since,
    versions_added_since,
)
from warehouse.db import connect
from warehouse.history import Version, compare, versions_of

STATE = "report.json"  # the snapshot the report was written from, the articles with a page
ROWS = "report-rows.json"  # the index's rows as written, newest first, read only when rows are added
STATE_FORMAT = 2


@dataclass(frozen=True)
class SiteResult:
    """What `write_site` left in its folder, and how many files it wrote this time."""

    path: Path
    changes: int
    articles: int
    written: int


@dataclass
class SitePlan:
    """What one update of the report reads: every change (a full write) or those loaded since its last one."""

    directory: Path
    snapshot: int
    full: bool
    changes: int = 0  # rows the index has already
    pages: set[str] = field(default_factory=set)  # article ids that have a page
    added: frozenset[tuple[str, int]] = frozenset()  # versions loaded since (an update)

    def wanted(self, since: datetime | None) -> Wanted:
        """The changes the report needs from the one query of changes (none when nothing was loaded)."""
        return Wanted(SHOWN_KINDS, since=since) if self.full else Wanted(SHOWN_KINDS, keys=self.added)

    def reports(self, change: Change, since: datetime | None) -> bool:
        """Whether the report takes `change` (the one query of changes also serves the feeds)."""
        if change.change_kind not in SHOWN_KINDS:
            return False
        if self.full:
            return since is None or change.detected_at >= naive_utc(since)
        return change.key in self.added


def plan_site(con, directory: str | os.PathLike, since: datetime | None = None) -> SitePlan:
    """Read the report's state in `directory` and find what the warehouse added since it was written."""
    out = Path(directory)
    snapshot = current_snapshot(con)
    state = _read_state(out)
    # A report of a window (`report --since 7d`) is written whole, and so is the one after it.
    windowed = since is not None or (state or {}).get("windowed", True)
    added = versions_added_since(con, state["snapshot"]) if state and not windowed else None
    events = template_events_added_since(con, state["snapshot"]) if added is not None and state else None
    if state is None or added is None or events is None:
        return SitePlan(out, snapshot, full=True)
    return SitePlan(
        out, snapshot, full=False, changes=state["changes"], pages=set(state["pages"]), added=added | events
    )


def write_site(
    con, plan: SitePlan, changes: list[Change], since: datetime | None = None, now: datetime | None = None
) -> SiteResult:
    """Write what `plan` found: the pages of the changed articles, the index if it gained rows, the state."""
    now = now or datetime.now(UTC)
    out = plan.directory
    (out / "articles").mkdir(parents=True, exist_ok=True)
    reported = [c for c in changes if plan.reports(c, since)]
    # A version of any kind (a re-extraction too) changes the page of an article that has one.
    touched = {c.article_id for c in reported} | ({a for a, _ in plan.added} & plan.pages)
    written = 0
    templates = {article_id: template_source(article_id) for article_id in touched}
    for article_id, versions in versions_of(con, sorted(a for a, s in templates.items() if s is None)).items():
        written += _write(out / "articles" / page_name(article_id), _article(versions))
    written += write_template_pages(con, out / "articles", sorted(s for s in templates.values() if s is not None))
    count = plan.changes
    if plan.full or reported:
        rows = [] if plan.full else _read_rows(out)
        known = {row["key"] for row in rows}
        rows = _merged(rows, [_row(c) for c in reported if _key(c) not in known])
        count = len(rows)
        written += _write(out / ROWS, json.dumps(rows, ensure_ascii=False))
        written += _write(out / "index.html", _index(rows, now))
    pages = plan.pages | touched
    state = json.dumps(
        {
            "format": STATE_FORMAT,
            "snapshot": plan.snapshot,
            "windowed": since is not None,
            "changes": count,
            "pages": sorted(pages),
        }
    )
    if _read_text(out / STATE) != state:
        _write(out / STATE, state)
    return SiteResult(out, count, len(pages), written)


def build_site(
    db, directory: str | os.PathLike, since: datetime | None = None, wait: float = 10.0, now: datetime | None = None
) -> SiteResult:
    """Bring the report in `directory` up to date (everything since `since`, default all), on one connection."""
    with connect(db, read_only=True, wait=wait) as con:
        plan = plan_site(con, directory, since)
        changes = find_changes(con, plan.wanted(since))
        return write_site(con, plan, changes, since, now)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _read_state(out: Path) -> dict | None:
    try:
        state = json.loads(_read_text(out / STATE) or "")
    except ValueError:
        return None
    whole = isinstance(state, dict) and state.get("format") == STATE_FORMAT
    return state if whole and (out / "index.html").exists() and (out / ROWS).exists() else None


def _read_rows(out: Path) -> list[dict]:
    return json.loads(_read_text(out / ROWS) or "[]")


def _write(path: Path, text: str) -> int:
    """Write via a temporary file and rename, so a browser never reads half a page; 1 when written."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return 1


def _key(c: Change) -> str:
    return f"{c.article_id}#{c.version}"


def _row(c: Change) -> dict:
    """A change as the index lists it: its line of HTML, and what sorts and filters it."""
    removed, added = removed_added(c)
    fields = {
        "source": c.source,
        "kind": c.change_kind,
        "detected": f"{c.detected_at:%Y-%m-%d %H:%M}",
        "described": describe(c),
        "page": page_name(c.article_id),
        "version": c.version,
        "title": c.title or c.canonical_url,
        "removed": removed,
        "added": added,
    }
    return {
        "key": _key(c),
        "order": [c.detected_at.isoformat(), c.source, c.canonical_url],
        "source": c.source,
        "kind": c.change_kind,
        "html": render("index_row.html", r=fields),
    }


def _merged(rows: list[dict], new: list[dict]) -> list[dict]:
    """The index's rows newest first (most updates add rows at the top)."""
    return sorted(rows + new, key=lambda r: r["order"], reverse=True) if new else rows


def _index(rows: list[dict], now: datetime) -> str:
    return render(
        "index.html",
        lang="en",
        title="presswatch: what changed",
        count=len(rows),
        sources=sorted({r["source"] for r in rows}),
        kinds=sorted({r["kind"] for r in rows}),
        rows="\n".join(r["html"] for r in rows),
        now=now,
    )


def _article(versions: list[Version]) -> str:
    latest = versions[-1]
    title = next((v.title for v in reversed(versions) if v.title), latest.canonical_url)
    blocks = [
        {"version": version, "diff": compare(versions[n - 1], version, context=1) if n else None}
        for n, version in enumerate(versions)
    ]
    return render("article.html", lang=latest.language or "en", title=title, latest=latest, blocks=blocks)
