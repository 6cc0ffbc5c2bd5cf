"""The `presswatch` command: a thin layer over the crawlers, the flows and the warehouse.

Exit codes: 0 success; 1 an error (message names it and the next step); 2 bad usage or a broken
registry; 3 a run that finished but where some sources failed; 4 `check` found violations.
"""

from __future__ import annotations

import functools
import sys

import click

from crawlers.registry import DEFAULT_REGISTRY, RegistryError, RegistryNotFound, UnknownSource, load_registry
from flows.errors import ChartsUnavailable, IngestRunFailed, PrefectServerError
from flows.settings import Settings, resolve
from warehouse.errors import (
    DatabaseCorrupt,
    DatabaseLocked,
    DatabaseMissing,
    LocationError,
    QueryError,
    SharedPartUnavailable,
    WarehouseError,
)

EXIT_SOURCES_FAILED = 3


class Failure(click.ClickException):
    """A one-line error with exit status 1."""


class UsageFailure(click.ClickException):
    """A one-line error with exit status 2 (bad usage or configuration)."""

    exit_code = 2


def friendly(command):
    """Turn the library's named exceptions into one line each, with what to do next."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except RegistryNotFound as exc:
            if exc.path == DEFAULT_REGISTRY:
                raise UsageFailure(
                    f"the bundled source registry {exc.path} is missing: reinstall presswatch, or pass --sources PATH"
                ) from None
            raise UsageFailure(
                f"the source registry {exc.path} does not exist: check --sources / PRESSWATCH_SOURCES"
            ) from None
        except RegistryError as exc:
            problems = "\n  ".join(exc.problems)
            raise UsageFailure(f"the source registry {exc.path} is broken:\n  {problems}") from None
        except UnknownSource as exc:
            raise UsageFailure(f"{exc}; see `presswatch sources`") from None
        except DatabaseMissing as exc:
            raise Failure(f"{exc}: run `presswatch crawl` (or `presswatch demo`) first, or pass --db") from None
        except DatabaseLocked as exc:
            raise Failure(f"{exc}: close the other session (or wait for the load) and try again") from None
        except DatabaseCorrupt as exc:
            raise Failure(f"{exc}: check --db / PRESSWATCH_DB points at a presswatch warehouse") from None
        except LocationError as exc:
            raise UsageFailure(str(exc)) from None
        except QueryError as exc:
            raise Failure(str(exc)) from None
        except SharedPartUnavailable as exc:
            raise Failure(f"{exc}: start it or check this machine reaches it, then try again") from None
        except WarehouseError as exc:
            raise Failure(str(exc)) from None
        except PermissionError as exc:
            raise Failure(f"permission denied: {exc.filename}: check the data folder's permissions") from None
        except (IngestRunFailed, ChartsUnavailable) as exc:
            raise Failure(str(exc)) from None
        except PrefectServerError as exc:
            raise Failure(f"no Prefect server for this run: {exc}") from None

    return wrapper


# --db, --sources and --data are accepted before the command (`presswatch --db F sql ...`) and
# after it (`presswatch sql ... --db F`); given in both places, the one after the command wins.
GLOBAL_OPTIONS = (
    (
        ("--db",),
        dict(
            envvar="PRESSWATCH_DB",
            metavar="WAREHOUSE",
            help="Warehouse: a folder (embedded DuckLake) or ducklake:postgres:CONNINFO [default: data/warehouse].",
        ),
    ),
    (
        ("--sources", "registry"),
        dict(
            envvar="PRESSWATCH_SOURCES",
            type=click.Path(dir_okay=False),
            help="Source registry [default: the bundled sources.toml].",
        ),
    ),
    (
        ("--data",),
        dict(
            envvar="PRESSWATCH_DATA",
            type=click.Path(file_okay=False),
            help="Folder for staged batches, archives and Prefect state [default: beside the warehouse].",
        ),
    ),
)
_GLOBAL_NAMES = ("db", "registry", "data")


def output_option(what: str):
    """`--output/-o FILE` for a command that writes `what`: a file, or - (the default) for standard output."""
    return click.option(
        "--output",
        "-o",
        default="-",
        show_default=True,
        type=click.Path(dir_okay=False, allow_dash=True),
        help=f"File to write {what} to, or - for standard output.",
    )


class _TakesGlobalOptions:
    """Choices that ignore case, and the global options, which then override the group's."""

    params: list[click.Parameter]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param.type, click.Choice):
                param.type.case_sensitive = False  # --format JSON works like --format json
        for decls, attrs in GLOBAL_OPTIONS:
            # No envvar here: the group already read the environment, and a flag must beat it.
            self.params.append(click.Option(decls, **{k: v for k, v in attrs.items() if k != "envvar"}))

    def invoke(self, ctx: click.Context):
        given = {name: ctx.params.pop(name, None) for name in _GLOBAL_NAMES}
        if any(value is not None for value in given.values()):
            chosen = {**ctx.meta.get("presswatch.globals", {}), **{k: v for k, v in given.items() if v is not None}}
            ctx.meta["presswatch.globals"] = chosen
            ctx.obj = resolve(db=chosen.get("db"), sources=chosen.get("registry"), data=chosen.get("data"))
        return super().invoke(ctx)  # type: ignore[misc]


class Command(_TakesGlobalOptions, click.Command):
    """A presswatch command."""


class CommandGroup(_TakesGlobalOptions, click.Group):
    """A presswatch command with subcommands (`sources add`, `alerts test`): they take the global options too."""

    command_class = Command


class Group(click.Group):
    """The presswatch group: its commands are `Command`s, its subgroups `CommandGroup`s."""

    command_class = Command
    group_class = CommandGroup


def _global_options(function):
    for decls, attrs in reversed(GLOBAL_OPTIONS):
        function = click.option(*decls, **attrs)(function)
    return function


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@_global_options
@click.version_option(package_name="presswatch", prog_name="presswatch", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx, db, registry, data):
    """presswatch: collect articles of the sources you follow, keep every version, query with SQL.

    --db, --sources and --data go before or after the command.

    Example:

    \b
        presswatch demo
        presswatch sql "select source, count(*) from articles group by 1"
    """
    ctx.meta["presswatch.globals"] = {"db": db, "registry": registry, "data": data}
    ctx.obj = resolve(db=db, sources=registry, data=data)


@cli.command()
@click.option("--source", "-s", "names", multiple=True, help="Only this source (repeatable) [default: all].")
@click.option("--parallel", type=click.IntRange(1, 64), help="Sources crawled at once [default: 2].")
@click.option("--verbose", "-v", is_flag=True, help="Show Prefect's and Scrapy's logs.")
@click.pass_obj
@friendly
def crawl(settings: Settings, names, parallel, verbose):
    """Crawl the chosen sources once (discover, fetch, extract, load) and print a summary.

    Runs the same `ingest` flow as the schedules. Exit status 3 when some sources failed.

    Example:

    \b
        presswatch crawl --source chinadaily --source unnews
    """
    from flows.cli.running import run_with_progress

    load_registry(settings.registry).select(list(names))
    _preflight(settings)
    settings = settings.with_(parallel=parallel or settings.parallel, log_level="INFO" if verbose else "WARNING")
    summary = run_with_progress(settings, list(names) or None, verbose=verbose)
    _exit_for(summary)


@cli.command()
@click.argument("query")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Several statements give one table, CSV block (blank line between) or JSON array each.",
)
@click.pass_obj
@friendly
def sql(settings: Settings, query, fmt):
    """Run read-only SQL on the warehouse: one statement, or several separated by `;`.

    Only reads run: SELECT (and DESCRIBE, SHOW, SUMMARIZE), EXPLAIN and PRAGMAs that show
    something. COPY, EXPORT, ATTACH, INSTALL, LOAD, SET, CREATE, INSERT and the like are refused
    before anything runs. A SELECT can read files (read_csv, read_parquet), never write them.

    Example:

    \b
        presswatch sql "select source, count(*) as articles from articles group by source"
        presswatch sql "describe articles; select count(*) from article_versions" --format json
    """
    from flows.cli.output import print_rows
    from warehouse.query import run_queries

    results = run_queries(settings.db, query, wait=settings.load_wait)  # readers never wait: only a first contact does
    for number, result in enumerate(results):
        if number and fmt != "json":
            click.echo()
        if len(results) > 1 and fmt == "table":
            click.echo(result.statement)  # which statement the table answers
        print_rows(result.columns, result.rows, fmt)


@cli.command()
@click.option(
    "--port", type=int, default=8321, show_default=True, help="Loopback port for the demo site (0: any free port)."
)
@click.option(
    "--redesign",
    is_flag=True,
    help="The site also rolls out a redesign before the second crawl, with three more real edits.",
)
@click.pass_obj
@friendly
def demo(settings: Settings, port, redesign):
    """Serve the bundled demo site on 127.0.0.1, crawl it, publish an edit and a deletion, crawl again, show the changes.

    With --redesign the site also puts a banner and a newsletter promo in every article before the
    second crawl: one template event per outlet, not a version per page. Works offline. Uses --db
    (default data/warehouse).

    Example:

    \b
        presswatch --db /tmp/demo demo
        presswatch --db /tmp/redesign demo --redesign
    """
    from flows.cli.demo import run_demo

    run_demo(settings, port, redesign)


def _preflight(settings: Settings) -> None:
    """Refuse before starting Prefect what would fail every source: bad folders, a file that is no warehouse."""
    from warehouse.db import connect, location

    for folder in (settings.data, settings.staging, settings.archive):
        if folder.exists() and not folder.is_dir():
            raise UsageFailure(f"{folder} is a file, not a folder: move it away or pass another --data")
    settings.check_archive()
    if location(settings.db).exists():
        try:
            with connect(settings.db, read_only=True, wait=settings.load_wait):
                pass
        except (DatabaseLocked, SharedPartUnavailable):
            pass  # a load in progress elsewhere, a shared part down: the crawl stages, its load says why


def _exit_for(summary) -> None:
    if summary.failed_sources:
        sys.exit(EXIT_SOURCES_FAILED)


# Commands that live in their own modules register themselves on `cli` when imported.
from flows.cli import alerts, article_history, changes, check, diff, lake, ops, reextract, search, sources, trends  # noqa: E402,F401


def main() -> None:
    cli(prog_name="presswatch")
