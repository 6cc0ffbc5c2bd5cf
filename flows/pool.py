"""Crawls on a Prefect work pool: one deployment per source, run by `prefect worker start --pool NAME`
on any number of machines.

A pool deployment carries only the source's name: each worker's machine resolves the warehouse
(PRESSWATCH_DB, shared), its own data folder (PRESSWATCH_DATA) and the registry (PRESSWATCH_SOURCES)
from its environment. The server enforces each deployment's concurrency limit of 1 across every
worker, so one source is never crawled by two machines at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawlers.registry import load_registry
from flows.settings import Settings


class PoolError(Exception):
    """The work pool or its deployments cannot be registered."""


@dataclass
class Registered:
    pool: str
    created_pool: bool
    deployments: list[tuple[str, str]]  # (deployment, cron)


def pool_deployments(settings: Settings, pool: str) -> list:
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.schedules import Cron
    from prefect.types.entrypoint import EntrypointType

    from flows.ingest import ingest

    one_at_a_time = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)
    return [
        ingest.to_deployment(
            name=source.name,
            schedule=Cron(source.schedule, timezone="UTC"),
            parameters={"sources": [source.name]},
            concurrency_limit=one_at_a_time,
            description=f"Crawl and load {source.label} ({source.name}) on a worker of pool {pool}.",
            tags=["presswatch", f"pool:{pool}"],
            work_pool_name=pool,
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        for source in load_registry(settings.registry).sources
    ]


def register(settings: Settings, pool: str) -> Registered:
    """Create the process work pool if needed, then register (or update) every source's deployment."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

    created = False
    try:
        with get_client(sync_client=True) as client:
            try:
                client.read_work_pool(pool)
            except ObjectNotFound:
                client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
                created = True
        deployments = pool_deployments(settings, pool)
        for deployment in deployments:
            deployment.apply(work_pool_name=pool)
    except (PrefectHTTPStatusError, OSError) as exc:
        raise PoolError(f"cannot register on work pool {pool!r}: {exc}") from None
    crons = {s.name: s.schedule for s in load_registry(settings.registry).sources}
    return Registered(pool, created, [(f"ingest/{d.name}", crons[d.name]) for d in deployments])
