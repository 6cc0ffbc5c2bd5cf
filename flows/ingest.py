"""The `ingest` flow: crawl each chosen source in its own process, load the batches, report.

`presswatch crawl` and the served schedules both run this flow, so there is one code path.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from dataclasses import asdict, dataclass, field

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.context import get_run_context
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from crawlers.registry import load_registry
from flows.crawl_step import CrawlFailed, crawl_source_process
from flows.report import markdown_report
from flows.settings import Settings, resolve
from warehouse.errors import DatabaseLocked
from warehouse.loader import load_pending
from warehouse.staging import pending_batches


# Crawl processes allowed at once, per run: the task runner has more threads than that.
_SLOTS: dict[str, threading.BoundedSemaphore] = {}


@dataclass
class SourceReport:
    source: str
    status: str = "ok"
    error: str | None = None
    counts: dict = field(default_factory=dict)
    changes: list = field(default_factory=list)


@dataclass
class RunSummary:
    run_id: str
    sources: list[SourceReport]
    loaded_batches: int = 0
    left_staged: int = 0
    load_error: str | None = None

    @property
    def failed_sources(self) -> list[str]:
        return [s.source for s in self.sources if s.status != "ok"]

    def as_dict(self) -> dict:
        return asdict(self)


@task(name="crawl_source", retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=10))
def crawl_source(source_name: str, settings: Settings, run_id: str) -> str:
    """One source's crawl in its own process; raises (and so retries) when the process fails."""
    source = load_registry(settings.registry).get(source_name)
    with _SLOTS.get(run_id) or contextlib.nullcontext():
        outcome = crawl_source_process(source, settings, run_id)
    return outcome.batch_id


@task(name="load")
def load(settings: Settings) -> tuple[list, str | None]:
    """Merge every pending batch; when an analyst holds the file too long, leave them staged."""
    try:
        return load_pending(settings.db, settings.staging, settings.loaded, wait=settings.load_wait), None
    except DatabaseLocked as exc:
        get_run_logger().warning("load deferred: %s; batches stay staged for the next run", exc)
        return [], str(exc)


@task(name="report")
def report(summary: RunSummary) -> RunSummary:
    """Publish the run's counts and changes as a Prefect artifact."""
    create_markdown_artifact(key="ingest-report", markdown=markdown_report(summary.as_dict()), description="presswatch ingest run")
    return summary


@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=8))
def ingest(sources: list[str] | None = None, db: str | None = None, registry: str | None = None,
           data: str | None = None, parallel: int | None = None, crawl_retries: int | None = None,
           retry_delay: float | None = None, load_wait: float | None = None) -> dict:
    """Crawl the named sources (default: all), load what they staged, and report."""
    settings = resolve(db=db, sources=registry, data=data, parallel=parallel, crawl_retries=crawl_retries,
                       retry_delay=retry_delay, load_wait=load_wait)
    return run_ingest(settings, sources).as_dict()


def run_ingest(settings: Settings, names: list[str] | None) -> RunSummary:
    logger = get_run_logger()
    run_id = _run_id()
    chosen = load_registry(settings.registry).select(names)
    crawl = crawl_source.with_options(
        retries=settings.crawl_retries,
        retry_delay_seconds=exponential_backoff(backoff_factor=settings.retry_delay) if settings.retry_delay else 0,
    )
    reports = {s.name: SourceReport(s.name) for s in chosen}
    _SLOTS[run_id] = threading.BoundedSemaphore(max(settings.parallel, 1))
    futures = {s.name: crawl.submit(s.name, settings, run_id) for s in chosen}
    for name, future in futures.items():
        try:
            future.result()
        except CrawlFailed as exc:
            logger.warning("source %s failed: %s", name, exc)
            reports[name].status, reports[name].error = "failed", str(exc)
        except Exception as exc:  # an unexpected bug in one source must not stop the others
            logger.error("source %s failed unexpectedly: %s: %s", name, type(exc).__name__, exc)
            reports[name].status, reports[name].error = "failed", f"{type(exc).__name__}: {exc}"
    _SLOTS.pop(run_id, None)
    results, load_error = load(settings)
    for result in results:
        entry = reports.setdefault(result.source, SourceReport(result.source))
        for key, value in result.counts.items():
            entry.counts[key] = entry.counts.get(key, 0) + value
        entry.changes.extend(asdict(c) for c in result.changes if c.kind != "new")
    summary = RunSummary(run_id, list(reports.values()), loaded_batches=len(results),
                         left_staged=len(pending_batches(settings.staging)), load_error=load_error)
    report(summary)
    if chosen and len(summary.failed_sources) == len(chosen) and not results:
        raise RuntimeError(f"nothing could be done: every source failed ({', '.join(summary.failed_sources)})")
    return summary


def _run_id() -> str:
    try:
        return str(get_run_context().flow_run.id)
    except Exception:
        return uuid.uuid4().hex
