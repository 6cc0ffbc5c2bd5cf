"""presswatch check: verify the warehouse's invariants (history, whole loads, batches, archive).

Exit status 0 when every invariant holds, 4 when some do not (each violation is named, with up to
--examples of each kind), 1 when the check itself cannot run (no warehouse, a locked or corrupt one).
"""

from __future__ import annotations

import json
import sys

import click

from flows.cli import cli, friendly
from flows.settings import Settings

EXIT_VIOLATIONS = 4


@cli.command()
@click.option(
    "--examples", type=click.IntRange(1, 1000), default=5, show_default=True, help="Violations shown per kind."
)
@click.option("--deep", is_flag=True, help="Also read every archived record back and compare its hash.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
@friendly
def check(settings: Settings, examples, deep, fmt):
    """Verify the warehouse's invariants; exit 4 naming each violation.

    Checks: one current version per article; version numbers 1, 2, 3...; valid_from/valid_to
    without gaps or overlaps; whole versions from loaded batches only; every staged batch either
    pending or loaded (a batch loaded but not yet moved out of staging is a note, not a
    violation); every version's WARC record inside its file (--deep: and hashing to raw_hash).

    Example:

        presswatch --db data/warehouse check --examples 10
    """
    from warehouse.check import check_warehouse

    report = check_warehouse(
        settings.db,
        staging=settings.staging,
        loaded=settings.loaded,
        archive=settings.archive_root,
        examples=examples,
        deep=deep,
        wait=settings.load_wait,
    )
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=1, default=str))
    else:
        for item in report.checks:
            status = "ok  " if item.ok else "FAIL"
            click.echo(f"{status} {item.title} ({item.checked} checked)")
            for example in item.examples:
                click.echo(f"     {item.name}: {example}")
            if item.violations > len(item.examples):
                click.echo(f"     {item.name}: ... and {item.violations - len(item.examples)} more")
        for note in report.notes:
            click.echo(f"note {note}")
    if not report.ok:
        kinds = ", ".join(f"{c.name} ({c.violations})" for c in report.checks if not c.ok)
        from warehouse.db import location

        where = location(settings.db)  # a shared warehouse's password stays out of the message
        click.echo(f"presswatch check: {report.violations} violation(s) in {where}: {kinds}", err=True)
        sys.exit(EXIT_VIOLATIONS)
