"""presswatch commands: history (versions, diffs, the change report, archived captures, re-extraction)."""

from __future__ import annotations

import html
import json
import sys
from datetime import UTC, datetime, timedelta

import click

from flows.cli import cli, friendly

CONTEXT_CHARS = 160  # how much of an unchanged neighbouring paragraph the text diff shows


def _spellings(url: str) -> list[str]:
    """The URL as typed, then as the crawler stores URLs (tracking parameters and fragment dropped)."""
    from crawlers.urls import BadURL, normalise_url

    try:
        normalised = normalise_url(url)
    except BadURL:
        return [url]
    return [url] if normalised == url else [url, normalised]


# ------------------------------------------------------------------------------------ history


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

    versions = article_versions(settings.db, _spellings(url))
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


# --------------------------------------------------------------------------------------- diff


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
    from warehouse.history import version_diff

    result = version_diff(settings.db, _spellings(url), from_version, to_version, context=context)
    if fmt == "json":
        click.echo(json.dumps(_diff_json(result), ensure_ascii=False, indent=1))
    elif fmt == "html":
        click.echo(_diff_html(result))
    else:
        color = sys.stdout.isatty() if color is None else color
        click.echo(_diff_text(result, color), color=color)


def _version_json(v) -> dict:
    return {
        "version": v.version,
        "change_kind": v.change_kind,
        "title": v.title,
        "valid_from": v.valid_from.isoformat(),
        "extractor_version": v.extractor_version,
        "url": v.url,
    }


def _segments_json(segments) -> list[dict]:
    return [{"op": s.op, "text": s.text} for s in segments]


def _diff_json(d) -> dict:
    return {
        "article_id": d.new.article_id,
        "canonical_url": d.new.canonical_url,
        "source": d.new.source,
        "from": _version_json(d.old),
        "to": _version_json(d.new),
        "title": _segments_json(d.title) if d.title is not None else None,
        "words_added": d.words_added,
        "words_removed": d.words_removed,
        "hunks": [
            {
                "old_paragraph": h.old_start,
                "new_paragraph": h.new_start,
                "paragraphs": [_segments_json(p) for p in h.paragraphs],
            }
            for h in d.hunks
        ],
    }


def _describe(v) -> str:
    kind = f"deleted, HTTP {v.http_status}" if v.is_tombstone and v.http_status else v.change_kind
    return f"version {v.version} ({kind}, {v.valid_from:%Y-%m-%d %H:%M:%S} UTC)"


def _diff_text(d, color: bool) -> str:
    def mark(segment) -> str:
        if segment.op == "equal":
            return segment.text
        if color:
            return click.style(
                segment.text,
                fg="red" if segment.op == "delete" else "green",
                strikethrough=segment.op == "delete",
                underline=segment.op == "insert",
            )
        return f"[-{segment.text}-]" if segment.op == "delete" else f"{{+{segment.text}+}}"

    def context(text: str, before: bool) -> str:
        if len(text) <= CONTEXT_CHARS:
            return text
        return "…" + text[-CONTEXT_CHARS:] if before else text[:CONTEXT_CHARS] + "…"

    header = f"{d.new.canonical_url} ({d.new.source})"
    lines = [
        click.style(header, bold=True) if color else header,
        f"{_describe(d.old)} → {_describe(d.new)}: +{d.words_added} -{d.words_removed} words",
    ]
    if d.unchanged:
        lines.append("no difference in title or text")
    if d.title is not None:
        lines.append("title: " + "".join(mark(s) for s in d.title))
    for hunk in d.hunks:
        lines.append("")
        at = f"@@ paragraph {hunk.old_start} → {hunk.new_start} @@"
        lines.append(click.style(at, fg="cyan") if color else at)
        changed_seen = False
        for paragraph in hunk.paragraphs:
            if all(s.op == "equal" for s in paragraph):
                lines.append(context(paragraph[0].text, before=not changed_seen))
            else:
                changed_seen = True
                lines.append("".join(mark(s) for s in paragraph))
    return "\n".join(lines)


_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Changes: {title}</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 46em; margin: 2em auto; padding: 0 1em; color: #222; }}
header p {{ color: #555; margin: .2em 0; }}
del {{ background: #ffe0e0; color: #a00; }}
ins {{ background: #ddf5dd; color: #060; text-decoration: none; }}
.hunk {{ border-top: 1px solid #ccc; margin-top: 1em; }}
.hunk h2 {{ font-size: .8em; color: #777; font-weight: normal; }}
p.context {{ color: #777; }}
</style></head>
<body>
<header>
<h1>{title_diff}</h1>
<p><a href="{url}">{url_text}</a> · {source}</p>
<p>{old} → {new} · {added} words added, {removed} removed</p>
</header>
{body}
</body></html>"""


def _diff_html(d) -> str:
    def mark(segment) -> str:
        text = html.escape(segment.text)
        return {"equal": text, "delete": f"<del>{text}</del>", "insert": f"<ins>{text}</ins>"}[segment.op]

    parts = []
    if d.unchanged:
        parts.append("<p>No difference in title or text.</p>")
    for hunk in d.hunks:
        parts.append(f'<section class="hunk"><h2>paragraph {hunk.old_start} → {hunk.new_start}</h2>')
        for paragraph in hunk.paragraphs:
            kind = "context" if all(s.op == "equal" for s in paragraph) else "changed"
            parts.append(f'<p class="{kind}">{"".join(mark(s) for s in paragraph)}</p>')
        parts.append("</section>")
    title = d.new.title or d.old.title or d.new.canonical_url
    return _PAGE.format(
        lang=html.escape(d.new.language or d.old.language or "en", quote=True),
        title=html.escape(title),
        title_diff="".join(mark(s) for s in d.title) if d.title is not None else html.escape(title),
        url=html.escape(d.new.canonical_url, quote=True),
        url_text=html.escape(d.new.canonical_url),
        source=html.escape(d.new.source),
        old=html.escape(_describe(d.old)),
        new=html.escape(_describe(d.new)),
        added=d.words_added,
        removed=d.words_removed,
        body="\n".join(parts),
    )


# ------------------------------------------------------------------------------------ changes


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
    from warehouse.history import CHANGE_KINDS

    if not value:
        return None
    kinds = [k.strip().lower() for k in value.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in CHANGE_KINDS]
    if unknown:
        raise click.BadParameter(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(CHANGE_KINDS)}")
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
    help="Comma-separated kinds: edited, retitled, deleted, restored, reextracted, template "
    "(a change of a source's site template) [default: every publisher change, not re-extractions].",
)
@click.option("--silent", is_flag=True, help="Only silent edits (the page's own dates did not move).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
@friendly
def changes(settings, since, names, kinds, silent, fmt):
    """Report the changes detected in a window: edits, retitles, deletions, restorations.

    Reads the `article_changes` view. Re-extractions (presswatch re-reading its own archive with
    other extractor settings) are not publisher changes and are left out unless asked for.

    Example:

    \b
        presswatch changes --since 7d --kind edited,deleted
        presswatch changes --since 2021-04-01 --source globaltimes --silent --format csv
    """
    from flows.cli.output import print_rows
    from warehouse.history import recent_changes

    columns, rows = recent_changes(settings.db, since, names, kinds, silent)
    if fmt != "table":
        print_rows(columns, rows, fmt)
        return
    shown = []
    for row in rows:
        r = dict(zip(columns, row))
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


def _filters(names, kinds, silent) -> str:
    said = []
    if names:
        said.append("source " + ", ".join(names))
    if kinds:
        said.append("kind " + ", ".join(kinds))
    if silent:
        said.append("silent edits only")
    return f" ({'; '.join(said)})" if said else ""


# ------------------------------------------------------------------------------------ capture


@cli.command()
@click.argument("url")
@click.option(
    "--version", "version", type=click.IntRange(1), help="Version number [default: the latest with a capture]."
)
@click.option(
    "--output",
    "-o",
    default="-",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write the bytes to, or - for standard output.",
)
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

    chosen, archived = version_capture(settings.db, settings.archive_root, _spellings(url), version)
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


# ---------------------------------------------------------------------------------- reextract


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
