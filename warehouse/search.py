"""`presswatch search`: the search() macro of migration 006 asked with a query that may use parentheses
(and search_matches(), migration 017, for counts).

The query is rewritten into the macro's flat form (warehouse/search_query.py) and sent as SQL any
DuckDB client can repeat; `sql` holds the statements that ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from warehouse.db import connect
from warehouse.errors import QueryError
from warehouse.query import require_sources
from warehouse.search_query import BadQuery, flat_query

COUNT_BY = ("week", "month", "source")


@dataclass
class SearchResult:
    """The rows asked for, how many matched in all, and the SQL that ran."""

    columns: list[str]
    rows: list[tuple]
    total: int
    sql: list[str] = field(default_factory=list)


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def search_call(
    query: str,
    source: str | None = None,
    since: date | None = None,
    until: date | None = None,
    versions: bool = False,
    macro: str = "search",
) -> str:
    """`search('…', …)`: the table function call for `query` (BadQuery when it cannot be read);
    `macro="search_matches"` for its matches without titles and snippets (migration 017)."""
    named = {"source": source, "since": since, "until": until, "versions": versions or None}
    extra = "".join(f", {name} := {_literal(value)}" for name, value in named.items() if value is not None)
    return f"{macro}({_literal(flat_query(query))}{extra})"


def search(
    db,
    query: str,
    source: str | None = None,
    since: date | None = None,
    until: date | None = None,
    versions: bool = False,
    limit: int | None = None,
    count_by: str | None = None,
    wait: float = 5.0,
) -> SearchResult:
    """The newest `limit` matches (all with None), or their counts per week, month or source."""
    call = search_call(query, source, since, until, versions)
    matches = search_call(query, source, since, until, versions, macro="search_matches")  # counts read no title
    if count_by == "source":
        statements = [
            f"SELECT source, count(*) AS matches FROM {matches} GROUP BY source ORDER BY matches DESC, source"
        ]
    elif count_by in ("week", "month"):
        statements = [
            f"SELECT date_trunc('{count_by}', published_at)::DATE AS {count_by}, count(*) AS matches "
            f"FROM {matches} GROUP BY 1 ORDER BY 1"
        ]
    elif count_by is not None:
        raise QueryError(f"count by one of {', '.join(COUNT_BY)}, not {count_by!r}")
    else:
        statements = [f"SELECT * FROM {call}"]
        if limit is not None:  # the newest: only their titles and snippets are read
            statements = [f"SELECT * FROM {call[:-1]}, newest := {int(limit)})"]
            statements.append(f"SELECT count(*) AS matches FROM {matches}")
    with connect(db, read_only=True, wait=wait) as con:
        if source is not None:
            require_sources(con, [source])
        try:
            cursor = con.execute(statements[0])
            columns = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            if count_by is None and limit is not None:
                total = int(con.execute(statements[1]).fetchall()[0][0])
            else:
                total = sum(int(row[-1]) for row in rows) if count_by else len(rows)
        except duckdb.InvalidInputException as exc:  # the macro's own word on a query it cannot read
            raise BadQuery(str(exc).split("Error: ", 1)[-1].splitlines()[0]) from None
    return SearchResult(columns, rows, total, statements)
