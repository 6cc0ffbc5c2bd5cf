"""presswatch diff: what changed between two versions of an article, as text, HTML or JSON (flows/cli/diff_render.py)."""

from __future__ import annotations

import json
import sys

import click

from flows.cli import cli, friendly
from flows.cli.article_history import url_spellings


@cli.command()
@click.argument("url")
@click.option(
    "--from", "from_version", type=click.IntRange(1), help="Old version [default: the last one with text before --to]."
)
@click.option("--to", "to_version", type=click.IntRange(1), help="New version [default: the latest].")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "json"]), default="text", show_default=True)
@click.option(
    "--context",
    type=click.IntRange(0, 20),
    default=1,
    show_default=True,
    help="Unchanged paragraphs shown around each change.",
)
@click.option("--color/--no-color", default=None, help="Colour the text diff [default: when writing to a terminal].")
@click.pass_obj
@friendly
def diff(settings, url, from_version, to_version, fmt, context, color):
    """Show what changed between two versions of the article at URL, word by word.

    Chinese, Japanese and Korean text is compared character by character. Only changed
    paragraphs are shown, with a little context. The text format colours removed words red and
    added ones green in a terminal, and marks them [-removed-] and {+added+} elsewhere; html
    writes a self-contained page; json gives the operations for programs.

    Example:

    \b
        presswatch diff http://127.0.0.1:8321/globaltimes/page/202102/1216377.shtml
        presswatch diff URL --from 1 --to 3 --format html > change.html
    """
    from flows.cli.diff_render import diff_html, diff_json, diff_text
    from warehouse.history import version_diff

    result = version_diff(settings.db, url_spellings(url), from_version, to_version, context=context)
    if fmt == "json":
        click.echo(json.dumps(diff_json(result), ensure_ascii=False, indent=1))
    elif fmt == "html":
        click.echo(diff_html(result))
    else:
        color = sys.stdout.isatty() if color is None else color
        click.echo(diff_text(result, color), color=color)
