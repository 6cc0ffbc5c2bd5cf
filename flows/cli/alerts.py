"""presswatch commands: alerts (list rules, send a test message), the change feed and the change report."""

from __future__ import annotations

import functools
import sys
from datetime import UTC, datetime, timedelta

import click

from crawlers.alert_rules import UnknownAlert, get_rule
from crawlers.registry import load_registry
from flows.cli import Failure, UsageFailure, cli, friendly, output_option
from flows.settings import Settings


def _alert_errors(command):
    """UnknownAlert becomes a usage error naming the known rules."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except UnknownAlert as exc:
            raise UsageFailure(f"{exc}; see `presswatch alerts`") from None

    return wrapper


def _since(value: str) -> datetime:
    from crawlers.durations import parse_duration

    try:
        return datetime.now(UTC) - timedelta(seconds=parse_duration(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


@cli.group(invoke_without_command=True)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_context
@friendly
def alerts(ctx, fmt):
    """List the registry's alert rules with their last delivery and failing channels.

    Rules are `[[alerts]]` tables in the source registry (see docs/alerts.md). Rules without a
    schedule are sent after every run; those with a cron are digests sent by `presswatch serve`.

    Example:

    \b
        presswatch alerts
        presswatch alerts --format json
        presswatch alerts test silent-edits
    """
    if ctx.invoked_subcommand:
        return
    from flows.cli.output import print_rows
    from flows.notify.deliver import redacted
    from warehouse.alerts import rule_status

    settings: Settings = ctx.obj
    rules = load_registry(settings.registry).alerts
    if not rules and fmt == "table":
        click.echo(f"no [[alerts]] rules in {settings.registry}; docs/alerts.md shows how to write one")
        return
    status = rule_status(settings.db, [r.name for r in rules])
    rows = []
    for rule in rules:
        s = status[rule.name]
        what = ", ".join(rule.kinds) + (" (silent only)" if rule.silent_only else "")
        if rule.terms:
            what += "; terms: " + ", ".join(rule.terms)
        if rule.min_words_changed:
            what += f"; at least {rule.min_words_changed} words"
        last = s.last_sent_at.isoformat(sep=" ", timespec="seconds") if s.last_sent_at else "never"
        rows.append(
            (
                rule.name,
                what,
                ", ".join(rule.sources) or "all",
                rule.schedule or "after every run",
                " ".join(redacted(c) for c in rule.channels),
                last,
                s.sent,
                s.failing,
                s.last_error or "",
            )
        )
    print_rows(
        ["rule", "matches", "sources", "schedule", "channels", "last sent (UTC)", "sent", "failing", "last error"],
        rows,
        fmt,
    )


@alerts.command(name="test")
@click.argument("name")
@click.pass_obj
@friendly
@_alert_errors
def alerts_test(settings: Settings, name):
    """Send a sample message on every channel of the rule NAME (recorded nowhere).

    The sample is the rule's latest matching change in the warehouse, else a made-up one.
    Exit status 1 when a channel fails, naming it and the reason.

    Example:

    \b
        presswatch alerts test silent-edits
    """
    from flows.notify.sample import send_test

    rule = get_rule(load_registry(settings.registry).alerts, name, settings.registry)
    results = send_test(settings, rule)
    failed = False
    for channel, error in results:
        if error:
            failed = True
            click.echo(f"{rule.name}: {channel}: FAILED: {error}", err=True)
        else:
            click.echo(f"{rule.name}: {channel}: sample sent")
    if failed:
        raise Failure(f"some channels of {rule.name} failed; fix them in {settings.registry} and run this again")


@cli.command()
@click.option("--alert", "alert_name", help="Only the changes this alert rule matches [default: every change].")
@click.option("--since", default="30d", show_default=True, help="How far back (a duration: 12h, 7d).")
@output_option("the Atom feed")
@click.pass_obj
@friendly
@_alert_errors
def feed(settings: Settings, alert_name, since, output):
    """Write an Atom feed of recent changes (edits, retitles, deletions, restorations).

    Each entry links to the article and to its page in the change report. `presswatch serve`
    keeps DATA/feeds/all.xml and one DATA/feeds/RULE.xml per alert rule current.

    Example:

    \b
        presswatch feed --output changes.xml
        presswatch feed --alert silent-edits --since 7d
    """
    from flows.change_report.feed import atom_feed, feed_kinds
    from flows.change_report.paths import report_base
    from warehouse.changes import recent_changes

    rule = get_rule(load_registry(settings.registry).alerts, alert_name, settings.registry) if alert_name else None
    changes = recent_changes(settings.db, _since(since), kinds=feed_kinds(rule))
    document = atom_feed(changes, report_base(settings.data), rule=rule)
    if output == "-":
        sys.stdout.buffer.write(document)
        sys.stdout.buffer.flush()
        return
    with open(output, "wb") as out:
        out.write(document)
    click.echo(f"Atom feed written to {output}", err=True)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--since", default="all", show_default=True, help="How far back (a duration: 30d), or all.")
@click.pass_obj
@friendly
def report(settings: Settings, directory, since):
    """Write the browsable change report into DIRECTORY: a static site that opens from disk.

    index.html lists the changes (filter by outlet and kind); each changed article has a page
    with every version, its capture date and URL, and side-by-side and inline word diffs.
    `presswatch serve` keeps DATA/report/ current.

    Example:

    \b
        presswatch report /tmp/changes && xdg-open /tmp/changes/index.html
    """
    from flows.change_report.site import build_site

    result = build_site(settings.db, directory, since=None if since == "all" else _since(since))
    click.echo(
        f"{result.changes} change(s) of {result.articles} article(s) written to "
        f"{(result.path / 'index.html').resolve()}"
    )
