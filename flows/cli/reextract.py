"""presswatch reextract: re-read every live article's archived capture with the registry's current extractor settings."""

from __future__ import annotations

import click

from flows.cli import cli, friendly


@cli.command()
@click.option("--source", "-s", "names", multiple=True, help="Only this source (repeatable) [default: all].")
@click.option("--workers", type=click.IntRange(1, 64), help="Extraction processes [default: one per core].")
@click.option("--dry-run", is_flag=True, help="Count the texts that would change; stage and load nothing.")
@click.pass_obj
@friendly
def reextract(settings, names, workers, dry_run):
    """Re-extract every live article's archived capture with the registry's current extractor settings.

    Texts that come out different get a `reextracted` version (never reported as a publisher's
    edit); identical ones change nothing. Use it after changing a source's ignore_selectors or
    ignore_patterns, or after upgrading trafilatura.

    Example:

    \b
        presswatch reextract --source globaltimes
        presswatch changes --kind reextracted --since 1h
    """
    from crawlers.registry import load_registry
    from flows.cli.output import print_rows
    from flows.reextract import run_reextract

    registry = load_registry(settings.registry)
    registry.select(list(names))
    results = run_reextract(settings, list(names) or None, workers=workers, dry_run=dry_run)
    if not names:
        _say_what_the_registry_skips(settings, registry)
    header = "would change" if dry_run else "changed"
    rows = [(r.source, r.captures, r.changed, "-" if dry_run else r.reextracted, len(r.failed)) for r in results]
    print_rows(
        ["source", "captures", header, "reextracted versions", "failed"],
        rows,
        "table",
        title="re-extraction (dry run)" if dry_run else "re-extraction",
    )
    failures = [(r.source, url, reason) for r in results for url, reason in r.failed]
    for source, failed_url, reason in failures[:10]:
        click.echo(f"{source}: {failed_url}: {reason}", err=True)
    if len(failures) > 10:
        click.echo(f"... and {len(failures) - 10} more captures that could not be re-extracted", err=True)


def _say_what_the_registry_skips(settings, registry) -> None:
    """Captures of sources this registry lacks were not re-extracted: say which, and from where."""
    from flows.registry_gap import warehouse_gap
    from warehouse.query import last_runs

    gap = warehouse_gap(registry, last_runs(settings.db))
    if gap.missing:
        click.echo(f"skipped {', '.join(gap.missing)}: not in {registry.path}", err=True)
    for note in gap.notes():
        click.echo(f"note: {note}", err=True)
