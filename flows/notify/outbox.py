"""Messages that went out while the alert ledger could not record them (the warehouse locked or out of
reach), kept in the data folder until it can: `alerts/unrecorded.jsonl`, one ledger row per line.

The next delivery on this machine writes them to the ledger before it claims anything, and never
sends what they name again, so a message is not repeated because its record came late.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from warehouse import alerts as ledger
from warehouse.errors import WarehouseError

OUTBOX = Path("alerts") / "unrecorded.jsonl"

Key = tuple[str, str, str, int]  # rule, channel hash, article id, version


def path(data: Path) -> Path:
    return Path(data) / OUTBOX


def keep(data: Path, rows: list[dict]) -> Path:
    """Append ledger rows of a message that was sent but not recorded (on disk before returning)."""
    with _locked(data, "a") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return path(data)


def flush(db, data: Path, wait: float) -> set[Key]:
    """Write the kept rows to the ledger; returns what stays unrecorded (the ledger still out of reach)."""
    if not path(data).exists():
        return set()
    with _locked(data, "r+") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
        try:
            ledger.record_rows(db, rows, wait=wait)
        except WarehouseError:
            return {(r["rule"], r["channel_hash"], r["article_id"], int(r["version"])) for r in rows}
        handle.seek(0)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
    return set()


@contextmanager
def _locked(data: Path, mode: str) -> Iterator:
    """The outbox open in `mode`, under an exclusive flock (appends and flushes of overlapping runs)."""
    target = path(data)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(exist_ok=True)
    with open(target, mode, encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
