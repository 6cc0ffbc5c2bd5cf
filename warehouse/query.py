"""Read-only questions to the warehouse from the command line."""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from warehouse.db import connect
from warehouse.errors import DatabaseMissing, QueryError, UnknownSourceName


class NotReadOnly(QueryError):
    """A statement that could change the warehouse, the session or files: `sql` runs only reads."""


# Statement kinds `sql` runs. SELECT covers FROM-first queries, WITH, VALUES, DESCRIBE, SHOW and
# SUMMARIZE. A SELECT can read files (read_csv, read_parquet) but core DuckDB has no table
# function that writes one. PRAGMA is allowed only for the ones that show something: DuckDB also
# parses settings and even COPY FROM DATABASE as PRAGMA.
_READ_KINDS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.PRAGMA}
_SHOW_PRAGMAS = {
    "collations",
    "database_list",
    "database_size",
    "functions",
    "metadata_info",
    "platform",
    "show",
    "show_databases",
    "show_tables",
    "show_tables_expanded",
    "storage_info",
    "table_info",
    "user_agent",
    "version",
}
_PRAGMA_NAME = re.compile(r"^\s*pragma\s+(\w+)", re.IGNORECASE)
# EXPLAIN [(options)] [ANALYZE] <statement>: ANALYZE runs the statement, so it must be a read too.
_EXPLAIN_PREFIX = re.compile(r"^\s*explain\s*(\([^)]*\)\s*)?(analy[sz]e\b)?", re.IGNORECASE)


@dataclass
class QueryResult:
    """One statement's text, column names and rows."""

    statement: str
    columns: list[str]
    rows: list[tuple]


def run_query(db, query: str, wait: float = 5.0, params: list | None = None) -> tuple[list[str], list[tuple]]:
    """Column names and rows of one read-only query."""
    results = run_queries(db, query, wait=wait, params=params)
    if len(results) != 1:
        raise QueryError(f"expected one SQL statement, got {len(results)}")
    return results[0].columns, results[0].rows


def run_queries(db, query: str, wait: float = 5.0, params: list | None = None) -> list[QueryResult]:
    """The result of each statement of `query`, in order; refuses the lot if any statement is not a read."""
    statements = _read_statements(query)
    if params and len(statements) > 1:
        raise QueryError("parameters need exactly one SQL statement")
    results = []
    with connect(db, read_only=True, wait=wait) as con:
        for number, statement in enumerate(statements, 1):
            try:
                cursor = con.execute(statement, params or [])
            except duckdb.Error as exc:
                where = f"statement {number} " if len(statements) > 1 else ""
                # The whole message: DuckDB's hints (Did you mean ..., candidate bindings, the
                # LINE 1: ... ^ pointer) are on the lines after the first.
                raise QueryError(f"query {where}failed: {str(exc).strip()}") from None
            columns = [d[0] for d in cursor.description] if cursor.description else []
            results.append(
                QueryResult(statement.query.strip().rstrip(";").strip(), columns, cursor.fetchall() if columns else [])
            )
    return results


def _read_statements(query: str) -> list:
    """Parse `query` into statements; raise NotReadOnly for any that is not a read, QueryError if none."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {str(exc).strip()}") from None
    except ValueError as exc:  # a statement kind this duckdb's Python API has no name for
        raise NotReadOnly(f"presswatch sql is read-only and cannot tell what this statement does ({exc})") from None
    if not statements:
        raise QueryError('no SQL statement given: pass a query such as "select count(*) from articles"')
    for number, statement in enumerate(statements, 1):
        refusal = _refusal(statement)
        if refusal:
            where = f"statement {number} ({_head(statement.query)})" if len(statements) > 1 else _head(statement.query)
            raise NotReadOnly(
                f"presswatch sql is read-only: {where} {refusal}; only SELECT (with DESCRIBE, SHOW, "
                "SUMMARIZE), EXPLAIN and PRAGMAs that show something run here"
            )
    return statements


def _refusal(statement) -> str | None:
    """Why `statement` may not run, or None for a read."""
    kind = statement.type
    if kind not in _READ_KINDS:
        return f"is a {kind.name} statement"
    if kind == duckdb.StatementType.PRAGMA:
        name = _PRAGMA_NAME.match(statement.query)
        if not name or name.group(1).lower() not in _SHOW_PRAGMAS:
            return "is a PRAGMA that changes a setting or runs a command"
    if kind == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN_PREFIX.sub("", statement.query, count=1)
        try:
            explained = duckdb.extract_statements(inner)
        except (duckdb.Error, ValueError):
            return "explains a statement that cannot be checked"
        if len(explained) != 1 or _refusal(explained[0]):
            return "explains a statement that is not a read"
    return None


def _head(query: str, width: int = 40) -> str:
    text = " ".join(query.split())
    return repr(text if len(text) <= width else text[: width - 1] + "…")


# crawl_runs.outcome is ok or failed (warehouse/outcomes.py); a run of several sources is ok,
# partial or failed.

# crawl_runs holds one row per loaded batch; a run is every batch with its run_id. A source that
# failed and then succeeded on a retry counts as ok.
RUNS_SQL = """
WITH per_source AS (
    SELECT coalesce(run_id, batch_id) AS run_id, source,
           min(started_at) AS started_at, max(loaded_at) AS loaded_at,
           bool_or(outcome = 'ok') AS ok,
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
    return run_query(db, RUNS_SQL, params=[last])


def last_runs(db) -> dict[str, dict]:
    """Each source's most recent loaded crawl, with its label and the registry it was crawled from;
    empty when there is no warehouse yet."""
    try:
        columns, rows = run_query(
            db,
            "SELECT r.source, r.loaded_at, r.outcome, r.new_articles, r.error, s.label, s.registry "
            "FROM crawl_runs r LEFT JOIN sources s ON s.name = r.source "
            "QUALIFY row_number() OVER (PARTITION BY r.source ORDER BY r.loaded_at DESC) = 1",
        )
    except DatabaseMissing:
        return {}
    return {row[0]: dict(zip(columns, row)) for row in rows}


def require_sources(con, names) -> None:
    """Raise UnknownSourceName unless the warehouse has loaded every one of `names`."""
    known = [row[0] for row in con.execute("SELECT name FROM sources ORDER BY 1").fetchall()]
    for name in names:
        if name not in known:
            raise UnknownSourceName(
                f"the warehouse has no source named {name!r}; known: {', '.join(known) or 'none yet'}"
            )
