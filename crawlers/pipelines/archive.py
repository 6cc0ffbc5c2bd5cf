"""Keep the raw bytes of every article capture in compressed WARC files (warcio).

The extraction worker has already built the page's record (a gzip member, see crawlers/warc.py);
this appends it and notes where it lives (file, offset, length), so any version's original page
can be read back with `presswatch capture`. A page whose worker failed is packed here instead.
"""

from __future__ import annotations

from pathlib import Path

from crawlers.warc import plain_headers, record_bytes

MAX_WARC_BYTES = 1024 * 1024 * 1024


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.root = Path(crawler.settings.get("PRESSWATCH_ARCHIVE"))
        self.file = None
        self.part = 0

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        self.spider = self.crawler.spider

    def close_spider(self):
        if self.file:
            self.file.close()

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

    def _open_next(self):
        if self.file:
            self.file.close()
        batch_id = getattr(self.spider, "batch_id", "batch")
        path = self.root / self.spider.source.name / f"{batch_id}-{self.part:05d}.warc.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.part += 1
        self.file = open(path, "ab")
        self.relative = str(path.relative_to(self.root))
