"""An ingest run in this process, without Prefect: what a manual `presswatch crawl` does when no
Prefect server is there to record it (the warehouse records every run in `crawl_runs` either way).

Crawls run on threads (each waits on its own crawl process), retried with tenacity the way the
`ingest` flow's task retries them; Prefect is never imported, so the command starts at once.
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from flows.ingest_run import (
    MAX_PARALLEL,
    STOPPING,
    crawl_source,
    load_step,
    publish_reports,
    run_ingest,
    send_alerts,
    should_retry,
)
from flows.run_summary import RunSummary
from flows.settings import Settings

log = logging.getLogger("presswatch.run")


def _sleep_unless_stopping(seconds: float) -> None:
    """Wait between retries; a stopping run wakes the wait up, and the retry then gives up."""
    STOPPING.wait(seconds)


class PlainRunner:
    """The steps of `run_ingest` as plain calls; crawls on a thread pool with tenacity's retries."""

    def __init__(self, pool: ThreadPoolExecutor):
        self.pool = pool
        self.log = log

    def submit_crawl(self, source: str, settings: Settings, run_id: str, workers: int) -> Future:
        retrying = Retrying(
            stop=stop_after_attempt(settings.crawl_retries + 1),
            wait=wait_exponential(multiplier=settings.retry_delay, max=10 * settings.retry_delay),
            retry=retry_if_exception(should_retry),
            sleep=_sleep_unless_stopping,
            reraise=True,
        )
        return self.pool.submit(retrying, crawl_source, source, settings, run_id, workers)

    def load(self, settings: Settings, run_id: str) -> tuple[list, str | None]:
        return load_step(settings, run_id, self.log)

    def alerts(self, settings: Settings, run_id: str) -> list[dict]:
        return send_alerts(settings, run_id, self.log)

    def publish(self, settings: Settings) -> None:
        publish_reports(settings, self.log)

    def report(self, summary: RunSummary) -> None:
        """The summary is the command's own output, and `crawl_runs` keeps it: nothing more to record."""


def run_plain(settings: Settings, names: list[str] | None, publish: bool = False) -> RunSummary:
    """Run one ingest in this process; the run id is new, and kept in `crawl_runs` with its batches."""
    with ThreadPoolExecutor(max_workers=MAX_PARALLEL, thread_name_prefix="crawl") as pool:
        return run_ingest(settings, names, PlainRunner(pool), uuid.uuid4().hex, publish)
