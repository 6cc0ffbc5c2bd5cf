"""One ingest run, whoever runs it: crawl each chosen source in its own process, load the batches,
send alerts, publish, report.

The steps are plain functions. A `Runner` decides how they run: in this process with threads
(`flows/plain_run.py`: a manual `presswatch crawl` with no Prefect server around), or as Prefect
tasks of the `ingest` flow (`flows/ingest.py`: served runs, work pools, and crawls while a Prefect
server is there). Both go through `run_ingest`, so there is one code path for what a run does.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from typing import Protocol

from crawlers.registry import load_registry
from flows.crawl_step import (
    CrawlFailed,
    HostUnreachable,
    crawl_source_process,
    extraction_workers,
    stop_crawls,
    stop_idle_fork_servers,
)
from flows.loadable import load_staged, loadable_batch, run_lock
from flows.report import one_line
from flows.run_summary import RunSummary, SourceReport
from flows.settings import Settings
from warehouse.errors import DatabaseLocked, SharedPartUnavailable, WarehouseError
from warehouse.location import parse
from warehouse.staging import pending_batches

# Crawl processes allowed at once, per run: `crawl --parallel` goes up to 64.
MAX_PARALLEL = 64
# What a crawl may fail with and still leave the other sources running: its own failure, the
# warehouse it reads its known articles from, the disk. Anything else is a bug and stops the run.
SOURCE_FAILURES = (CrawlFailed, WarehouseError, OSError)
_SLOTS: dict[str, threading.BoundedSemaphore] = {}
# Set when this process's run is cancelled or terminated: no retry may start a new crawl then.
STOPPING = threading.Event()


class AllSourcesFailed(Exception):
    """Every chosen source failed and nothing was loaded: the run itself fails."""


class Future(Protocol):
    def result(self): ...


class Runner(Protocol):
    """How the steps of `run_ingest` run: each returns what the plain step function returns."""

    @property
    def log(self) -> logging.Logger | logging.LoggerAdapter: ...

    def submit_crawl(self, source: str, settings: Settings, run_id: str, workers: int) -> Future: ...

    def load(self, settings: Settings, run_id: str) -> tuple[list, str | None]: ...

    def alerts(self, settings: Settings, run_id: str) -> list[dict]: ...

    def publish(self, settings: Settings) -> None: ...

    def report(self, summary: RunSummary) -> None: ...


def should_retry(exc: BaseException) -> bool:
    """Retry a failed crawl, unless the run is stopping or the source's host is unreachable (it does
    not resolve or refuses connections: a retry seconds later fails the same way); a warehouse or a
    disk that failed the crawl step is not retried either, and a bug (any other exception) fails
    every attempt."""
    return not STOPPING.is_set() and isinstance(exc, CrawlFailed) and not isinstance(exc, HostUnreachable)


def crawl_source(source_name: str, settings: Settings, run_id: str, workers: int | None = None) -> str:
    """One source's crawl in its own process (`workers` extraction processes); raises when it fails."""
    if STOPPING.is_set():
        raise CrawlFailed("the run was stopped before this crawl started")
    source = load_registry(settings.registry).get(source_name)
    slot = _SLOTS.get(run_id)
    if slot is None:
        return crawl_source_process(source, settings, run_id, workers=workers).batch_id
    with slot:
        return crawl_source_process(source, settings, run_id, workers=workers).batch_id


def load_step(settings: Settings, run_id: str, log: logging.Logger | logging.LoggerAdapter) -> tuple[list, str | None]:
    """Merge the pending batches this run may take; when the warehouse stays locked or a shared part
    (catalog, storage, archive) is down, leave the rest staged and say why (the second value)."""
    try:
        return load_staged(settings, run_id), None
    except (DatabaseLocked, SharedPartUnavailable) as exc:
        log.warning("load deferred: %s; batches stay staged for the next run", exc)
        return list(getattr(exc, "loaded", [])), str(exc)


def send_alerts(settings: Settings, run_id: str, log: logging.Logger | logging.LoggerAdapter) -> list[dict]:
    """Send the alert rules without a schedule; a failure is recorded (ledger or summary), never fails the run."""
    from flows.notify.deliver import ChannelError, deliver

    try:
        rules = [r for r in load_registry(settings.registry).alerts if not r.is_digest]
        deliveries = deliver(settings.db, settings.data, rules, run_id=run_id, wait=settings.load_wait)
    except (WarehouseError, ChannelError, OSError) as exc:  # the ledger still holds every unsent change
        log.warning("alerts not sent this run (the next run sends them): %s: %s", type(exc).__name__, exc)
        return [{"rule": "*", "channel": "-", "changes": 0, "error": f"{type(exc).__name__}: {exc}"}]
    for failed in (d for d in deliveries if d.error):
        log.warning("alert %s: %s failed, retried next run: %s", failed.rule, failed.channel, failed.error)
    return [asdict(d) for d in deliveries]


def publish_reports(settings: Settings, log: logging.Logger | logging.LoggerAdapter) -> None:
    """Rewrite the change feeds and the change report under the data folder (served runs)."""
    from flows.change_report.publish import publish_all

    try:
        publish_all(settings)
    except (WarehouseError, OSError) as exc:  # a report that cannot be written must not fail the crawl
        log.warning("feeds and change report not rewritten: %s: %s", type(exc).__name__, exc)


def run_ingest(settings: Settings, names: list[str] | None, runner: Runner, run_id: str, publish: bool = False):
    """Crawl, load and report, holding the run's lock so overlapping runs leave its batches alone."""
    with run_lock(settings, run_id):
        return _run(settings, names, runner, run_id, publish)


def _run(settings: Settings, names: list[str] | None, runner: Runner, run_id: str, publish: bool) -> RunSummary:
    log = runner.log
    STOPPING.clear()
    chosen = load_registry(settings.registry).select(names)
    settings.check_archive()  # a shared warehouse with this machine's own archive: refused before crawling
    parse(settings.db)  # a misconfigured warehouse is refused before crawling
    reports = {s.name: SourceReport(s.name) for s in chosen}
    at_once = max(1, min(settings.parallel, len(chosen), MAX_PARALLEL))
    _SLOTS[run_id] = threading.BoundedSemaphore(at_once)
    workers = extraction_workers(at_once)  # the cores shared among the crawls that run at once
    futures = {s.name: runner.submit_crawl(s.name, settings, run_id, workers) for s in chosen}
    try:
        for name, future in futures.items():
            try:
                future.result()
            except SOURCE_FAILURES as exc:
                log.warning("source %s failed: %s", name, exc)
                reports[name].status, reports[name].error = "failed", _reason(exc)
    except BaseException:
        STOPPING.set()  # cancelled or terminated (SIGTERM to a served run): no retries, no orphan crawls
        stop_crawls()
        raise
    finally:
        _SLOTS.pop(run_id, None)
    stop_idle_fork_servers()
    outcomes, load_error = runner.load(settings, run_id)
    summary = _summarize(settings, run_id, reports, outcomes, load_error, log)
    summary.alerts = runner.alerts(settings, run_id)
    if publish or summary.alerts:  # served runs; and any run whose messages link to the report
        runner.publish(settings)
    runner.report(summary)
    log.info("%s", one_line(summary.as_dict()))
    crawl_failed = [s for s in summary.sources if s.status == "failed"]
    if chosen and len(crawl_failed) == len(chosen) and not summary.loaded_batches:
        raise AllSourcesFailed(f"nothing could be done: every source failed ({', '.join(summary.failed_sources)})")
    return summary


def _summarize(settings, run_id, reports, outcomes, load_error, log) -> RunSummary:
    results = [r for r in outcomes if not r.error]
    for failed in (r for r in outcomes if r.error):
        log.warning("batch %s of %s stays staged: %s", failed.batch_id, failed.source, failed.error)
        entry = reports.setdefault(failed.source, SourceReport(failed.source))
        entry.status, entry.error = "failed", f"its batch cannot be loaded: {failed.error}"
    for result in results:
        entry = reports.setdefault(result.source, SourceReport(result.source))
        for key, value in result.counts.items():
            entry.counts[key] = entry.counts.get(key, 0) + value
        entry.changes.extend(asdict(c) for c in result.changes if c.kind != "new")
        if result.extraction_failure:  # the site's new layout broke extraction: its versions stay current
            entry.status, entry.error = "failed", result.extraction_failure
    staged = [b for b in pending_batches(settings.staging) if loadable_batch(settings, b, run_id)]
    for batch in staged:  # crawled but not loaded: say so, never a row of zeros that looks like success
        name = batch.manifest.get("source") or "unknown"
        entry = reports.setdefault(name, SourceReport(name))
        if entry.status == "ok":
            entry.status = "staged"
            entry.error = f"crawled; its batch stays staged for the next run ({load_error or 'not loaded'})"
    return RunSummary(
        run_id, list(reports.values()), loaded_batches=len(results), left_staged=len(staged), load_error=load_error
    )


def _reason(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, CrawlFailed) else f"{type(exc).__name__}: {exc}"
