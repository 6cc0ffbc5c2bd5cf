"""Shared plumbing: the corpus server as a subprocess, the bench source registry, timing helpers."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.corpus import ARTICLE_PATTERN

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# The presswatch code the crawls run: this checkout, or a private copy with a proposed change
# (`python -m bench run --project /tmp/pw-try`); it goes first on the children's PYTHONPATH.
PROJECT = {"root": ROOT}


def set_project(path: str | os.PathLike | None) -> None:
    PROJECT["root"] = Path(path).resolve() if path else ROOT


def env() -> dict:
    """The environment every child gets: the project importable, Prefect quiet and local, no retries."""
    paths = [str(PROJECT["root"]), str(ROOT)] if PROJECT["root"] != ROOT else [str(ROOT)]
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [*paths, os.environ.get("PYTHONPATH")])),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PRESSWATCH_CRAWL_RETRIES": "0",  # a benchmark measures one attempt; a failure is reported, not retried
    }


class ServerProcess:
    """`python -m bench serve` in its own process (so it takes no GIL time from what is measured)."""

    def __init__(
        self,
        pages: int,
        seed: int = 1,
        ports: int = 1,
        lazy: bool = False,
        edits: tuple[float, ...] = (),
        threaded: bool = False,
        real: str | None = None,
    ):
        command = [
            sys.executable,
            "-m",
            "bench",
            "serve",
            "--pages",
            str(pages),
            "--seed",
            str(seed),
            "--ports",
            str(ports),
            *(["--lazy"] if lazy else []),
            *(["--threaded"] if threaded else []),
            *(["--real-pages", str(real)] if real else []),
        ]
        for fraction in edits:
            command += ["--edit", str(fraction)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env())
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            raise RuntimeError(f"the bench server did not start (exit {self.process.returncode})")
        self.info = json.loads(line)
        self.base: str = self.info["base"]
        self.ports: list[int] = self.info["ports"]

    def control(self, path: str) -> dict:
        with urllib.request.urlopen(self.base + path, timeout=600) as response:
            return json.loads(response.read() or b"{}")

    def edit(self, fraction: float) -> dict:
        return self.control(f"/_bench/edit?fraction={fraction}")

    def stats(self) -> dict:
        return self.control("/_bench/stats")

    def reset(self) -> None:
        urllib.request.urlopen(self.base + "/_bench/reset", timeout=30).read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def bench_registry(base: str, pages: int, concurrency: int = 32, crawl_timeout: float | None = None) -> str:
    """A registry with one source, `bench`, with every politeness setting off."""
    return "\n".join(
        [
            "[[sources]]",
            'name = "bench"',
            'label = "Benchmark corpus"',
            'language = "en"',
            'allowed_domains = ["127.0.0.1"]',
            f'sitemaps = ["{base}/sitemap_index.xml"]',
            f'feeds = ["{base}/feed.xml"]',
            f'listings = ["{base}/list/index.html"]',
            'listing_pattern = "/list/index_\\\\d+\\\\.html$"',
            f"article_pattern = {json.dumps(ARTICLE_PATTERN)}",
            "max_listing_pages = 5",
            "download_delay = 0.0",
            f"concurrency = {concurrency}",
            "autothrottle = false",
            f"max_articles = {pages + 1000}",
            'revisit = [["inf", "0s"]]',
            # bounded, so a crawl that hangs (see docs/benchmarks.md, the pool deadlock) is reported, not waited for
            f"crawl_timeout = {float(crawl_timeout or max(600, pages * 0.25))}",
            "download_timeout = 60.0",
            "",
        ]
    )


def summarize(values: list[float]) -> dict:
    """Median and range of repeated measurements."""
    values = [v for v in values if v is not None]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0}
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
        "n": len(values),
    }


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start
