"""presswatch commands for the DuckLake itself: attach it from any DuckDB client, keep it tidy, convert an old file."""

from __future__ import annotations

import json

import click

from crawlers.durations import parse_duration
from flows.cli import UsageFailure, cli, friendly
from flows.settings import Settings


@cli.command()
@click.option(
    "--with-secret",
    is_flag=True,
    help="Write this environment's S3 key into the SQL, for a session that cannot read it from its own "
    "environment or ~/.aws (the output is then a secret: keep it out of shell history and notebooks).",
)
@click.pass_obj
@friendly
def attach(settings: Settings, with_secret):
    """Print the SQL that attaches the warehouse read-only in any DuckDB session (Python or CLI).

    The session can then use every table, view and macro unqualified. It loads DuckDB's
    extensions offline from the installed wheels. Each transaction it opens sees one snapshot and
    never delays a load. A shared warehouse's S3 credentials are read by the session from its own
    environment (AWS_*) or ~/.aws when it runs the SQL: the SQL holds no key.

    Example:

    \b
        duckdb -cmd "$(presswatch attach)"
        presswatch attach > attach.sql && duckdb -init attach.sql
    """
    from warehouse.attach import attach_sql
    from warehouse.db import connect

    # A missing or foreign warehouse is refused here; an empty shared catalog is made a warehouse.
    with connect(settings.db, read_only=True, wait=settings.load_wait):
        pass
    click.echo(attach_sql(settings.db, explicit_secret=with_secret), nl=False)


def _duration(value: str, option: str):
    from datetime import timedelta

    try:
        return timedelta(seconds=parse_duration(value))
    except ValueError as exc:
        raise UsageFailure(f"{option} {value!r}: {exc}") from None


@cli.command()
@click.option(
    "--retention", default="30d", show_default=True, help="Keep snapshots (time travel) this long; older ones expire."
)
@click.option(
    "--grace",
    default="6h",
    show_default=True,
    help="Delete unreferenced files only once they are this old (longer than any reader's transaction).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"], case_sensitive=False), default="text", show_default=True
)
@click.pass_obj
@friendly
def maintain(settings: Settings, retention, grace, fmt):
    """Merge the warehouse's small files, expire old snapshots and delete unreferenced files.

    Takes the write lock (so it never races a load) and never blocks readers. `as_of()` and
    every version stay: they are rows, not snapshots. `serve` runs this daily.

    Example:

    \b
        presswatch maintain --retention 7d
    """
    from warehouse.maintain import maintain as run_upkeep

    upkeep = run_upkeep(
        settings.db,
        retention=_duration(retention, "--retention"),
        grace=_duration(grace, "--grace"),
        wait=settings.load_wait,
    )
    if fmt.lower() == "json":
        click.echo(json.dumps(upkeep.as_dict(), indent=1))
        return
    b, a = upkeep.before, upkeep.after
    click.echo(
        f"snapshots {b.snapshots} -> {a.snapshots}; data files {b.data_files} -> {a.data_files}; "
        f"delete files {b.delete_files} -> {a.delete_files}; {b.bytes:,} -> {a.bytes:,} bytes; "
        f"in {upkeep.seconds:.1f}s"
    )


@cli.command()
@click.argument("old_file", type=click.Path(dir_okay=False))
@click.pass_obj
@friendly
def upgrade(settings: Settings, old_file):
    """Convert a one-file DuckDB warehouse (presswatch 0.1) into the warehouse --db names.

    Every version, fetch, run, cluster and archive pointer is copied in one transaction and the
    row counts compared; the old file is only read. The target must be new or empty.

    Example:

    \b
        presswatch --db data/warehouse upgrade data/presswatch.duckdb
    """
    from warehouse.upgrade import UpgradeError
    from warehouse.upgrade import upgrade as convert

    try:
        result = convert(old_file, settings.db, wait=settings.load_wait)
    except UpgradeError as exc:
        raise UsageFailure(str(exc)) from None
    for table, rows in result.rows.items():
        click.echo(f"{table:20} {rows:>10,} rows")
    click.echo(f"converted {result.source} into {result.target}")
    if result.templates:
        click.echo(f"site templates learned for {result.templates} source(s): presswatch changes --kind template")


@cli.command()
@click.pass_obj
@friendly
def reindex(settings: Settings):
    """Rebuild the term index that search, term_trend and phrase_spread read, from every version's text.

    Loads keep the index current; `check` says when it is not (a file restored by hand, an index
    built by another presswatch). Takes the write lock for the rebuild, one transaction; readers
    see the old index until it commits.

    Example:

    \b
        presswatch reindex && presswatch check
    """
    import time

    from warehouse.search_index import reindex as rebuild_index

    started = time.monotonic()
    versions = rebuild_index(settings.db, wait=settings.load_wait)
    click.echo(f"term index rebuilt: {versions:,} versions in {time.monotonic() - started:.1f}s")
