"""The alert ledger (migration 004) and the changes alerts are made of.

Changes are read from `article_versions` by the query every reader of changes shares
(warehouse/changes.py: every publisher change, `new` included; never a re-extraction), so what an
alert says is what an analyst's SQL sees, whatever the load that found it. The ledger is
append-only: a claim is written before a message goes out and its outcome after, each in its own
short transaction, so two overlapping runs never send the same change twice and a run that dies
between the two leaves a claim that only expires after CLAIM_TIMEOUT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from warehouse.changes import Change
from warehouse.changes import recent_changes as recent_changes  # what rules match: the one query of changes
from warehouse.db import connect, rollback

CLAIM_TIMEOUT = timedelta(minutes=15)  # a claim older than this (its run died mid-send) may be retried


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
            rollback(con)
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
    _insert_rows(con, _rows(rule, channel_hash, channel, changes, status, error, message_id, now, run_id))


def _rows(rule, channel_hash, channel, changes, status, error, message_id, now, run_id) -> list[tuple]:
    """One ledger row per change, in DELIVERY_COLUMNS order."""
    return [
        (rule, channel_hash, channel, c.article_id, c.version, c.change_kind, status, error, message_id, now, run_id)
        for c in changes
    ]


# The ledger's columns, named in every insert: a column a later migration adds must not break an
# older machine still writing during a rolling upgrade.
DELIVERY_COLUMNS = (
    "rule",
    "channel_hash",
    "channel",
    "article_id",
    "version",
    "change_kind",
    "status",
    "error",
    "message_id",
    "attempted_at",
    "run_id",
)


def _insert_rows(con, rows: Sequence[tuple]) -> None:
    if rows:
        con.executemany(
            f"INSERT INTO alert_deliveries ({', '.join(DELIVERY_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in DELIVERY_COLUMNS)})",
            list(rows),
        )


def delivery_rows(
    rule: str, channel_hash: str, channel: str, changes: Sequence[Change], message_id: str, run_id: str | None
) -> list[dict]:
    """The ledger rows saying that `changes` were sent now, as column -> value (what a sender keeps
    when the ledger cannot be written, for `record_rows` later)."""
    rows = _rows(rule, channel_hash, channel, changes, "sent", None, message_id, _now().isoformat(), run_id)
    return [dict(zip(DELIVERY_COLUMNS, row)) for row in rows]


def record_rows(db, rows: Sequence[dict], wait: float = 30.0) -> None:
    """Write ledger rows made by `delivery_rows` (kept by their sender while the ledger was out of reach)."""
    if not rows:
        return
    with connect(db, wait=wait) as con:
        _insert_rows(
            con,
            [
                tuple(datetime.fromisoformat(row[c]) if c == "attempted_at" else row.get(c) for c in DELIVERY_COLUMNS)
                for row in rows
            ],
        )


def record_digest(db, rule: str, changes: int, wait: float = 30.0) -> None:
    """Note that a digest of `rule` ran now, carrying `changes` changes."""
    with connect(db, wait=wait) as con:
        con.execute("INSERT INTO alert_digests (rule, ran_at, changes) VALUES (?, ?, ?)", [rule, _now(), changes])


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
