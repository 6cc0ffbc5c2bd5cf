"""Scrapy settings shared by every source; the spider overrides the politeness ones per source."""

import os

from scrapy.settings import default_settings as _scrapy

from crawlers.registry import source_defaults
from crawlers.workerpool import DEFAULT_DEADLINE, tasks_per_worker_default

# Per-source politeness defaults come from the registry's one table (crawlers/registry.Source);
# the spider sets each source's own values over them.
_SOURCE = source_defaults()

BOT_NAME = "presswatch"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

ROBOTSTXT_OBEY = True
USER_AGENT = _SOURCE["user_agent"]

# Polite defaults for someone else's server; each registry entry may change them.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = _SOURCE["concurrency"]
DOWNLOAD_DELAY = _SOURCE["download_delay"]
AUTOTHROTTLE_ENABLED = _SOURCE["autothrottle"]
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0

DOWNLOAD_TIMEOUT = _SOURCE["download_timeout"]
DOWNLOAD_MAXSIZE = _SOURCE["max_download_bytes"]
DOWNLOAD_WARNSIZE = 0
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Scrapy's retries, but an unreachable host (no DNS answer, connection refused) is not retried.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.RetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawlers.middlewares.HeadMetaRefreshMiddleware": 580,
}
# A 429/503 Retry-After holds the host's requests that long, at most this (per source: retry_after_max).
PRESSWATCH_RETRY_AFTER_MAX = _SOURCE["retry_after_max"]
# Names under .invalid fail at once, without a DNS query; a lookup gives up after 15 s, not 60.
TWISTED_DNS_RESOLVER = "crawlers.resolver.Resolver"
DNS_TIMEOUT = 15
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

ITEM_PIPELINES = {
    "crawlers.pipelines.extract.ExtractPipeline": 100,  # decodes, extracts and packs the WARC record
    "crawlers.pipelines.archive.ArchivePipeline": 200,  # appends that record
    "crawlers.pipelines.stage.StagePipeline": 300,
}

# Where this crawl's staged batch goes (a folder per batch); `crawlers.run` sets it per run.
PRESSWATCH_STAGING = "data/staging"
PRESSWATCH_ARCHIVE = "data/archive"
PRESSWATCH_BATCH_ID = None
# Extraction worker processes (0 = one per core) and pages each handles before it is recycled.
PRESSWATCH_EXTRACT_WORKERS = 0
PRESSWATCH_EXTRACT_TASKS_PER_WORKER = tasks_per_worker_default()  # the environment's, else the pool's default
REMOTE_CONTROL_ENABLED = False
# Items a response's output is processed with at once. Scrapy starts that many asyncio tasks for
# every response (default 100), whatever it yields; an article yields one record, a sitemap
# requests that only need scheduling, so a few are as fast and the reactor does far less per page.
CONCURRENT_ITEMS = 4
# Scrapy's extensions and middlewares a crawl never uses are left out of the *_BASE tables, so the
# crawl process does not import them (the remote control imports aiohttp, the cookies middleware
# tldextract, the feed exporter and telnet much of twisted): an unchanged recrawl is mostly the
# process's start. Setting them to None in EXTENSIONS would import each to name it (Scrapy >= 2.13).
_UNUSED = {"TelnetConsole", "RemoteControl", "MemoryDebugger", "FeedExporter", "SpiderState", "CookiesMiddleware"}
EXTENSIONS_BASE = {k: v for k, v in _scrapy.EXTENSIONS_BASE.items() if k.rsplit(".", 1)[1] not in _UNUSED}
DOWNLOADER_MIDDLEWARES_BASE = {
    k: v for k, v in _scrapy.DOWNLOADER_MIDDLEWARES_BASE.items() if k.rsplit(".", 1)[1] not in _UNUSED
}
PRESSWATCH_RUN_ID = None
# Seconds one page's extraction may take; its worker is killed after that, even in a retired pool.
PRESSWATCH_EXTRACT_TIMEOUT = float(os.environ.get("PRESSWATCH_EXTRACT_TIMEOUT") or DEFAULT_DEADLINE)
