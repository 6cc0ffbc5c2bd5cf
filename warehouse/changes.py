"""The changes of articles: one query that alerts, feeds, the change report and `presswatch changes` share.

A change is a version compared with the one before it, read from `article_versions` (the same
rows as the `article_changes` view of migration 002, plus `new` articles and, when asked, both
texts). `versions_added_since` reads DuckLake's change feed, so that an update of the report
costs what the loads since the last one added, not what the warehouse holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from warehouse.change_kinds import ALERT_KINDS, TEMPLATE
from warehouse.db import connect
from warehouse.query import require_sources


@dataclass(frozen=True)
class Change:
    """One change: an article's version `version`, compared with the one before it."""

    article_id: str
    version: int
    from_version: int | None
    source: str
    canonical_url: str
    url: str | None
    title: str | None
    previous_title: str | None
    change_kind: str
    silent: bool | None
    detected_at: datetime
    words_added: int | None
    words_removed: int | None
    previous_sentence: str | None
    changed_sentence: str | None
    http_status: int | None
    language: str | None
    old_text: str | None = None
    new_text: str | None = None

    @property
    def key(self) -> tuple[str, int]:
        """The change's identity (in the alert ledger and the report)."""
        return self.article_id, self.version


@dataclass(frozen=True)
class Wanted:
    """Which changes to read: of these kinds, detected since `since` (UTC, None: ever), and, with
    `keys`, only those versions (article_id, version); an empty `keys` wants nothing."""

    kinds: Sequence[str]
    since: datetime | None = None
    keys: frozenset[tuple[str, int]] | None = None


_COLUMNS = """
v.article_id, v.version, p.version, v.source, v.canonical_url, v.url, coalesce(v.title, p.title), p.title,
v.change_kind, v.silent, v.valid_from, v.words_added, v.words_removed, v.previous_sentence, v.changed_sentence,
v.http_status, coalesce(v.language, p.language)"""
_TEXTS = ", p.text, CASE WHEN v.change_kind = 'deleted' THEN NULL ELSE v.text END"
_TEMPLATE_COLUMNS = """
t.article_id, t.to_version, t.from_version, t.source, t.canonical_url, t.url, t.title, NULL, t.change_kind,
t.silent, t.detected_at, t.words_added, t.words_removed, t.previous_sentence, t.changed_sentence,
t.http_status, NULL"""
_TEMPLATE_TEXTS = ", t.old_text, t.new_text"


def find_changes(
    con,
    *wanted: Wanted,
    sources: Sequence[str] = (),
    silent_only: bool = False,
    article_id: str | None = None,
    texts: bool = True,
) -> list[Change]:
    """Changes that any of `wanted` asks for, oldest first, on an open connection; `texts`: with both texts.

    Template events (kind `template`) come from the template_changes view of migration 007, one per
    change of a source's site template; their article_id is `template:SOURCE`, their version the event."""
    versions = _select(
        con,
        [Wanted([k for k in w.kinds if k != TEMPLATE], w.since, w.keys) for w in wanted],
        f"SELECT {_COLUMNS}{_TEXTS if texts else ''} FROM article_versions v "
        "LEFT JOIN article_versions p ON p.article_id = v.article_id AND p.version = v.version - 1",
        ("v.change_kind", "v.valid_from", "v.version", "v.source", "v.silent", "v.article_id"),
        "v.valid_from, v.source, v.canonical_url, v.version",
        sources,
        silent_only,
        article_id,
    )
    templates = _select(
        con,
        [Wanted([TEMPLATE], w.since, w.keys) for w in wanted if TEMPLATE in w.kinds],
        f"SELECT {_TEMPLATE_COLUMNS}{_TEMPLATE_TEXTS if texts else ''} FROM template_changes t",
        ("t.change_kind", "t.detected_at", "t.to_version", "t.source", "t.silent", "t.article_id"),
        "t.detected_at, t.source, t.canonical_url, t.to_version",
        sources,
        silent_only,
        article_id,
    )
    if not templates:
        return versions
    return sorted(versions + templates, key=lambda c: (c.detected_at, c.source, c.canonical_url, c.version))


def _select(
    con,
    wanted: Sequence[Wanted],
    select: str,
    names: tuple[str, str, str, str, str, str],
    order: str,
    sources: Sequence[str],
    silent_only: bool,
    article_id: str | None,
) -> list[Change]:
    """The rows of `select` that any of `wanted` asks for; `names`: its kind, time, version, source,
    silent and article_id columns."""
    kind, time, version, source, silent, article = names
    alternatives: list[str] = []
    params: list = []
    for want in wanted:
        if not want.kinds or want.keys is not None and not want.keys:
            continue
        part = [f"{kind} IN ({', '.join('?' for _ in want.kinds)})"]
        params.extend(want.kinds)
        if want.since is not None:
            part.append(f"{time} >= ?")
            params.append(naive_utc(want.since))
        if want.keys is not None:
            # A list of constants: DuckDB checks it while scanning, before it reads the texts.
            ids = sorted({a for a, _ in want.keys})
            part.append(f"{article} IN ({', '.join('?' for _ in ids)})")
            part.append(f"list_contains(?::VARCHAR[], {article} || '#' || {version})")
            params.extend([*ids, [f"{a}#{n}" for a, n in want.keys]])
        alternatives.append("(" + " AND ".join(part) + ")")
    if not alternatives:
        return []
    where = ["(" + " OR ".join(alternatives) + ")"]
    if sources:
        where.append(f"{source} IN ({', '.join('?' for _ in sources)})")
        params.extend(sources)
    if silent_only:
        where.append(silent)
    if article_id:
        where.append(f"{article} = ?")
        params.append(article_id)
    rows = con.execute(f"{select} WHERE {' AND '.join(where)} ORDER BY {order}", params).fetchall()
    return [Change(*row) for row in rows]


def recent_changes(
    db,
    since: datetime | None = None,
    kinds: Sequence[str] = ALERT_KINDS,
    sources: Sequence[str] = (),
    silent_only: bool = False,
    article_id: str | None = None,
    texts: bool = True,
    wait: float = 10.0,
) -> list[Change]:
    """Changes of `kinds` detected since `since` (UTC; None: ever), oldest first.

    Naming a source the warehouse never loaded raises UnknownSourceName.
    """
    with connect(db, read_only=True, wait=wait) as con:
        if sources:
            require_sources(con, sources)
        return find_changes(
            con, Wanted(kinds, since), sources=sources, silent_only=silent_only, article_id=article_id, texts=texts
        )


def current_snapshot(con) -> int:
    """The DuckLake snapshot this connection reads."""
    return int(con.execute("FROM presswatch.current_snapshot()").fetchall()[0][0])


def versions_added_since(con, snapshot: int) -> frozenset[tuple[str, int]] | None:
    """The versions (article_id, version) inserted after `snapshot`, from DuckLake's change feed.

    None when DuckLake no longer has those snapshots (expired by `maintain`): the caller starts over.
    """
    return _inserted_since(con, snapshot, "article_versions", "article_id, version")


def template_events_added_since(con, snapshot: int) -> frozenset[tuple[str, int]] | None:
    """The template events inserted after `snapshot`, as the keys find_changes gives them
    ('template:SOURCE', event); None as for versions_added_since."""
    return _inserted_since(con, snapshot, "template_events", f"'{TEMPLATE}:' || source, event")


def _inserted_since(con, snapshot: int, table: str, key: str) -> frozenset[tuple[str, int]] | None:
    now = current_snapshot(con)
    if snapshot == now:
        return frozenset()
    oldest = con.execute("SELECT min(snapshot_id) FROM presswatch.snapshots()").fetchall()[0][0]
    if snapshot > now or (oldest is not None and oldest > snapshot + 1):
        return None
    try:
        rows = con.execute(
            f"SELECT DISTINCT {key} FROM presswatch.table_changes('{table}', ?, ?) WHERE change_type = 'insert'",
            [snapshot + 1, now],
        ).fetchall()
    except duckdb.Error:
        return None
    return frozenset((a, v) for a, v in rows)


def naive_utc(moment: datetime) -> datetime:
    """A moment as the warehouse stores times: UTC without a time zone."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
