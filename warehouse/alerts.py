"""The alert ledger (migration 004) and the changes alerts are made of.

Changes are read from `article_versions` (every publisher change, `new` included; never a
re-extraction), so what an alert says is what an analyst's SQL sees, whatever the load that found
it. The ledger is append-only: a claim is written before a message goes out and its outcome after,
each in its own short transaction, so two overlapping runs never send the same change twice and a
run that dies between the two leaves a claim that only expires after CLAIM_TIMEOUT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from warehouse.db import connect

CLAIM_TIMEOUT = timedelta(minutes=15)  # a claim older than this (its run died mid-send) may be retried
PUBLISHER_KINDS = ("new", "edited", "retitled", "deleted", "restored", "template")


@dataclass(frozen=True)
class Change:
    """One publisher change: an article's version `version`, compared with the one before it."""

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
    old_text: str | None
    new_text: str | None

    @property
    def key(self) -> tuple[str, int]:
        """The change's identity in the ledger."""
        return self.article_id, self.version


_CHANGE_SQL = """
SELECT * FROM (
    SELECT v.article_id, v.version, p.version, v.source, v.canonical_url, v.url,
           coalesce(v.title, p.title), p.title, v.change_kind, v.silent, v.valid_from,
           v.words_added, v.words_removed, v.previous_sentence, v.changed_sentence, v.http_status,
           coalesce(v.language, p.language),
           p.text, CASE WHEN v.change_kind = 'deleted' THEN NULL ELSE v.text END
    FROM article_versions v
    LEFT JOIN article_versions p ON p.article_id = v.article_id AND p.version = v.version - 1
    WHERE v.change_kind IN ({kinds}) AND v.valid_from >= ? {extra}
    UNION ALL  -- a change of a source's site template: one per event, its "article" the source (migration 007)
    SELECT v.article_id, v.to_version, v.from_version, v.source, v.canonical_url, v.url, v.title, NULL, v.change_kind,
           v.silent, v.detected_at, v.words_added, v.words_removed, v.previous_sentence, v.changed_sentence,
           v.http_status, NULL, v.old_text, v.new_text
    FROM template_changes v
    WHERE v.change_kind IN ({kinds}) AND v.detected_at >= ? {extra}
)
ORDER BY 11, 4, 5, 2
"""


def recent_changes(
    db,
    since: datetime,
    kinds: Sequence[str] = PUBLISHER_KINDS,
    sources: Sequence[str] = (),
    article_id: str | None = None,
    wait: float = 10.0,
) -> list[Change]:
    """Publisher changes of the given kinds detected since `since` (UTC), oldest first."""
    kinds = [k for k in kinds if k in PUBLISHER_KINDS]
    if not kinds:
        return []
    params: list = [*kinds, _naive(since)]
    extra = ""
    if sources:
        extra += f" AND v.source IN ({', '.join('?' for _ in sources)})"
        params.extend(sources)
    if article_id:
        extra += " AND v.article_id = ?"
        params.append(article_id)
    params += params  # the same filters on the versions and on the template events
    sql = _CHANGE_SQL.format(kinds=", ".join("?" for _ in kinds), extra=extra)
    with connect(db, read_only=True, wait=wait) as con:
        rows = con.execute(sql, params).fetchall()
    return [Change(*row) for row in rows]


def claim(
    db,
    rule: str,
    channel_hash: str,
    channel: str,
    changes: Sequence[Change],
    message_id: str,
    run_id: str | None,
    limit: int | None = None,
    wait: float = 30.0,
) -> list[Change]:
    """Claim the changes not yet sent (nor being sent) on this rule's channel, at most `limit`; returns them.

    Check-then-insert in one transaction: DuckDB lets one process write at a time, so two runs
    cannot both claim a change.
    """
    if not changes:
        return []
    now = _now()
    with connect(db, wait=wait) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            taken = _taken(con, rule, channel_hash, now)
            fresh = [c for c in changes if c.key not in taken][:limit]
            _insert(con, rule, channel_hash, channel, fresh, "claimed", None, message_id, now, run_id)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return fresh


def _taken(con, rule: str, channel_hash: str, now: datetime) -> set[tuple[str, int]]:
    rows = con.execute(
        "SELECT article_id, version FROM alert_delivery_state WHERE rule = ? AND channel_hash = ? "
        "AND (status = 'sent' OR (status = 'claimed' AND attempted_at > ?))",
        [rule, channel_hash, now - CLAIM_TIMEOUT],
    ).fetchall()
    return {(a, v) for a, v in rows}


def record(
    db,
    rule: str,
    channel_hash: str,
    channel: str,
    changes: Sequence[Change],
    error: str | None,
    message_id: str,
    run_id: str | None,
    wait: float = 30.0,
) -> None:
    """Record how the message carrying `changes` ended: sent, or failed with `error` (retried next run)."""
    if not changes:
        return
    with connect(db, wait=wait) as con:
        _insert(
            con, rule, channel_hash, channel, changes, "failed" if error else "sent", error, message_id, _now(), run_id
        )


def _insert(con, rule, channel_hash, channel, changes, status, error, message_id, now, run_id) -> None:
    if changes:
        con.executemany(
            "INSERT INTO alert_deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    rule,
                    channel_hash,
                    channel,
                    c.article_id,
                    c.version,
                    c.change_kind,
                    status,
                    error,
                    message_id,
                    now,
                    run_id,
                ]
                for c in changes
            ],
        )


def record_digest(db, rule: str, changes: int, wait: float = 30.0) -> None:
    """Note that a digest of `rule` ran now, carrying `changes` changes."""
    with connect(db, wait=wait) as con:
        con.execute("INSERT INTO alert_digests VALUES (?, ?, ?)", [rule, _now(), changes])


@dataclass(frozen=True)
class RuleStatus:
    """What the ledger says of one rule: its last message, what it sent, what still fails."""

    rule: str
    last_sent_at: datetime | None
    sent: int
    failing: int
    last_error: str | None
    last_digest_at: datetime | None


def rule_status(db, rules: Sequence[str], wait: float = 5.0) -> dict[str, RuleStatus]:
    """Per rule name: deliveries sent, changes whose latest attempt failed, and the latest error."""
    found: dict[str, RuleStatus] = {r: RuleStatus(r, None, 0, 0, None, None) for r in rules}
    if not rules or not _exists(db):
        return found
    with connect(db, read_only=True, wait=wait) as con:
        if not _has_ledger(con):
            return found
        rows = con.execute("""
            SELECT rule,
                   max(attempted_at) FILTER (WHERE status = 'sent'),
                   count(*) FILTER (WHERE status = 'sent'),
                   count(*) FILTER (WHERE status = 'failed'),
                   arg_max(error, attempted_at) FILTER (WHERE status = 'failed')
            FROM alert_delivery_state GROUP BY rule""").fetchall()
        digests = dict(con.execute("SELECT rule, max(ran_at) FROM alert_digests GROUP BY rule").fetchall())
    for rule, last, sent, failing, error in rows:
        if rule in found:
            found[rule] = RuleStatus(rule, last, sent, failing, error, None)
    for rule, ran_at in digests.items():
        if rule in found:
            s = found[rule]
            found[rule] = RuleStatus(rule, s.last_sent_at, s.sent, s.failing, s.last_error, ran_at)
    return found


def _exists(db) -> bool:
    from warehouse.db import location

    return location(db).exists()


def _has_ledger(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'alert_deliveries'").fetchone()[0])


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def versions_for(db, article_ids: Sequence[str], wait: float = 10.0) -> dict[str, list]:
    """Every version of each article, oldest first, as warehouse.history.Version objects."""
    from warehouse.history import _VERSION_COLUMNS, Version

    if not article_ids:
        return {}
    found: dict[str, list] = {}
    with connect(db, read_only=True, wait=wait) as con:
        rows = con.execute(
            f"SELECT {_VERSION_COLUMNS} FROM article_versions "
            "WHERE list_contains(?::VARCHAR[], article_id) ORDER BY article_id, version",
            [list(article_ids)],
        ).fetchall()
    for row in rows:
        version = Version(*row)
        found.setdefault(version.article_id, []).append(version)
    return found
