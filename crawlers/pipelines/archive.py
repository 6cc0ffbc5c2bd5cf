"""Keep the raw bytes of every article capture in compressed WARC files (warcio).

Each capture learns where its record lives (file, offset, length), so any version's original
page can be read back with `presswatch capture`.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

_DROP_HEADERS = {b"content-encoding", b"transfer-encoding", b"content-length"}
MAX_WARC_BYTES = 1024 * 1024 * 1024


class ArchivePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.root = Path(crawler.settings.get("PRESSWATCH_ARCHIVE"))
        self.file = None
        self.writer = None
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
        if item.get("type") != "capture" or item.get("outcome") != "fetched":
            return item
        if self.writer is None or self.file.tell() > MAX_WARC_BYTES:
            self._open_next()
        offset = self.file.tell()
        self.writer.write_record(self._record(item))
        self.file.flush()
        item["warc_file"] = self.relative
        item["warc_offset"] = offset
        item["warc_length"] = self.file.tell() - offset
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
        self.writer = WARCWriter(self.file, gzip=True)

    def _record(self, item):
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in item["_headers"].items()
            for v in values
            if k.lower() not in _DROP_HEADERS
        ]
        body = item["_body"]
        headers.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(f"{item['status']} OK", headers, protocol="HTTP/1.1")
        return self.writer.create_warc_record(
            # The length spares warcio a temporary copy of the body (which it never closes).
            item["final_url"], "response", payload=BytesIO(body), length=len(body), http_headers=http_headers,
            warc_headers_dict={"WARC-Date": item["fetched_at"][:19] + "Z"},
        )
