"""`presswatch reextract` loads what crawls left staged first, the way a crawl's run does: never the
batch of a run still in progress (that run loads and reports it), never a batch whose WARC files
cannot reach the shared archive (its versions would point at captures only this machine has)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from crawlers.registry import load_registry
from flows.crawl_step import crawl_source_process
from flows.settings import Settings
from tests.conftest import ROOT, cli_environment, make_pipeline, run_cli
from tests.faulty_s3 import ERRORS, UP, FaultyS3
from tests.servers import Route, StaticSite, article_html, registry_entry, rss_feed
from tests.shared_servers import shared_setup
from warehouse.check import check_warehouse
from warehouse.staging import MANIFEST

PARAGRAPHS = [
    "The regional government announced new measures for vocational training and employment on Monday.",
    "Officials said the programme would reach every county of the region before the end of the year.",
    "Observers noted that the announcement followed months of criticism from several foreign governments.",
]


def _site_routes() -> dict[str, Route]:
    return {f"/{s}/1.html": Route(article_html(f"{s} story", PARAGRAPHS)) for s in ("fast", "held")}


def _entries(site: StaticSite) -> str:
    return "".join(
        registry_entry(name, site.url, feeds=[f"{site.url}/{name}.xml"], article_pattern=rf"/{name}/\d+\.html$")
        for name in ("fast", "held")
    )


def _staged(staging: Path, source: str) -> list[Path]:
    return [m.parent for m in staging.glob(f"*-{source}-*/{MANIFEST}")]


def test_reextract_leaves_the_batch_of_a_run_in_progress_to_that_run(tmp_path):
    pipeline = make_pipeline(tmp_path)
    held = threading.Event()
    with StaticSite(_site_routes()) as site:
        site.routes["/fast.xml"] = rss_feed(site.url, ["/fast/1.html"])
        site.routes["/held.xml"] = rss_feed(site.url, ["/held/1.html"])
        pipeline.use_registry(_entries(site))
        pipeline.crawl("fast")  # the warehouse exists, with the fast source's article
        site.routes["/held.xml"].hold = held  # the next run's second source hangs until released
        paths = ["--db", str(pipeline.db), "--sources", str(pipeline.settings.registry)]
        paths += ["--data", str(pipeline.settings.data)]
        args = [*paths, "crawl", "--parallel", "2"]
        crawl = subprocess.Popen(
            [sys.executable, "-m", "flows.cli", *args],
            cwd=ROOT,
            env=cli_environment(args, {"PRESSWATCH_CRAWL_RETRIES": "0"}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 120
            while not _staged(pipeline.settings.staging, "fast"):  # its fast crawl is over, its run is not
                assert crawl.poll() is None and time.monotonic() < deadline, "the run's fast crawl never closed"
                time.sleep(0.1)
            reextracted = run_cli(*paths, "reextract", timeout=120)
            assert reextracted.returncode == 0, reextracted.stderr
            assert _staged(pipeline.settings.staging, "fast")  # still the run's to load
        finally:
            held.set()
            out, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, err[-2000:]
    assert "batches loaded: 2" in out  # the run loaded (and reported) its own two batches


@pytest.fixture(scope="module")
def servers():
    with shared_setup() as setup:
        yield setup


def test_reextract_never_loads_a_batch_whose_captures_did_not_reach_the_shared_archive(servers, tmp_path, monkeypatch):
    with StaticSite(_site_routes()) as site, FaultyS3(servers.aws["AWS_ENDPOINT_URL"]) as s3:
        site.routes["/fast.xml"] = rss_feed(site.url, ["/fast/1.html"])
        env = servers.environment(endpoint=s3.url)
        s3.scope = lambda method, path: "/archive/" in path  # the archive's prefix fails; the lake's works
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        registry = tmp_path / "sources.toml"
        registry.write_text(registry_entry("fast", site.url, feeds=[site.url + "/fast.xml"], article_pattern="/fast/"))
        settings = Settings(db=env["PRESSWATCH_DB"], data=tmp_path / "machine", registry=registry, load_wait=30.0)
        crawl_source_process(load_registry(registry).get("fast"), settings)  # staged, its WARC file local only
        s3.set(ERRORS)
        machine = ["--sources", str(registry), "--data", str(settings.data)]
        refused = run_cli(*machine, "reextract", env=env, timeout=120)
        said = refused.stdout + refused.stderr
        assert refused.returncode == 1 and "cannot publish fast/" in said and "Traceback" not in said, said
        assert _staged(settings.staging, "fast")  # not loaded: its capture is on this machine only
        s3.set(UP)
        loaded = run_cli(*machine, "reextract", env=env, timeout=120)
        assert loaded.returncode == 0, loaded.stderr
        assert not _staged(settings.staging, "fast")
        report = check_warehouse(env["PRESSWATCH_DB"], archive=env["PRESSWATCH_ARCHIVE"], deep=True)
        assert report.ok and report.checks[-1].checked == 1, report.as_dict()  # its capture, read from the archive
