"""presswatch commands on one article's stored versions: history (its versions) and capture (a version's archived bytes)."""

from __future__ import annotations

import sys

import click

from flows.cli import cli, friendly, output_option


def url_spellings(url: str) -> list[str]:
    """The URL as typed, then as the crawler stores URLs (tracking parameters and fragment dropped)."""
    from crawlers.urls import BadURL, normalise_url

    try:
        normalised = normalise_url(url)
    except BadURL:
        return [url]
    return [url] if normalised == url else [url, normalised]


@cli.command()
@click.argument("url")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
@friendly
def history(settings, url, fmt):
    """List every stored version of the article at URL, oldest first.

    Version numbers are what `diff --from/--to` and `capture --version` take. The same rows come
    from SQL as `select * from article_history('URL')`.

    Example:

    \b
        presswatch history http://127.0.0.1:8321/globaltimes/page/202102/1216377.shtml
    """
    from flows.cli.output import print_rows
    from warehouse.history import article_versions

    versions = article_versions(settings.db, url_spellings(url))
    columns = [
        "version",
        "change_kind",
        "valid_from",
        "valid_to",
        "title",
        "http_status",
        "extractor_version",
        "archived",
    ]
    rows = [
        (
            v.version,
            v.change_kind,
            v.valid_from,
            v.valid_to,
            v.title,
            v.http_status,
            v.extractor_version,
            "yes" if v.warc_file else "no",
        )
        for v in versions
    ]
    print_rows(columns, rows, fmt, title=versions[-1].canonical_url if fmt == "table" else None)


@cli.command()
@click.argument("url")
@click.option(
    "--version", "version", type=click.IntRange(1), help="Version number [default: the latest with a capture]."
)
@output_option("the bytes")
@click.pass_obj
@friendly
def capture(settings, url, version, output):
    """Write out the original bytes of a version, exactly as the site sent them, from the WARC archive.

    The bytes are checked against the version's raw_hash before they are written. Needs the data
    folder the crawls wrote to (--data), where the archive/ folder is.

    Example:

    \b
        presswatch capture http://127.0.0.1:8321/globaltimes/page/202102/1216377.shtml --version 1 -o v1.html
    """
    from warehouse.archive import version_capture

    chosen, archived = version_capture(settings.db, settings.archive_root, url_spellings(url), version)
    if output == "-":
        sys.stdout.buffer.write(archived.body)
        sys.stdout.buffer.flush()
        return
    with open(output, "wb") as out:
        out.write(archived.body)
    click.echo(
        f"wrote {len(archived.body)} bytes of version {chosen.version} ({archived.content_type or 'no content type'}, "
        f"captured {archived.date or chosen.valid_from}) to {output}",
        err=True,
    )
