"""The `ingest` flow: crawl each chosen source in its own process, load the batches, report.

`presswatch crawl` and the served schedules both run this flow, so there is one code path.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.context import get_run_context
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from crawlers.registry import load_registry
from flows.crawl_step import CrawlFailed, HostUnreachable, crawl_source_process, extraction_workers, stop_crawls
from flows.report import markdown_report, one_line
from flows.settings import Settings, resolve
from warehouse.archive_store import ArchiveUnavailable
from warehouse.archive_store import publish as publish_archive
from warehouse.db import connect
from warehouse.errors import DatabaseLocked
from warehouse.loader import load_pending
from warehouse.staging import pending_batches

# Crawl processes allowed at once, per run: the task runner has more threads than that.
# `crawl --parallel` goes up to 64; the runner's threads start only as tasks are submitted.
MAX_PARALLEL = 64
_SLOTS: dict[str, threading.BoundedSemaphore] = {}
# Set when this process's run is cancelled or terminated: no retry may start a new crawl then.
_STOPPING = threading.Event()


class AllSourcesFailed(Exception):
    """Every chosen source failed and nothing was loaded: the run itself fails."""


class _QuietExpected(logging.Filter):
    """On the console, expected failures are the flow's one warning per source, not Prefect tracebacks.

    The API handler (the UI's logs) runs before this one and still gets the full record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        expected = (CrawlFailed.__name__, HostUnreachable.__name__)
        if record.name == "prefect.task_runs" and (
            isinstance(exc, CrawlFailed) or any(name in record.getMessage() for name in expected)
        ):
            return False
        if isinstance(exc, AllSourcesFailed):
            record.exc_info, record.exc_text = None, None
        return True


def _quiet_console() -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _QuietExpected) for f in handler.filters):
            handler.addFilter(_QuietExpected())


_quiet_console()


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
    alerts: list = field(default_factory=list)  # one dict per message sent or failed (flows/notify/deliver.py)

    @property
    def failed_sources(self) -> list[str]:
        return [s.source for s in self.sources if s.status != "ok"]

    def as_dict(self) -> dict:
        return asdict(self)


def _unless_stopping(task, task_run, state) -> bool:
    """Retry a failed crawl, unless the run is stopping or the source's host is unreachable."""
    if _STOPPING.is_set():
        return False
    try:
        state.result()
    except HostUnreachable:
        return False  # does not resolve / refuses connections: a retry in seconds fails the same way
    except Exception:
        return True
    return True


@task(
    name="crawl_source",
    retries=2,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_condition_fn=_unless_stopping,
)
def crawl_source(source_name: str, settings: Settings, run_id: str, workers: int | None = None) -> str:
    """One source's crawl in its own process (`workers` extraction processes); raises (and so retries) when it fails."""
    if _STOPPING.is_set():
        raise CrawlFailed("the run was stopped before this crawl started")
    source = load_registry(settings.registry).get(source_name)
    with _SLOTS.get(run_id) or contextlib.nullcontext():
        outcome = crawl_source_process(source, settings, run_id, workers=workers)
    return outcome.batch_id


@task(name="load")
def load(settings: Settings, run_id: str | None = None) -> tuple[list, str | None]:
    """Merge the pending batches, not those of other runs still going; when the file stays locked, leave them staged."""
    try:
        with _load_lock(settings):
            return _load_pending(settings, run_id), None
    except DatabaseLocked as exc:
        get_run_logger().warning("load deferred: %s; batches stay staged for the next run", exc)
        return [], str(exc)


def _load_pending(settings: Settings, run_id: str | None) -> list:
    """Load pending batches, leaving out those whose run is still in progress elsewhere.

    Served runs overlap: without this the first to load takes the others' batches, and each
    run's report would describe someone else's crawl.
    """
    published: dict[str, bool] = {}  # load_pending asks twice (before and under the lock): publish once

    def keep(batch) -> bool:
        if not _loadable_batch(settings, batch, run_id):
            return False
        if batch.batch_id not in published:
            published[batch.batch_id] = _published(settings, batch)
        return published[batch.batch_id]

    return load_pending(
        settings.db,
        settings.staging,
        settings.loaded,
        wait=settings.load_wait,
        keep=keep,
        archive=settings.archive_root,
    )


def _published(settings: Settings, batch) -> bool:
    """With a shared archive (PRESSWATCH_ARCHIVE), the batch's WARC files are copied there before it loads."""
    shared = settings.archive_root
    if shared == settings.archive:
        return True
    try:
        publish_archive(settings.archive, str(shared), batch.batch_id)
    except ArchiveUnavailable as exc:
        get_run_logger().warning("batch %s stays staged: %s", batch.batch_id, exc)
        return False
    return True


def _loadable_batch(settings: Settings, batch, run_id: str | None) -> bool:
    """A batch of this run, of no run, or of a run that is over."""
    owner = batch.manifest.get("run_id")
    return owner in (None, run_id) or not _run_in_progress(settings, owner)


@contextlib.contextmanager
def _run_lock(settings: Settings, run_id: str):
    """Hold work/run-ID.lock while the run lives; the kernel lets go when its process dies."""
    settings.work.mkdir(parents=True, exist_ok=True)
    path = settings.work / f"run-{run_id}.lock"
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_in_progress(settings: Settings, run_id: str) -> bool:
    try:
        handle = open(settings.work / f"run-{run_id}.lock")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


@contextlib.contextmanager
def _load_lock(settings: Settings):
    """One load at a time per data folder, across processes (served runs overlap).

    Two loaders listing the same staged batch would both try to move it (the second fails), so
    the pending list must be read by one loader at a time; the DuckDB file lock alone is too late.
    """
    settings.data.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + settings.load_wait
    with open(settings.data / "load.lock", "w") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseLocked(
                        f"another run's load still holds {settings.data / 'load.lock'}; "
                        f"waited {settings.load_wait:.0f}s"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _migrate(settings: Settings) -> None:
    """Apply pending warehouse migrations before the crawl step reads the warehouse.

    That read is read-only, and a read-only open refuses a file an upgrade has not migrated yet.
    """
    try:
        with connect(settings.db, wait=0):
            pass
    except DatabaseLocked:
        pass  # someone holds it: a reader does not stop the read-only crawl step, and a load migrates


@task(name="alerts")
def send_alerts(settings: Settings, run_id: str) -> list[dict]:
    """Send the alert rules without a schedule; a failure is recorded (ledger or summary), never fails the run."""
    from flows.notify.deliver import deliver

    try:
        rules = [r for r in load_registry(settings.registry).alerts if not r.is_digest]
        deliveries = deliver(settings.db, settings.data, rules, run_id=run_id, wait=settings.load_wait)
    except Exception as exc:  # the warehouse locked, a bug: the ledger still holds every unsent change
        get_run_logger().warning("alerts not sent this run (the next run sends them): %s: %s", type(exc).__name__, exc)
        return [{"rule": "*", "channel": "-", "changes": 0, "error": f"{type(exc).__name__}: {exc}"}]
    for failed in (d for d in deliveries if d.error):
        get_run_logger().warning("alert %s: %s failed, retried next run: %s", failed.rule, failed.channel, failed.error)
    return [asdict(d) for d in deliveries]


@task(name="publish")
def publish(settings: Settings) -> None:
    """Rewrite the change feeds and the change report under the data folder (served runs)."""
    from flows.change_report.publish import publish_all

    try:
        publish_all(settings)
    except Exception as exc:  # a report that cannot be written must not fail the crawl
        get_run_logger().warning("feeds and change report not rewritten: %s: %s", type(exc).__name__, exc)


@task(name="report")
def report(summary: RunSummary) -> RunSummary:
    """Publish the run's counts and changes as a Prefect artifact."""
    create_markdown_artifact(
        key="ingest-report", markdown=markdown_report(summary.as_dict()), description="presswatch ingest run"
    )
    return summary


@flow(name="ingest", task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARALLEL))  # type: ignore[arg-type]  # prefect's generics
def ingest(
    sources: list[str] | None = None,
    db: str | None = None,
    registry: str | None = None,
    data: str | None = None,
    parallel: int | None = None,
    crawl_retries: int | None = None,
    retry_delay: float | None = None,
    load_wait: float | None = None,
    publish: bool = False,
) -> dict:
    """Crawl the named sources (default: all), load what they staged, send alerts, and report.

    With `publish` (served runs), or when alerts went out (their links point at the report),
    also rewrite the change feeds and report under the data folder.
    """
    settings = resolve(
        db=db,
        sources=registry,
        data=data,
        parallel=parallel,
        crawl_retries=crawl_retries,
        retry_delay=retry_delay,
        load_wait=load_wait,
    )
    return run_ingest(settings, sources, publish=publish).as_dict()


def run_ingest(settings: Settings, names: list[str] | None, publish: bool = False) -> RunSummary:
    """Crawl, load and report, holding the run's lock so overlapping runs leave its batches alone."""
    run_id = _run_id()
    with _run_lock(settings, run_id):
        return _run_ingest(settings, names, run_id, publish)


def _run_ingest(settings: Settings, names: list[str] | None, run_id: str, publish_site: bool = False) -> RunSummary:
    logger = get_run_logger()
    _STOPPING.clear()
    chosen = load_registry(settings.registry).select(names)
    _migrate(settings)
    crawl = crawl_source.with_options(
        retries=settings.crawl_retries,
        retry_delay_seconds=exponential_backoff(backoff_factor=settings.retry_delay) if settings.retry_delay else 0,
    )
    reports = {s.name: SourceReport(s.name) for s in chosen}
    at_once = max(1, min(settings.parallel, len(chosen), MAX_PARALLEL))
    _SLOTS[run_id] = threading.BoundedSemaphore(at_once)
    workers = extraction_workers(at_once)  # the cores shared among the crawls that run at once
    futures = {s.name: crawl.submit(s.name, settings, run_id, workers) for s in chosen}
    try:
        for name, future in futures.items():
            try:
                future.result()
            except CrawlFailed as exc:
                logger.warning("source %s failed: %s", name, exc)
                reports[name].status, reports[name].error = "failed", str(exc)
            except Exception as exc:  # an unexpected bug in one source must not stop the others
                logger.error("source %s failed unexpectedly: %s: %s", name, type(exc).__name__, exc)
                reports[name].status, reports[name].error = "failed", f"{type(exc).__name__}: {exc}"
    except BaseException:
        _STOPPING.set()  # cancelled or terminated (SIGTERM to a served run): no retries, no orphan crawls
        stop_crawls()
        raise
    finally:
        _SLOTS.pop(run_id, None)
    outcomes, load_error = load(settings, run_id)
    results = [r for r in outcomes if not r.error]
    for failed in (r for r in outcomes if r.error):
        logger.warning("batch %s of %s stays staged: %s", failed.batch_id, failed.source, failed.error)
        entry = reports.setdefault(failed.source, SourceReport(failed.source))
        entry.status, entry.error = "failed", f"its batch cannot be loaded: {failed.error}"
    for result in results:
        entry = reports.setdefault(result.source, SourceReport(result.source))
        for key, value in result.counts.items():
            entry.counts[key] = entry.counts.get(key, 0) + value
        entry.changes.extend(asdict(c) for c in result.changes if c.kind != "new")
        if result.extraction_failure:  # the site's new layout broke extraction: its versions stay current
            entry.status, entry.error = "failed", result.extraction_failure
    staged = [b for b in pending_batches(settings.staging) if _loadable_batch(settings, b, run_id)]
    for batch in staged:  # crawled but not loaded: say so, never a row of zeros that looks like success
        entry = reports.setdefault(
            batch.manifest.get("source") or "unknown", SourceReport(batch.manifest.get("source") or "unknown")
        )
        if entry.status == "ok":
            entry.status = "staged"
            entry.error = f"crawled; its batch stays staged for the next run ({load_error or 'not loaded'})"
    summary = RunSummary(
        run_id, list(reports.values()), loaded_batches=len(results), left_staged=len(staged), load_error=load_error
    )
    summary.alerts = send_alerts(settings, run_id)
    if publish_site or summary.alerts:  # served runs; and any run whose messages link to the report
        publish(settings)
    report(summary)
    logger.info("%s", one_line(summary.as_dict()))
    crawl_failed = [s for s in summary.sources if s.status == "failed"]
    if chosen and len(crawl_failed) == len(chosen) and not results:
        raise AllSourcesFailed(f"nothing could be done: every source failed ({', '.join(summary.failed_sources)})")
    return summary


def _run_id() -> str:
    try:
        return str(get_run_context().flow_run.id)  # type: ignore[union-attr]  # None outside a flow: caught
    except Exception:
        return uuid.uuid4().hex
