"""Read-only questions to the warehouse from the command line."""

from __future__ import annotations

import duckdb

from warehouse.db import connect
from warehouse.errors import DatabaseMissing, QueryError, UnknownSourceName


def run_query(db, query: str, wait: float = 5.0, params: list | None = None) -> tuple[list[str], list[tuple]]:
    """Column names and rows of one read-only query."""
    with connect(db, read_only=True, wait=wait) as con:
        try:
            cursor = con.execute(query, params or [])
        except duckdb.Error as exc:
            raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from None
        if cursor.description is None:
            return [], []
        columns = [d[0] for d in cursor.description]
        return columns, cursor.fetchall()


# A crawl's outcome, in the one vocabulary of `runs`, `sources` and the run report: ok or failed
# (a run of several sources is ok, partial or failed).
OUTCOME_SQL = "CASE WHEN error IS NULL AND status = 'complete' THEN 'ok' ELSE 'failed' END"

# crawl_runs holds one row per loaded batch; a run is every batch with its run_id. A source that
# failed and then succeeded on a retry counts as ok.
RUNS_SQL = """
WITH per_source AS (
    SELECT coalesce(run_id, batch_id) AS run_id, source,
           min(started_at) AS started_at, max(loaded_at) AS loaded_at,
           bool_or(OUTCOME = 'ok') AS ok,
           count(*) AS batches,
           sum(pages_fetched) AS fetched, sum(new_articles) AS new, sum(edited + retitled) AS changed,
           sum(deleted) AS deleted, sum(restored) AS restored, sum(errors) AS errors,
           max(error) FILTER (WHERE error IS NOT NULL) AS error
    FROM crawl_runs GROUP BY ALL
)
SELECT run_id, min(started_at) AS started, max(loaded_at) AS loaded,
       CASE WHEN bool_and(ok) THEN 'ok' WHEN bool_or(ok) THEN 'partial' ELSE 'failed' END AS status,
       string_agg(source, ', ' ORDER BY source) AS sources,
       sum(fetched)::BIGINT AS fetched, sum(new)::BIGINT AS new, sum(changed)::BIGINT AS changed,
       sum(deleted)::BIGINT AS deleted, sum(restored)::BIGINT AS restored, sum(errors)::BIGINT AS errors,
       string_agg(source || ': ' || error, '; ' ORDER BY source) FILTER (WHERE NOT ok) AS failures
FROM per_source
GROUP BY run_id
ORDER BY started DESC NULLS LAST, loaded DESC
LIMIT ?
"""


def recent_runs(db, last: int) -> tuple[list[str], list[tuple]]:
    """The `last` most recent ingest runs, one row each: status, sources, counts, failures."""
    return run_query(db, RUNS_SQL.replace("OUTCOME", OUTCOME_SQL), params=[last])


def last_runs(db) -> dict[str, dict]:
    """Each source's most recent loaded crawl; empty when there is no warehouse yet."""
    try:
        columns, rows = run_query(
            db,
            f"SELECT source, loaded_at, {OUTCOME_SQL} AS outcome, new_articles, error FROM crawl_runs "
            "QUALIFY row_number() OVER (PARTITION BY source ORDER BY loaded_at DESC) = 1",
        )
    except DatabaseMissing:
        return {}
    return {row[0]: dict(zip(columns, row)) for row in rows}


def require_sources(con, names) -> None:
    """Raise UnknownSourceName unless the warehouse has loaded every one of `names`."""
    known = [row[0] for row in con.execute("SELECT name FROM sources ORDER BY 1").fetchall()]
    for name in names:
        if name not in known:
            raise UnknownSourceName(f"the warehouse has no source named {name!r}; known: {', '.join(known) or 'none yet'}")
