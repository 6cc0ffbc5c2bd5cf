"""Extract article fields in a pool of worker processes, off the reactor thread.

trafilatura is not thread-safe and grows in memory over long runs (trafilatura#216): worker
processes do the work and are replaced after a fixed number of pages. A page that crashes a
worker or runs past the time limit costs only that page: the pool is rebuilt and the crawl goes on.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawlers.extraction import ExtractionOptions, extract_page
from crawlers.urls import article_id, canonical_url

logger = logging.getLogger(__name__)


def options_for(source) -> ExtractionOptions:
    """The extraction options a source's registry entry asks for."""
    return ExtractionOptions(ignore_selectors=source.ignore_selectors, ignore_patterns=source.ignore_patterns)


class ExtractPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.workers = settings.getint("PRESSWATCH_EXTRACT_WORKERS") or os.cpu_count() or 1
        self.tasks_per_worker = settings.getint("PRESSWATCH_EXTRACT_TASKS_PER_WORKER", 500)
        self.timeout = settings.getfloat("PRESSWATCH_EXTRACT_TIMEOUT", 120.0)
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        self.source = self.crawler.spider.source
        self.options = options_for(self.source)
        self.pool = self._new_pool()

    def close_spider(self):
        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item):
        if item.get("type") != "capture" or item.get("outcome") != "fetched":
            return item
        html = item.pop("html")
        item.update(await self._extract(html, item["final_url"]))
        if item["outcome"] == "article":
            declared = item.pop("declared_canonical", None)
            item["canonical_url"] = canonical_url(declared, item["final_url"], self.source.allowed_domains)
            item["article_id"] = item.get("article_id") or article_id(item["canonical_url"])
            item["language"] = item.get("language") or self.source.language
        return item

    async def _extract(self, html: str, url: str, retry: bool = True) -> dict:
        if self.submitted >= self.tasks_per_worker * self.workers:
            # Recycle by hand: ProcessPoolExecutor(max_tasks_per_child=...) deadlocks on Python
            # 3.11-3.14 once a worker retires with work queued (cpython gh-115634, gh-152967).
            # The old pool finishes what it holds and its workers exit; new pages go to a fresh one.
            old, self.pool = self.pool, self._new_pool()
            if old is not None:
                old.shutdown(wait=False)
        self.submitted += 1
        pool = self.pool
        assert pool is not None, "open_spider starts the pool"
        try:
            future = pool.submit(extract_page, html, url, self.options)
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout)
        except TimeoutError:
            logger.warning("%s: extraction of %s took over %.0fs; worker pool restarted", self.source.name, url, self.timeout)
            self._restart(pool)
            return {"outcome": "extract_failed", "reason": f"extraction took over {self.timeout:.0f}s"}
        except BrokenProcessPool:
            self._restart(pool)
            if retry:  # the crash may have been another page's: try once more on a fresh pool
                return await self._extract(html, url, retry=False)
            logger.warning("%s: extraction of %s crashed its worker", self.source.name, url)
            return {"outcome": "extract_failed", "reason": "the extractor process crashed on this page"}

    def _new_pool(self) -> ProcessPoolExecutor:
        # The fork server imports trafilatura once; each (recycled) worker is a cheap fork of it,
        # and none inherits the reactor's threads or sockets.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["crawlers.extraction"])
        self.submitted = 0
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context)

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        if self.pool is not broken:
            return  # another page already replaced it
        for process in list(getattr(broken, "_processes", {}).values()):
            process.kill()
        broken.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool()
