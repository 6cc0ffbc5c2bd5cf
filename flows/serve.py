"""`presswatch serve`: one Prefect deployment of the `ingest` flow per source, on the source's cron.

With PREFECT_API_URL set, the deployments are served against that server. Without it, a local
Prefect server is started first (see flows/prefect_server.py) and stopped on exit, because the
temporary in-process server Prefect would otherwise use never fires schedules.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from croniter import croniter

from crawlers.alert_rules import AlertRule
from crawlers.registry import Source, load_registry
from flows import prefect_env
from flows.prefect_server import PrefectServer, PrefectServerError, healthy
from flows.settings import Settings

# Served runs log their start, their one-line summary and their end; everything else stays at WARNING.
FLOW_RUN_LOG_LEVEL = "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL"
# A run's process (Prefect's engine, then the flow) takes 2-3 s to start. The runner starts the
# process of every run due within its prefetch window, and Prefect's server holds each until it is
# due; a window of the poll interval plus this sees every run at least this many seconds ahead, so
# a scheduled run starts when it is due, not a process start later.
START_AHEAD_S = 5


class ServeError(Exception):
    """Serving could not start: no server, or a server that does not answer."""


class _Stop(Exception):
    """SIGTERM arrived before the runner took over its handling."""


def deployment_parameters(settings: Settings, source: Source | None) -> dict:
    """The ingest flow's parameters for one source: absolute paths, so runs work from any folder."""
    return {
        "sources": [source.name] if source else None,
        "db": _db(settings),
        "registry": str(settings.registry.resolve()),
        "data": str(settings.data.resolve()),
        "publish": True,
    }


def _db(settings: Settings) -> str:
    return str(settings.db.resolve()) if isinstance(settings.db, Path) else settings.db


def digest_parameters(settings: Settings, rule: AlertRule) -> dict:
    """The alert-digest flow's parameters for one rule with a schedule."""
    return {
        "rule": rule.name,
        "db": _db(settings),
        "registry": str(settings.registry.resolve()),
        "data": str(settings.data.resolve()),
    }


def build_deployments(settings: Settings) -> list:
    """A RunnerDeployment of `ingest` per registry source, on its `schedule` cron (UTC), and one of
    `alert-digest` per alert rule with a schedule. Ingest runs rewrite the feeds and change report.

    A source's next run is skipped, not queued, while its previous one still runs.
    Needs Prefect importable with the environment already set (see `serve_forever`).
    """
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    from flows.digest import alert_digest
    from flows.ingest import ingest
    from flows.upkeep import maintain_warehouse, schedule

    one_at_a_time = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    upkeep = maintain_warehouse.to_deployment(
        name="warehouse",
        schedule=Cron(schedule(), timezone="UTC"),
        parameters={"db": _db(settings), "data": str(settings.data.resolve())},
        concurrency_limit=one_at_a_time,
        description="Merge the warehouse's small files, expire old snapshots, delete unreferenced files.",
        tags=["presswatch"],
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    registry = load_registry(settings.registry)
    digests = [
        alert_digest.to_deployment(
            name=f"digest-{rule.name}",
            schedule=Cron(rule.schedule or "", timezone="UTC"),
            parameters=digest_parameters(settings, rule),
            concurrency_limit=one_at_a_time,
            description=f"Send the digest of alert rule {rule.name}.",
            tags=["presswatch", "alerts"],
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        for rule in registry.alerts
        if rule.is_digest
    ]
    return (
        [upkeep]
        + digests
        + [
            ingest.to_deployment(
                name=source.name,
                schedule=Cron(source.schedule, timezone="UTC"),
                parameters=deployment_parameters(settings, source),
                concurrency_limit=one_at_a_time,
                description=f"Crawl and load {source.label} ({source.name}) on its schedule.",
                tags=["presswatch"],
                # A module path, not a file path: runs find the flow whatever the working folder.
                entrypoint_type=EntrypointType.MODULE_PATH,
            )
            for source in registry.sources
        ]
    )


def next_runs(settings: Settings, now: datetime | None = None) -> list[tuple[str, str, datetime]]:
    """(source, cron, next firing in UTC) for every source of the registry."""
    now = now or datetime.now(UTC)
    return [
        (s.name, s.schedule, croniter(s.schedule, now).get_next(datetime))
        for s in load_registry(settings.registry).sources
    ]


def serve_forever(
    settings: Settings, limit: int = 2, ui: bool = False, port: int = 0, echo: Callable[[str], None] = print
) -> None:
    """Serve every source's deployment until SIGINT or SIGTERM, with a local Prefect server unless PREFECT_API_URL is set.

    Runs at most `limit` flow runs at once. The local server (UI if `ui`, on `port` or a free one)
    stops after the runner. Raises ServeError when no server can be used.
    """
    load_registry(settings.registry)  # a broken registry fails before anything starts
    prefect_env.configure(settings.data, settings.log_level)
    os.environ.setdefault(FLOW_RUN_LOG_LEVEL, "INFO")
    server = None
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        if os.environ.get("PREFECT_API_URL"):
            if not healthy(os.environ["PREFECT_API_URL"]):
                raise ServeError(
                    f"no Prefect server answers at PREFECT_API_URL={os.environ['PREFECT_API_URL']}: "
                    "start it (prefect server start) or unset PREFECT_API_URL to let presswatch start one"
                )
        else:
            server = PrefectServer(Path(os.environ["PREFECT_HOME"]).expanduser(), port=port, ui=ui)
            echo(f"starting a local Prefect server on {server.url} (state in {server.home}) …")
            try:
                server.start()
            except PrefectServerError as exc:
                raise ServeError(str(exc)) from None
            os.environ["PREFECT_API_URL"] = server.api_url
            if ui:
                echo(f"Prefect UI: {server.url}")
        _run(settings, limit, echo)
    except _Stop:
        pass
    finally:
        # A second SIGTERM must not interrupt the server's own shutdown.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if server is not None:
            echo("stopping the local Prefect server …")
            server.stop()
        signal.signal(signal.SIGTERM, previous)
        echo("presswatch serve stopped")


def _run(settings: Settings, limit: int, echo: Callable[[str], None]) -> None:
    from prefect.exceptions import TerminationSignal
    from prefect.runner import Runner
    from prefect.settings import PREFECT_API_URL, PREFECT_RUNNER_POLL_FREQUENCY, temporary_settings

    class QuietRunner(Runner):
        def handle_sigterm(self, *args, **kwargs):
            # Prefect exits from inside its event loop on a second SIGTERM (`timeout`, a
            # process-group kill), with tracebacks; the first one already stops everything.
            if not self.stopping:
                super().handle_sigterm(*args, **kwargs)

    # The environment reaches the runs' processes; the temporary setting covers a Prefect imported earlier.
    with temporary_settings(updates={PREFECT_API_URL: os.environ["PREFECT_API_URL"]}):
        runner = QuietRunner(
            name=f"presswatch-{socket.gethostname()}",
            limit=limit,
            pause_on_shutdown=True,
            prefetch_seconds=PREFECT_RUNNER_POLL_FREQUENCY.value() + START_AHEAD_S,
        )
        deployments = build_deployments(settings)
        for deployment in deployments:
            runner.add_deployment(deployment)
        sources = sum(1 for d in deployments if d.flow_name == "ingest")
        echo(
            f"serving {sources} source(s) and the warehouse's upkeep against "
            f"{os.environ['PREFECT_API_URL']}, at most {limit} run(s) at once; data in {settings.data.resolve()}"
        )
        for name, cron, upcoming in next_runs(settings):
            echo(f"  ingest/{name}  {cron}  next {upcoming:%Y-%m-%d %H:%M} UTC")
        from flows.upkeep import schedule

        upkeep_next = croniter(schedule(), datetime.now(UTC)).get_next(datetime)
        echo(f"  maintain/warehouse  {schedule()}  next {upkeep_next:%Y-%m-%d %H:%M} UTC")
        try:
            asyncio.run(runner.start())
        except (KeyboardInterrupt, TerminationSignal):
            pass


def _raise_stop(signum, frame):
    raise _Stop()
