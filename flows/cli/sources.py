"""presswatch sources: list the registry, add an outlet from its home page, check entries live."""

from __future__ import annotations

import functools
import sys
import textwrap
import tomllib
from datetime import date
from pathlib import Path

import click

from crawlers.onboard.errors import BadStartURL, EntryError, OnboardError
from crawlers.registry import load_registry
from crawlers.registry_types import SLUG
from flows.cli import Failure, UsageFailure, cli, friendly
from flows.settings import Settings

FORMATS = click.Choice(["table", "csv", "json"])


def onboard_errors(command):
    """Turn the onboarding package's named errors into one line: 2 for bad usage, 1 for the site."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (BadStartURL, EntryError) as exc:
            raise UsageFailure(str(exc)) from None
        except OnboardError as exc:
            raise Failure(str(exc)) from None

    return wrapper


@cli.group(invoke_without_command=True)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.pass_context
@friendly
def sources(ctx, fmt):
    """List the registry's sources with the date each was verified and its last run.

    Subcommands `add` and `check` propose a new entry from a home page and verify entries live.

    Example:

    \b
        presswatch --sources my-sources.toml sources
        presswatch sources --format csv
    """
    if ctx.invoked_subcommand is not None:
        return
    from flows.cli.output import print_rows
    from flows.registry_gap import warehouse_gap
    from warehouse.query import last_runs

    settings: Settings = ctx.obj
    registry = load_registry(settings.registry)
    runs = last_runs(settings.db)
    gap = warehouse_gap(registry, runs)
    rows = []
    for s in registry.sources:
        discovery = ", ".join(k for k in ("feeds", "sitemaps", "listings") if getattr(s, k))
        last = _last_run(runs.get(s.name), s.name in gap.elsewhere)
        rows.append((s.name, s.label, s.language, discovery, s.schedule, s.verified_on, last))
    for name in gap.missing:
        run = runs[name]
        rows.append((name, run["label"] or "", "", "not in this registry", "", "", _last_run(run, False)))
    print_rows(["name", "label", "lang", "discovery", "schedule", "verified", "last run"], rows, fmt)
    for note in gap.notes():
        click.echo(f"note: {note}", err=True)


def _last_run(run: dict | None, from_elsewhere: bool) -> str:
    if not run:
        return "never"
    shown = f"{run['loaded_at']:%Y-%m-%d %H:%M} {run['outcome']} ({run['new_articles']} new)"
    return f"{shown}, other registry" if from_elsewhere else shown


@sources.command()
@click.argument("url")
@click.option("--name", help="Slug for the entry [default: from the host name].")
@click.option("--write", is_flag=True, help="Append the entry to the registry (--sources / PRESSWATCH_SOURCES).")
@click.option(
    "--delay",
    type=click.FloatRange(0),
    help="Seconds between requests [default: the registry's download_delay, else 2].",
)
@click.option(
    "--samples",
    type=click.IntRange(2, 100),
    default=16,
    show_default=True,
    help="Pages fetched to tell articles from other pages.",
)
@click.option("--timeout", type=click.FloatRange(1), default=20.0, show_default=True, help="Seconds per request.")
@click.pass_obj
@friendly
@onboard_errors
def add(settings: Settings, url, name, write, delay, samples, timeout):
    """Propose a registry entry for the outlet at URL (its home page or a section page).

    Politely (robots.txt, the registry's delay, a few dozen requests at most) finds its feeds,
    sitemaps and paginated listings, samples its links, infers `article_pattern` from the pages
    that extract as articles, shows sample articles, and prints the entry. With --write the
    entry is appended to the registry, which must still validate; a duplicate name is refused.
    The report goes to stderr and the entry to stdout.

    Example:

    \b
        presswatch sources add https://www.example-news.org/
        presswatch --sources my-sources.toml sources add https://www.example-news.org/world/ --name example --write
    """
    from crawlers.onboard.entry import append_entry, render_entry
    from crawlers.onboard.propose import propose

    if name is not None and not SLUG.match(name):
        raise UsageFailure(f"--name {name!r} must be a lower-case slug (letters, digits, - and _)")
    if write and name:
        _refuse_duplicate(settings.registry, name)
    delay = _registry_delay(settings.registry) if delay is None else delay
    proposal = propose(url, name=name, delay=delay, budget=samples, timeout=timeout)
    if write and not name:
        _refuse_duplicate(settings.registry, proposal.name)
    _report(proposal)
    text = render_entry(proposal)
    click.echo(text, nl=False)
    if write:
        append_entry(Path(settings.registry), text, proposal.name)
        click.echo(
            f"written to {settings.registry} (it validates); check it with `presswatch sources check {proposal.name}`",
            err=True,
        )


@sources.command()
@click.argument("names", nargs=-1)
@click.option(
    "--write", is_flag=True, help='Set verified = "YYYY-MM-DD" (today) in the registry for each source that passes.'
)
@click.option("--article", "articles", multiple=True, help="Also extract this article URL (repeatable; give one NAME).")
@click.pass_obj
@friendly
@onboard_errors
def check(settings: Settings, names, write, articles):
    """Check registry entries against the live sites: discovery, pattern, robots.txt, one article.

    For each source (default: all): every feed, sitemap and listing must answer and parse; the
    URLs they give are matched against article_pattern (the main shapes that do not match are
    shown); robots.txt must allow them; one article must extract with a title, text and a date.
    Each problem comes with what to fix. Exit status 1 when some source fails.

    Example:

    \b
        presswatch sources check chinadaily unnews
        presswatch sources check --write
    """
    from crawlers.onboard.check import check_source
    from crawlers.onboard.entry import set_verified
    from flows.cli.output import print_rows

    registry = load_registry(settings.registry)
    chosen = registry.select(list(names))
    if articles and len(chosen) != 1:
        raise UsageFailure("--article needs exactly one source NAME")
    results = []
    for source in chosen:
        result = check_source(source, articles=tuple(articles))
        results.append(result)
        _print_check(result)
    rows = [(r.name, r.verdict, r.matched, r.discovered, r.requests) for r in results]
    print_rows(["source", "verdict", "matching URLs", "URLs discovered", "requests"], rows, "table")
    passed = [r.name for r in results if r.passed]
    if write and passed:
        set_verified(Path(settings.registry), passed, date.today())
        click.echo(f'verified = "{date.today().isoformat()}" written for {", ".join(passed)} in {settings.registry}')
    if len(passed) < len(results):
        sys.exit(1)


def _registry_delay(path) -> float:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return 2.0
    value = data.get("defaults", {}).get("download_delay", 2.0)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 2.0


def _refuse_duplicate(path, name: str) -> None:
    if Path(path).exists() and any(s.name == name for s in load_registry(path).sources):
        raise UsageFailure(f"the registry {path} already has a source named {name!r}: pass --name to choose another")


def _report(p) -> None:
    err = functools.partial(click.echo, err=True)
    err(f"presswatch sources add {p.start_url}: {p.requests} requests, {p.delay:g} s apart")
    robots = p.robots
    err(f"robots.txt: {robots.url}: " + ("allows it" if robots.parser is not None else robots.verdict(p.start_url, "")))
    for kind, found in (("feed", p.feeds), ("sitemap", p.sitemaps), ("listing", p.listings)):
        for f in found:
            extra = f", pages like {f.next_pages[0]}" if kind == "listing" and f.next_pages else ""
            err(f"{kind}: {f.url} ({len(f.links)} links{extra})")
    for f, why in p.left_out:
        err(f"left out {f.kind} {f.url}: {why}")
    covered, articles, excluded, others = p.coverage()
    err(f"article_pattern {p.article_pattern}")
    err(
        f"  covers {covered} of {articles} sampled articles; excludes {excluded} of {others} other sampled pages"
        f" and {p.fixed_links} section links; matches {p.matched} of {p.candidates} URLs discovered"
    )
    err("URL shapes (count, shape, verdict):")
    for v in p.article_shapes + p.other_shapes[:8]:
        mark = "+" if v.article else "-"
        err(f"  {mark} {len(v.shape.urls):>4}  {v.shape.display}  {v.verdict}")
    if len(p.other_shapes) > 8:
        err(f"  - and {len(p.other_shapes) - 8} more shapes left out")
    err(f"sample articles ({len(p.samples)}):")
    for s in p.samples:
        f = s.fields
        err(f"  {f.get('title')}")
        err(f"    {f.get('published_at')} · {f.get('language') or '?'} · {s.encoding} · {s.url}")
        first = " ".join((f.get("text") or "").splitlines()[1:3]) or (f.get("text") or "")
        err(textwrap.indent(textwrap.fill(textwrap.shorten(first, 240, placeholder=" …"), 96), "    "))
    err("")


def _print_check(r) -> None:
    click.echo(f"{r.name}: {r.verdict.upper() if r.passed else r.verdict}")
    for line in r.lines:
        click.echo(f"  {'ok ' if line.ok else 'BAD'} {line.kind:<10} {line.url}: {line.detail}")
    if r.discovered:
        click.echo(
            f"  {'ok ' if r.matched else 'BAD'} {'pattern':<10} {r.matched} of {r.discovered} URLs discovered"
            " match article_pattern"
        )
    else:
        click.echo(f"  --  {'pattern':<10} nothing discovered to match it against")
    for shape, count, example in r.missed_shapes[:5]:
        click.echo(f"      not matching: {count:>4}  {shape}  (e.g. {example})")
    for problem in r.problems:
        click.echo(f"  fix: {problem}")
