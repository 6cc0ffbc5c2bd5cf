"""A crawl's outcome in the one vocabulary of the warehouse, `runs`, `sources` and the run report.

A batch closes `complete` or `interrupted`; its outcome is `ok` only when it closed complete and
recorded no error (a crawl whose every request failed records why).
"""

from __future__ import annotations

OK = "ok"
FAILED = "failed"

# The same rule for rows loaded before crawl_runs had an outcome (migration 005 and `upgrade`).
BACKFILL_SQL = (
    "UPDATE crawl_runs SET outcome = CASE WHEN error IS NULL AND status = 'complete' THEN 'ok' ELSE 'failed' END "
    "WHERE outcome IS NULL"
)


def crawl_outcome(status: str, error: str | None) -> str:
    """`ok` or `failed` for a batch that closed with `status` and `error`."""
    return OK if status == "complete" and not error else FAILED
