"""presswatch search: the articles matching a query, from the term index."""

from __future__ import annotations

import click

from flows.cli import UsageFailure, cli, friendly
from flows.settings import Settings

TABLE_COLUMNS = ("published_at", "source", "title", "snippet", "canonical_url")


@cli.command()
@click.argument("query")
@click.option("--source", help="Only this source [default: all].")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Published on or after this day (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Published on or before this day (YYYY-MM-DD).")
@click.option("--versions", is_flag=True, help="Every version that matched, deleted articles' included.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Matches shown in the table.")
@click.option("--count-by", type=click.Choice(["week", "month", "source"]), help="Count the matches instead.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--sql", "show_sql", is_flag=True, help="Print the SQL that ran (any DuckDB client can repeat it).")
@click.pass_obj
@friendly
def search(settings: Settings, query, source, since, until, versions, limit, count_by, fmt, show_sql):
    """Articles matching QUERY, newest first, with a snippet around the first match.

    QUERY is what Media Cloud users type: words (all required), "quoted phrases", -word or NOT word
    to leave out, OR between alternatives, parentheses, title:word, source:name and word* for a
    prefix. Words match whole and case-insensitively in titles and texts; Chinese, Japanese and
    Korean match anywhere. The table shows the newest matches; --format csv or json gives all.

    Example:

    \b
        presswatch search '"prime minister" police -football'
        presswatch search '(election OR referendum) source:unnews' --count-by month
        presswatch search 'title:xinjiang vocation*' --format json --sql
    """
    from flows.cli.output import console, print_rows
    from warehouse.search import search as run_search
    from warehouse.search_query import BadQuery

    try:
        result = run_search(
            settings.db,
            query,
            source=source,
            since=since.date() if since else None,
            until=until.date() if until else None,
            versions=versions,
            limit=limit if fmt == "table" and not count_by else None,
            count_by=count_by,
        )
    except BadQuery as exc:
        raise UsageFailure(f"presswatch search: {exc}") from None
    if show_sql:
        err = console(stderr=True)
        for statement in result.sql:
            err.print(statement + ";", highlight=False, soft_wrap=True)
    columns, rows = result.columns, result.rows
    if fmt == "table" and not count_by:  # the table keeps what a reader scans; csv and json keep every column
        shown = [columns.index(name) for name in TABLE_COLUMNS]
        columns, rows = list(TABLE_COLUMNS), [tuple(row[i] for i in shown) for row in rows]
    print_rows(columns, rows, fmt, empty=f"no article matches {query}")
    if fmt == "table" and not count_by and result.total > len(result.rows):
        console().print(
            f"{result.total - len(result.rows):,} more (of {result.total:,} matches): --limit N shows more, "
            "--format csv or json gives all",
            highlight=False,
        )
