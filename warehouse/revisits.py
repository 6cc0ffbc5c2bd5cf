"""Which known articles a crawl should fetch again, written out before the crawl starts.

The crawl never opens the warehouse: this runs first, read-only and briefly, and hands the spider
a file with one line per known article (its URL, validators for conditional GET, and whether a
revisit is due by the source's age-decaying schedule).

A run's crawl step runs it as `python -m warehouse.revisits`, its output piped into the crawl, so
that the command waiting for the crawl never opens the warehouse (DuckDB's ~100 MB would sit in
the process tree beside the extraction workers until the load).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from warehouse.errors import DatabaseLocked, DatabaseMissing, SharedPartUnavailable, WarehouseError

# `python -m warehouse.revisits` exit status when the warehouse is busy or a shared part is down:
# the crawl runs without revisits (EX_TEMPFAIL).
BUSY_OR_UNREACHABLE = 75
DUE_PREFIX = "due "


@dataclass(frozen=True)
class SourceSchedule:
    """What the revisit schedule needs of a registry source."""

    name: str
    revisit: tuple[tuple[float, float], ...]
    revisit_after_edit: float

    @classmethod
    def of(cls, source) -> SourceSchedule:
        return cls(
            source.name, tuple((float(a), float(b)) for a, b in source.revisit), float(source.revisit_after_edit)
        )

    def arguments(self, db, wait: float) -> list[str]:
        """The arguments of `python -m warehouse.revisits` for this source."""
        return [
            "--db",
            str(db),
            "--source",
            self.name,
            "--revisit",
            json.dumps(self.revisit),
            "--revisit-after-edit",
            repr(self.revisit_after_edit),
            "--wait",
            repr(wait),
        ]


def revisit_interval(age_s: float, schedule: tuple[tuple[float, float], ...]) -> float:
    """Seconds between revisits of an article `age_s` old: the first band whose age bound it is under."""
    for max_age, every in schedule:
        if age_s < max_age:
            return every
    return schedule[-1][1] if schedule else 0.0


def due_articles(con, source, now: datetime | None = None) -> list[dict]:
    """Every known article of `source` with a `due` flag, from the warehouse's article_state."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    rows = con.execute(
        """
        SELECT s.url, s.article_id, s.etag, s.last_modified, s.raw_hash, s.first_seen_at, s.last_checked_at,
               s.last_changed_at, s.missing_count, v.published_at, v.sitemap_lastmod, s.no_article_extractor
        FROM article_state s
        LEFT JOIN article_versions v ON v.article_id = s.article_id AND v.valid_to IS NULL
        WHERE s.source = ?
        """,
        [source.name],
    ).fetchall()
    known = []
    for (
        url,
        article,
        etag,
        last_modified,
        raw_hash,
        first_seen,
        checked,
        changed,
        missing,
        published,
        lastmod,
        judged,
    ) in rows:
        born = first_seen if published is None else min(first_seen, datetime.combine(published, datetime.min.time()))
        interval = revisit_interval((now - born).total_seconds(), source.revisit)
        if changed and (now - changed).total_seconds() < source.revisit_after_edit:
            interval = 0.0  # an article edited lately is watched closely for a while
        due = missing > 0 or checked is None or (now - checked).total_seconds() >= interval
        known.append(
            {
                "url": url,
                "article_id": article,
                "etag": etag,
                "last_modified": last_modified,
                "raw_hash": raw_hash,
                "sitemap_lastmod": lastmod,
                "no_article_extractor": judged,  # the extractor that found no article in the page
                "due": due,
            }
        )
    return known


def export_known(db, source, path: Path, wait: float = 10.0) -> int:
    """Write the known-articles file for one source's crawl; returns how many are due."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        return write_known(db, source, out, wait)


def write_known(db, source, out: TextIO, wait: float = 10.0) -> int:
    """Write one source's known articles to `out` (a file, or the crawl process's stdin); returns how many are due.

    A warehouse behind this version's migrations is migrated first (waiting up to `wait` s for the
    write lock): the read-only query needs the newest columns.
    """
    from warehouse.db import connect  # DuckDB: the crawl step imports this module for SourceSchedule only

    try:
        migrate_if_behind(db, wait)
        with connect(db, read_only=True, wait=wait) as con:
            known = due_articles(con, source)
    except DatabaseMissing:  # a first crawl
        known = []
    for entry in known:
        out.write(json.dumps(entry) + "\n")
    return sum(1 for entry in known if entry["due"])


def migrate_if_behind(db, wait: float) -> None:
    """Apply this version's pending migrations when the warehouse's ledger lacks one."""
    from warehouse.db import applied_migrations, connect, migrations

    with connect(db, read_only=True, wait=wait) as con:
        done = applied_migrations(con)
    if {number for number, _, _ in migrations()} - done:
        with connect(db, wait=wait):
            pass


def main(argv: list[str] | None = None) -> int:
    """Write one source's known articles to stdout, then `due N` on stderr; exit 75 when the
    warehouse is busy or unreachable (the crawl discovers only), 1 on any other warehouse error."""
    parser = argparse.ArgumentParser(prog="python -m warehouse.revisits", description=main.__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--revisit", required=True, help="the schedule as JSON: [[max_age_s, every_s], ...]")
    parser.add_argument("--revisit-after-edit", type=float, required=True)
    parser.add_argument("--wait", type=float, default=10.0)
    args = parser.parse_args(argv)
    schedule = SourceSchedule(
        args.source, tuple((float(a), float(b)) for a, b in json.loads(args.revisit)), args.revisit_after_edit
    )
    try:
        due = write_known(args.db, schedule, sys.stdout, wait=args.wait)
        sys.stdout.flush()
    except (DatabaseLocked, SharedPartUnavailable) as exc:
        print(exc, file=sys.stderr)
        return BUSY_OR_UNREACHABLE
    except WarehouseError as exc:
        print(exc, file=sys.stderr)
        return 1
    except BrokenPipeError:  # the crawl ended already: its own exit status says why
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    print(f"{DUE_PREFIX}{due}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
