"""Write every record of the crawl to its staged batch; the loader merges it into the warehouse."""

from __future__ import annotations

from pathlib import Path

from twisted.python.failure import Failure

from crawlers.pipelines.archive import archive_closing
from crawlers.pipelines.extract import WORKERS_STAT
from warehouse.staging import BatchWriter, new_batch_id


class StagePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.writer: BatchWriter | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        spider = self.crawler.spider
        settings = self.crawler.settings
        batch_id = settings.get("PRESSWATCH_BATCH_ID") or new_batch_id(spider.source.name)
        folder = Path(settings.get("PRESSWATCH_STAGING")) / batch_id
        self.writer = BatchWriter(
            folder,
            batch_id,
            spider.source.name,
            spider.source.loader_settings(spider.registry_path),
            run_id=settings.get("PRESSWATCH_RUN_ID"),
        )
        spider.batch_id = batch_id

    def close_spider(self):
        spider = self.crawler.spider
        reason = self.crawler.stats.get_value("finish_reason") or "finished"
        status = "complete" if reason == "finished" else "interrupted"
        for record in spider.dropped:
            self.writer.write(record)
        for url, via in spider.discovered.items():
            self.writer.write({"type": "discovered", "source": spider.source.name, "url": url, "via": via})
        # The captures reach the disk before the records that point at them and the manifest do.
        for _, failure in self.crawler.signals.send_catch_log(archive_closing):
            if isinstance(failure, Failure):
                status, reason = "interrupted", f"archive not synced: {failure.getErrorMessage()}"
        self.writer.close(
            status,
            extra={
                "finish_reason": reason,
                "known_urls": len(spider.known),
                "extract_workers": self.crawler.stats.get_value(WORKERS_STAT),
                "retries": _retries_by_reason(self.crawler.stats.get_stats()),
            },
        )

    def process_item(self, item):
        self.writer.write({k: v for k, v in item.items() if not k.startswith("_")})
        return item


def _retries_by_reason(stats: dict) -> dict[str, int]:
    """Scrapy's retry counts by reason (exception path or "429 Unknown Status"), for audit."""
    prefix = "retry/reason_count/"
    return {key.removeprefix(prefix): value for key, value in stats.items() if key.startswith(prefix)}
