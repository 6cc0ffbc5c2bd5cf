"""Shared fixtures: real DuckDB files, the demo site on 127.0.0.1, and a crawl-and-load helper.

Nothing here mocks Scrapy, trafilatura, DuckDB or Prefect: crawls run in real subprocesses
against HTTP servers on loopback that the tests start.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from crawlers.registry import load_registry
from demo_site import DemoSite, demo_registry
from flows.crawl_step import CrawlFailed, crawl_source_process
from flows.prefect_server import PrefectServer, healthy
from flows.settings import Settings
from tests.cli_fork import run_presswatch
from warehouse.attach import attach_statements
from warehouse.db import connect
from warehouse.loader import load_pending

os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
# pytest-xdist runs this many test processes at once: their crawls share the cores instead of each
# starting an extraction process per core.
os.environ.setdefault(
    "PRESSWATCH_CORES",
    str(max(1, len(os.sched_getaffinity(0)) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1))),
)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
REAL_FIXTURES = SHARED / "fixtures" / "real"


def real_fixture(relative: str) -> Path:
    """A saved real page from ../shared/fixtures/real, or skip the test with the reason."""
    path = REAL_FIXTURES / relative
    if not path.exists():
        pytest.skip(f"real fixture {relative} not available (../shared/fixtures/real is absent)")
    return path


@pytest.fixture
def db_path(tmp_path) -> Path:
    """A path for a real warehouse (a DuckLake folder) in the test's temporary folder."""
    return tmp_path / "warehouse"


@pytest.fixture
def site():
    """The demo site in this process on a free loopback port, at stage 1; `site.set_stage(n)` moves it."""
    with DemoSite(port=0) as demo:
        yield demo


@dataclass
class Pipeline:
    """Crawl sources of a registry in real subprocesses and load their batches, without Prefect."""

    settings: Settings

    @property
    def db(self) -> Path:
        return self.settings.db

    def use_registry(self, text: str) -> Pipeline:
        self.settings.registry.write_text(text, encoding="utf-8")
        return self

    def crawl(self, *names: str, load: bool = True):
        """Crawl the named sources (default: all) one after another, then load; returns LoadResults."""
        registry = load_registry(self.settings.registry)
        self.failures = {}
        for source in registry.select(list(names)):
            try:
                crawl_source_process(source, self.settings)
            except CrawlFailed as exc:
                self.failures[source.name] = str(exc)
        if not load:
            return []
        settings = self.settings
        return load_pending(
            settings.db, settings.staging, settings.loaded, wait=settings.load_wait, archive=settings.archive_root
        )

    def cli(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        """`presswatch` (run_cli) on this pipeline's warehouse, registry and data folder."""
        folders = ("--db", str(self.db), "--sources", str(self.settings.registry), "--data", str(self.settings.data))
        return run_cli(*folders, *args, **kwargs)

    def query(self, sql: str, params=None) -> list[tuple]:
        with connect(self.settings.db, read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params=None):
        return self.query(sql, params)[0][0]


def crawl_in_parallel(pipeline: Pipeline, workers: int = 3) -> list:
    """Crawl every source of the pipeline's registry at once (as `presswatch crawl --parallel` does), then load.

    Sets `pipeline.failures` like Pipeline.crawl; returns the LoadResults.
    """
    sources = load_registry(pipeline.settings.registry).sources
    pipeline.failures = {}

    def one(source):
        try:
            crawl_source_process(source, pipeline.settings)
        except CrawlFailed as exc:
            pipeline.failures[source.name] = str(exc)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, sources))
    return load_pending(
        pipeline.settings.db, pipeline.settings.staging, pipeline.settings.loaded, wait=pipeline.settings.load_wait
    )


def make_pipeline(folder: Path) -> Pipeline:
    """A Pipeline writing into `folder` (warehouse, staging, archive); set its registry with use_registry."""
    settings = Settings(
        db=folder / "warehouse",
        data=folder / "data",
        registry=folder / "sources.toml",
        load_wait=5.0,
        crawl_retries=0,
        retry_delay=0.0,
    )
    return Pipeline(settings)


@pytest.fixture
def pipeline(tmp_path) -> Pipeline:
    """A Pipeline writing into tmp_path; module-scoped fixtures call make_pipeline themselves."""
    return make_pipeline(tmp_path)


@pytest.fixture
def demo_pipeline(pipeline, site) -> Pipeline:
    """A Pipeline whose registry is the demo site's five outlets."""
    return pipeline.use_registry(demo_registry(site.base_url))


@pytest.fixture(scope="module")
def module_site():
    """The demo site for the tests of one module (each test sets the stage or redesign step it needs)."""
    with DemoSite(port=0) as demo:
        yield demo


@pytest.fixture(scope="session")
def demo_story(tmp_path_factory):
    """The demo site's story crawled once per session (tests/demo_story.py): `demo_story.copy(step, folder)`."""
    from tests.demo_story import DemoStory, story_folder

    return DemoStory(story_folder(tmp_path_factory))


@pytest.fixture(scope="session")
def demo_site_process():
    """The demo site as a subprocess (as Scrapy's own mock server runs), its URL read from stdout."""
    process = subprocess.Popen(
        [sys.executable, "-m", "demo_site", "--port", "0"], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    yield url
    process.kill()
    process.wait()


@contextmanager
def plain_duckdb(db):
    """A plain DuckDB connection (no presswatch code) that ran `presswatch attach`'s statements."""
    con = duckdb.connect()
    try:
        for statement in attach_statements(db):
            con.execute(statement)
        yield con
    finally:
        con.close()


# One Prefect server for the whole session, whichever pytest-xdist worker needs it first: its
# folder is made by the process that starts the workers (they inherit PW_TEST_PREFECT), and that
# process stops the server when every worker is done (pytest_unconfigure below).
if not os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["PW_TEST_PREFECT"] = tempfile.mkdtemp(prefix="pw-test-prefect-")
_shared_prefect_lock = threading.Lock()


def shared_prefect_api() -> str:
    """The API URL of the session's Prefect server for runs that Prefect records, started on first use."""
    folder = Path(os.environ["PW_TEST_PREFECT"])
    with _shared_prefect_lock, open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        known = folder / "api_url"
        if known.exists() and healthy(known.read_text()):
            return known.read_text()
        server = PrefectServer.for_one_command(folder / "home").start()
        assert server.process is not None
        (folder / "pid").write_text(str(server.process.pid))
        known.write_text(server.api_url)
        return server.api_url


def _gone(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:  # this process's own child (a run without workers): reaped
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


# The modules that take longest (`pytest --durations`, 2 cores, -n 3), longest first: xdist hands
# out modules in collection order (pyproject.toml turns off its reordering by test count, which
# put the one-test work-pool module, 80 s, last), so these start first and no core waits alone
# on one of them at the end.
LONGEST_FIRST = (
    "test_shared_outages.py",
    "test_work_pool.py",
    "test_crash_safety.py",
    "test_bench.py",
    "test_change_scenario.py",
    "test_flows.py",
    "test_cli.py",
    "test_bad_config.py",
    "test_serve.py",
    "test_alerts.py",
    "test_search.py",
    "test_versioning.py",
    "test_clusters.py",
    "test_reextract_pending.py",
)


def pytest_collection_modifyitems(config, items):
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST)))


def pytest_unconfigure(config):
    """The process that started the session stops its Prefect server (in its own process group)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    folder = Path(os.environ["PW_TEST_PREFECT"])
    try:
        pid = int((folder / "pid").read_text())
    except (OSError, ValueError):
        pid = 0
    for sig in (signal.SIGTERM, signal.SIGKILL) if pid else ():
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 10
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _gone(pid):
            break
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_api():
    """The Prefect API this test process's in-process flow runs record on: `shared_prefect_api()`."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = shared_prefect_api()
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url


def run_cli(
    *args: str, env: dict | None = None, timeout: float = 300, text: bool = True
) -> subprocess.CompletedProcess:
    """Run the real `presswatch` command in a process of its own; returns the completed process (bytes when text=False).

    `crawl` runs as a user's manual crawl does, without Prefect, unless `env` names PREFECT_API_URL;
    `demo` records its runs on `shared_prefect_api()` unless `env` names PREFECT_API_URL. The process
    is a fork of one that has imported the CLI already (tests/cli_fork.py).
    """
    return run_presswatch(
        args, cli_environment(args, env), ROOT, timeout, text, exec_command=[sys.executable, "-m", "flows.cli"]
    )


def cli_environment(args, env: dict | None = None) -> dict:
    """This process's environment without PREFECT_API_URL, plus `env`; `demo` gets `shared_prefect_api()`."""
    merged = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    merged["PYTHONFAULTHANDLER"] = "1"  # a crash inside an extension prints its Python stack to stderr
    merged.update(env or {})
    if "demo" in args and "PREFECT_API_URL" not in merged:
        merged["PREFECT_API_URL"] = shared_prefect_api()
    return merged
