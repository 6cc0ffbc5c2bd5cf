"""Extract article fields in a pool of worker processes, off the reactor thread.

trafilatura is not thread-safe and grows in memory over long runs (trafilatura#216): worker
processes do the work and are replaced after a fixed number of pages.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from crawlers.extraction import ExtractionOptions, extract_page
from crawlers.urls import article_id, canonical_url


def options_for(source) -> ExtractionOptions:
    """The extraction options a source's registry entry asks for."""
    return ExtractionOptions(ignore_selectors=source.ignore_selectors, ignore_patterns=source.ignore_patterns)


class ExtractPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        workers = crawler.settings.getint("PRESSWATCH_EXTRACT_WORKERS") or os.cpu_count() or 1
        self.workers = workers
        self.tasks_per_worker = crawler.settings.getint("PRESSWATCH_EXTRACT_TASKS_PER_WORKER", 500)
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        source = self.crawler.spider.source
        self.source = source
        self.options = options_for(source)
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("forkserver"),
            max_tasks_per_child=self.tasks_per_worker,
        )

    def close_spider(self):
        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=True)

    async def process_item(self, item):
        if item.get("type") != "capture":
            return item
        if item.get("outcome") == "fetched":
            html = item.pop("html")
            future = self.pool.submit(extract_page, html, item["final_url"], self.options)
            fields = await asyncio.wrap_future(future)
            item.update(fields)
            if item["outcome"] == "article":
                declared = item.pop("declared_canonical", None)
                item["canonical_url"] = canonical_url(declared, item["final_url"], self.source.allowed_domains)
                item["article_id"] = item.get("article_id") or article_id(item["canonical_url"])
                if not item.get("language"):
                    item["language"] = self.source.language
        return item
