"""Decode, extract and pack each fetched page in a pool of worker processes, off the reactor thread.

The reactor hands a worker the raw bytes and headers; the worker decodes them, runs trafilatura
and builds the page's compressed WARC record (crawlers/page_worker.py), so the crawl process
does little more than fetch. trafilatura is not thread-safe and grows in memory over long runs
(trafilatura#216): workers are recycled by hand (crawlers/workerpool.py). A page that crashes a
worker or runs past the time limit costs only that page: the pool is rebuilt and the crawl goes on.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures.process import BrokenProcessPool

from crawlers import settings as defaults
from crawlers.extraction_options import EXTRACT_FAILED, options_for
from crawlers.page_worker import process_page
from crawlers.urls import article_id, canonical_url
from crawlers.warc import plain_headers
from crawlers.workerpool import WorkerPool, date_locales_pay_off
from warehouse.cores import available_cores

logger = logging.getLogger(__name__)
WORKERS_STAT = "presswatch/extract_workers"


class ExtractPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.workers = settings.getint("PRESSWATCH_EXTRACT_WORKERS") or available_cores()
        self.tasks_per_worker = (
            settings.getint("PRESSWATCH_EXTRACT_TASKS_PER_WORKER") or None
        )  # None: the pool's default
        self.timeout = settings.getfloat("PRESSWATCH_EXTRACT_TIMEOUT", defaults.PRESSWATCH_EXTRACT_TIMEOUT)
        self.pool: WorkerPool | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        self.source = self.crawler.spider.source
        self.options = options_for(self.source)
        preload = ["crawlers.worker_preload"]
        if date_locales_pay_off(self.source.max_articles, self.workers, self.tasks_per_worker):
            preload.append("crawlers.date_locales_preload")
        self.pool = WorkerPool(self.workers, self.tasks_per_worker, preload=preload, deadline=self.timeout)
        self.crawler.stats.set_value(WORKERS_STAT, self.workers)

    def close_spider(self):
        if self.pool:
            self.pool.shutdown(wait=True)

    async def process_item(self, item):
        if item.get("type") != "capture" or item.get("outcome") != "fetched":
            return item
        headers = item["_headers"] = plain_headers(item["_headers"])
        item["_archive"] = True
        item.update(await self._extract(item["_body"], headers, item["status"], item["final_url"], item["fetched_at"]))
        if item["outcome"] == "article":
            declared = item.pop("declared_canonical", None)
            item["canonical_url"] = canonical_url(declared, item["final_url"], self.source.allowed_domains)
            item["article_id"] = item.get("article_id") or article_id(item["canonical_url"])
            item["language"] = item.get("language") or self.source.language
        elif item["outcome"] == "no_article" and not item.get("article_id"):
            # known from now on, with its validators: an unchanged recrawl does not read it again
            item["article_id"] = article_id(canonical_url(None, item["final_url"], self.source.allowed_domains))
        return item

    async def _extract(self, body: bytes, headers, status: int, url: str, fetched_at: str, retry: bool = True) -> dict:
        workers = self.pool
        assert workers is not None, "open_spider starts the pool"
        future, pool = workers.submit(process_page, body, headers, status, url, fetched_at, self.options)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            logger.warning(
                "%s: extraction of %s took over %.0fs; worker pool restarted", self.source.name, url, self.timeout
            )
            workers.restart(pool)
            return {"outcome": EXTRACT_FAILED, "reason": f"extraction took over {self.timeout:.0f}s"}
        except BrokenProcessPool:
            workers.restart(pool)
            if retry:  # the crash may have been another page's: try once more on a fresh pool
                return await self._extract(body, headers, status, url, fetched_at, retry=False)
            logger.warning("%s: extraction of %s crashed its worker", self.source.name, url)
            return {"outcome": EXTRACT_FAILED, "reason": "the extractor process crashed on this page"}
