"""presswatch commands: ops (serve the schedules, list recent runs)."""

from __future__ import annotations

import os

import click

from flows.cli import Failure, UsageFailure, cli, friendly

# The table leaves out what fits badly in a terminal; csv and json have every column.
TABLE_COLUMNS = ["run_id", "started", "status", "sources", "fetched", "new", "changed", "deleted", "errors", "failures"]


@cli.command()
@click.option(
    "--limit",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Flow runs at once (each crawls one source).",
)
@click.option("--ui/--no-ui", default=False, show_default=True, help="Serve Prefect's web UI from the local server.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Port of the local Prefect server [default: any free port].",
)
@click.pass_context
@friendly
def serve(ctx, limit, ui, port):
    """Run every source on its `schedule` (cron, UTC) until stopped with Ctrl-C or SIGTERM.

    Serves one Prefect deployment of the ingest flow per source (ingest/NAME). Without
    PREFECT_API_URL it starts a local Prefect server on 127.0.0.1 (state under the data folder)
    and stops it on exit; with PREFECT_API_URL it serves against that server.

    Example:

    \b
        presswatch --sources my-sources.toml serve --ui --port 4200
        PREFECT_API_URL=http://127.0.0.1:4200/api presswatch serve --limit 4
    """
    from flows.serve import ServeError, serve_forever

    explicit = [
        name for name in ("ui", "port") if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
    ]
    if os.environ.get("PREFECT_API_URL") and explicit:
        raise UsageFailure(
            "--ui and --port only apply to the local Prefect server that serve starts; "
            "PREFECT_API_URL is set, so none is started (unset it, or drop the option)"
        )
    try:
        serve_forever(ctx.obj, limit=limit, ui=ui, port=port, echo=lambda line: click.echo(line, err=True))
    except ServeError as exc:
        raise Failure(str(exc)) from None


@cli.command()
@click.option("--last", type=click.IntRange(1), default=10, show_default=True, help="How many runs, newest first.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
@friendly
def runs(settings, last, fmt):
    """List recent ingest runs from the warehouse: status, sources, counts and errors.

    A run shows up once its batches are loaded; batches a run left staged appear when a later run
    loads them. Status is ok, partial (some sources failed) or failed. The table shortens run ids
    to their last 12 characters; csv and json give them whole (Prefect's flow run ids).

    Example:

    \b
        presswatch runs --last 5
        presswatch runs --format json
    """
    from flows.cli.output import print_rows
    from warehouse.query import recent_runs

    columns, rows = recent_runs(settings.db, last)
    if fmt == "table":
        keep = [columns.index(c) for c in TABLE_COLUMNS]
        # Prefect's run ids share their first half; the random tail tells them apart.
        rows = [("…" + str(row[0])[-12:], *(row[i] for i in keep[1:])) for row in rows]
        columns = TABLE_COLUMNS
    print_rows(
        columns,
        rows,
        fmt,
        title=f"last {len(rows)} run(s), times in UTC" if fmt == "table" else None,
        empty="no runs loaded yet: run `presswatch crawl`",
    )


@cli.command()
@click.option("--pool", required=True, help="The Prefect work pool (a process pool is created if missing).")
@click.pass_obj
@friendly
def deploy(settings, pool):
    """Register one deployment per source (its cron from the registry) on a Prefect work pool.

    Needs PREFECT_API_URL (the shared Prefect server). Then run `prefect worker start --pool NAME`
    on each crawl machine, with PRESSWATCH_DB (the shared warehouse), PRESSWATCH_DATA (that
    machine's own folder) and PRESSWATCH_SOURCES in its environment. A source is never crawled by
    two workers at once.

    Example:

    \b
        PREFECT_API_URL=http://prefect.internal:4200/api presswatch deploy --pool crawlers
        prefect worker start --pool crawlers        # on every crawl machine
    """
    from flows import prefect_env
    from flows.pool import PoolError, register
    from flows.prefect_server import healthy

    api = os.environ.get("PREFECT_API_URL")
    if not api:
        raise UsageFailure(
            "deploy registers on a running Prefect server: set PREFECT_API_URL (e.g. http://127.0.0.1:4200/api)"
        )
    if not healthy(api):
        raise Failure(f"no Prefect server answers at PREFECT_API_URL={api}")
    prefect_env.configure(settings.data, settings.log_level)
    try:
        registered = register(settings, pool)
    except PoolError as exc:
        raise Failure(str(exc)) from None
    if registered.created_pool:
        click.echo(f"created process work pool {pool}")
    for name, cron in registered.deployments:
        click.echo(f"  {name}  {cron}  on pool {pool}")
    click.echo(
        f"{len(registered.deployments)} deployment(s) on {pool}: start `prefect worker start --pool {pool}` on each machine"
    )
