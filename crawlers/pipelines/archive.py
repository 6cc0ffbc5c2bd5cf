"""Keep the raw bytes of every article capture in compressed WARC files (warcio).

The extraction worker has already built the page's record (a gzip member, see crawlers/warc.py);
this appends it and notes where it lives (file, offset, length), so any version's original page
can be read back with `presswatch capture`. A page whose worker failed is packed here instead.

Each file is fsynced when it is closed: on a new part, and at the crawl's end when the stage
pipeline sends `archive_closing` before it fsyncs the records that point into it and writes the
manifest (Scrapy closes pipelines in reverse order, so the stage pipeline closes first).
"""

from __future__ import annotations

import os
from pathlib import Path

from crawlers.warc import plain_headers, record_bytes

MAX_WARC_BYTES = 1024 * 1024 * 1024
archive_closing = object()  # a Scrapy signal: close (and fsync) the WARC file now


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.root = Path(crawler.settings.get("PRESSWATCH_ARCHIVE"))
        self.file = None
        self.part = 0

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline._close_file, signal=archive_closing)
        return pipeline

    def open_spider(self):
        self.spider = self.crawler.spider

    def close_spider(self):
        self._close_file()

    def process_item(self, item):
        if not item.pop("_archive", False):  # set by the extract pipeline on every fetched page
            return item
        data = item.pop("_warc", None)
        if data is None:
            headers = item["_headers"]
            headers = headers if isinstance(headers, list) else plain_headers(headers)
            data = record_bytes(item["final_url"], item["status"], headers, item["_body"], item["fetched_at"])
        if self.file is None or self.file.tell() > MAX_WARC_BYTES:
            self._open_next()
        offset = self.file.tell()
        self.file.write(data)
        self.file.flush()
        item["warc_file"] = self.relative
        item["warc_offset"] = offset
        item["warc_length"] = len(data)
        item.pop("_body", None)
        return item

    def _close_file(self):
        if self.file:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            self.file = None

    def _open_next(self):
        self._close_file()
        batch_id = getattr(self.spider, "batch_id", "batch")
        path = self.root / self.spider.source.name / f"{batch_id}-{self.part:05d}.warc.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.part += 1
        self.file = open(path, "ab")
        self.relative = str(path.relative_to(self.root))
