"""Run one source's crawl in this process: `python -m crawlers.run --source NAME ...`.

The flows start this as a subprocess per source, because Scrapy's reactor cannot be restarted
inside one process (scrapy#2594).
"""

from __future__ import annotations

import argparse
import os
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawlers import settings as scrapy_settings


def crawl(
    source: str,
    registry: str | None,
    known: str | None,
    staging: str,
    archive: str,
    batch_id: str | None = None,
    log_level: str = "WARNING",
    workers: int = 0,
    run_id: str | None = None,
) -> None:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawlers.settings")
    settings = get_project_settings()
    settings.setdict(
        {
            "PRESSWATCH_STAGING": staging,
            "PRESSWATCH_ARCHIVE": archive,
            "PRESSWATCH_BATCH_ID": batch_id,
            "LOG_LEVEL": log_level,
            "PRESSWATCH_EXTRACT_WORKERS": workers,
            "PRESSWATCH_RUN_ID": run_id,
        },
        priority="cmdline",
    )
    process = CrawlerProcess(settings)
    process.crawl("press", source=source, registry=registry, known=known)
    process.start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--registry")
    parser.add_argument("--known")
    parser.add_argument("--staging", default=scrapy_settings.PRESSWATCH_STAGING)
    parser.add_argument("--archive", default=scrapy_settings.PRESSWATCH_ARCHIVE)
    parser.add_argument("--batch-id")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--run-id")
    args = parser.parse_args(argv)
    crawl(
        args.source,
        args.registry,
        args.known,
        args.staging,
        args.archive,
        args.batch_id,
        args.log_level,
        args.workers,
        args.run_id,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
