"""The `ingest` flow: the steps of one ingest run (flows/ingest_run.py) as Prefect tasks.

Served runs, work-pool runs and crawls while a Prefect server is there run this flow, so Prefect
records each run, retries crawls and keeps a report artifact; without a server, `presswatch
crawl` runs the same steps in its own process (flows/plain_run.py).
"""

from __future__ import annotations

import logging
import uuid

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.context import get_run_context
from prefect.exceptions import MissingContextError
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff

from flows.crawl_step import CrawlFailed, HostUnreachable
from flows.ingest_run import (
    MAX_PARALLEL,
    AllSourcesFailed,
    crawl_source,
    load_step,
    publish_reports,
    run_ingest,
    send_alerts,
    should_retry,
)
from flows.report import markdown_report
from flows.run_summary import RunSummary
from flows.settings import Settings, resolve


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


def _unless_stopping(task, task_run, state) -> bool:
    """Retry a failed crawl (see `should_retry`)."""
    failure = state.result(raise_on_failure=False)
    return isinstance(failure, BaseException) and should_retry(failure)


crawl_task = task(
    name="crawl_source",
    retries=2,
    retry_delay_seconds=exponential_backoff(backoff_factor=10),
    retry_condition_fn=_unless_stopping,
)(crawl_source)


@task(name="load")
def load_task(settings: Settings, run_id: str) -> tuple[list, str | None]:
    """Merge the pending batches, not those of other runs still going; when the warehouse stays locked, leave them staged."""
    return load_step(settings, run_id, get_run_logger())


@task(name="alerts")
def alerts_task(settings: Settings, run_id: str) -> list[dict]:
    """Send the alert rules without a schedule; a failure is recorded, never fails the run."""
    return send_alerts(settings, run_id, get_run_logger())


@task(name="publish")
def publish_task(settings: Settings) -> None:
    """Rewrite the change feeds and the change report under the data folder (served runs)."""
    publish_reports(settings, get_run_logger())


@task(name="report")
def report_task(summary: RunSummary) -> RunSummary:
    """Publish the run's counts and changes as a Prefect artifact."""
    create_markdown_artifact(
        key="ingest-report", markdown=markdown_report(summary.as_dict()), description="presswatch ingest run"
    )
    return summary


class PrefectRunner:
    """The steps of `run_ingest` as tasks of the running `ingest` flow."""

    def __init__(self, settings: Settings):
        self.log = get_run_logger()
        self.crawl = crawl_task.with_options(
            retries=settings.crawl_retries,
            retry_delay_seconds=exponential_backoff(backoff_factor=settings.retry_delay) if settings.retry_delay else 0,
        )

    def submit_crawl(self, source: str, settings: Settings, run_id: str, workers: int) -> PrefectFuture:
        return self.crawl.submit(source, settings, run_id, workers)

    def load(self, settings: Settings, run_id: str) -> tuple[list, str | None]:
        return load_task(settings, run_id)

    def alerts(self, settings: Settings, run_id: str) -> list[dict]:
        return alerts_task(settings, run_id)

    def publish(self, settings: Settings) -> None:
        publish_task(settings)

    def report(self, summary: RunSummary) -> None:
        report_task(summary)


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
    return run_ingest(settings, sources, PrefectRunner(settings), _run_id(), publish=publish).as_dict()


def _run_id() -> str:
    try:
        context = get_run_context()
    except MissingContextError:  # called outside a run
        return uuid.uuid4().hex
    flow_run = getattr(context, "flow_run", None)  # a task run's context has none
    return str(flow_run.id) if flow_run else uuid.uuid4().hex
