"""presswatch changes: the changes detected in a window, filtered by source, kind and silence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from flows.cli import cli, friendly
from warehouse.change_kinds import REPORTED_KINDS


def _since(ctx, param, value: str) -> datetime | None:
    """A duration back from now (7d, 12h) or a UTC date/time (2021-04-01, 2021-04-01T12:00); "all" for no limit."""
    from crawlers.durations import parse_duration

    if value.strip().lower() == "all":
        return None
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        return now - timedelta(seconds=parse_duration(value))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a duration (7d, 12h) nor a date (2021-04-01)") from None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _kinds(ctx, param, value: str | None) -> list[str] | None:
    if not value:
        return None
    kinds = [k.strip().lower() for k in value.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in REPORTED_KINDS]
    if unknown:
        raise click.BadParameter(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(REPORTED_KINDS)}")
    return kinds


@cli.command()
@click.option(
    "--since",
    default="7d",
    show_default=True,
    callback=_since,
    help="How far back: a duration (12h, 7d), a UTC date (2021-04-01), or all.",
)
@click.option("--source", "-s", "names", multiple=True, help="Only this source (repeatable).")
@click.option(
    "--kind",
    "kinds",
    callback=_kinds,
    help=f"Comma-separated kinds: {', '.join(REPORTED_KINDS)} [default: every publisher change and template event, not re-extractions].",
)
@click.option("--silent", is_flag=True, help="Only silent edits (the page's own dates did not move).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
@friendly
def changes(settings, since, names, kinds, silent, fmt):
    """Report the changes detected in a window: edits, retitles, deletions, restorations, template events.

    The rows of the `article_changes` and `template_changes` views (a template event: a source's
    site template changed, one row per change, never one per page). Re-extractions (presswatch re-reading its own archive with
    other extractor settings) are not publisher changes and are left out unless asked for.

    Example:

    \b
        presswatch changes --since 7d --kind edited,deleted
        presswatch changes --since 2021-04-01 --source globaltimes --silent --format csv
    """
    from flows.cli.output import print_rows
    from warehouse.change_kinds import SHOWN_KINDS
    from warehouse.changes import recent_changes

    found = recent_changes(settings.db, since, kinds or SHOWN_KINDS, names, silent, texts=False)
    found.reverse()  # newest first
    rows = [tuple(getattr(c, _CHANGE_FIELDS.get(name, name)) for name in CHANGE_COLUMNS) for c in found]
    if fmt != "table":
        print_rows(list(CHANGE_COLUMNS), rows, fmt)
        return
    shown = []
    for row in rows:
        r = dict(zip(CHANGE_COLUMNS, row))
        words = f"+{r['words_added']} -{r['words_removed']}" if r["words_added"] is not None else ""
        kind = r["change_kind"] + (" (silent)" if r["silent"] else "")
        if r["change_kind"] == "deleted" and r["http_status"]:
            kind += f" ({r['http_status']})"
        what = ""
        if r["change_kind"] == "retitled" or (r["previous_title"] and r["previous_title"] != r["title"]):
            what = f"title was: {r['previous_title']}"
        elif r["changed_sentence"] or r["previous_sentence"]:
            what = r["changed_sentence"] or f"removed: {r['previous_sentence']}"
        shown.append((r["detected_at"], r["source"], kind, r["title"], r["canonical_url"], words, what))
    window = "all time" if since is None else f"since {since:%Y-%m-%d %H:%M} UTC"
    print_rows(
        ["detected (UTC)", "source", "change", "title", "url", "words", "what changed"],
        shown,
        "table",
        title=f"{len(rows)} change(s), {window}",
        empty=f"no changes {window}" + _filters(names, kinds, silent),
    )


# The columns of `changes --format csv/json`, named as in the article_changes view.
CHANGE_COLUMNS = (
    "detected_at",
    "source",
    "change_kind",
    "silent",
    "title",
    "canonical_url",
    "words_added",
    "words_removed",
    "previous_sentence",
    "changed_sentence",
    "previous_title",
    "from_version",
    "to_version",
    "http_status",
)
_CHANGE_FIELDS = {"to_version": "version"}  # the view's name -> warehouse.changes.Change's


def _filters(names, kinds, silent) -> str:
    said = []
    if names:
        said.append("source " + ", ".join(names))
    if kinds:
        said.append("kind " + ", ".join(kinds))
    if silent:
        said.append("silent edits only")
    return f" ({'; '.join(said)})" if said else ""
