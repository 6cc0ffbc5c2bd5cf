"""Outages of the shared warehouse's parts, fault x moment (the matrix of docs/reliability.md).

A real PostgreSQL 15 (the catalog) that a test stops or restarts with `pg_ctl -m immediate`, moto's
S3 server (data path and WARC archive) behind a proxy that stops listening, answers 500s or answers
late on cue (tests/faulty_s3.py), loads killed with SIGKILL, and an analyst's DuckDB session
attached with `presswatch attach`'s statements, its transaction open through all of it. Faults land
at precise moments by waiting on events: a request the crawl makes, the load's first upload of a
data file or of a WARC file, the lock holders seen in pg_stat_activity.

Each case starts from an empty database and an empty prefix of the bucket, with the batches two
"machines" crawled (copied from one real crawl each, once per module), then checks what every
outage must leave: the failing run says in one sentence which part is unreachable, its batch stays
staged on its machine and the next run loads it, no version points at a capture that is not in the
shared archive, no half-written snapshot, `check --deep` clean, every page once.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import psycopg
import pytest

from crawlers.registry import load_registry
from flows.crawl_step import crawl_source_process
from flows.loadable import load_staged
from flows.settings import Settings
from tests.conftest import ROOT, run_cli
from tests.faulty_s3 import DOWN, ERRORS, SLOW, UP, FaultyS3, puts_under
from tests.servers import Route, StaticSite, article_html, registry_entry, rss_feed
from tests.shared_servers import SharedSetup, shared_setup
from warehouse.attach import attach_statements
from warehouse.check import check_warehouse
from warehouse.db import connect
from warehouse.errors import ArchiveNotShared, CatalogUnreachable, SharedPartUnavailable, StorageUnavailable
from warehouse.staging import pending_batches

PAGES = 3
PARAGRAPHS = [
    "The regional government announced new measures for vocational training and employment on Monday.",
    "Officials said the programme would reach every county of the region before the end of the year.",
    "Observers noted that the announcement followed months of criticism from several foreign governments.",
]
LOAD = (
    "import sys; from pathlib import Path; from flows.loadable import load_staged; from flows.settings import Settings; "
    "load_staged(Settings(db=sys.argv[1], data=Path(sys.argv[2]), registry=Path(sys.argv[3]), load_wait=30.0))"
)
COUNT = "SELECT count(*) FROM article_versions"
ONCE = "SELECT count(*), count(DISTINCT article_id) FROM article_versions"


@dataclass
class World:
    setup: SharedSetup
    s3: FaultyS3
    site: StaticSite
    registry: Path
    crawled: dict[str, Path]  # machine -> the data folder its crawl left (a staged batch, local WARC files)

    def servers_up(self) -> None:
        if not self.setup.cluster.running():
            self.setup.cluster.start()
        self.s3.set(UP)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    routes = {
        f"/a/{i}.html": Route(article_html(f"Story {i}", [p + f" ({i})" for p in PARAGRAPHS])) for i in range(PAGES)
    }
    folder = tmp_path_factory.mktemp("outages")
    with shared_setup() as setup, FaultyS3(setup.aws["AWS_ENDPOINT_URL"], delay=0.3) as s3, StaticSite(routes) as site:
        site.routes["/feed.xml"] = rss_feed(site.url, sorted(routes))
        registry = folder / "sources.toml"
        registry.write_text(
            registry_entry("s", site.url, feeds=[site.url + "/feed.xml"], article_pattern=r"/a/\d+\.html$")
        )
        crawled = {}
        for machine in ("a", "b"):  # what each machine's crawl staged, before any warehouse exists
            settings = Settings(db=folder / "none", data=folder / machine, registry=registry)
            crawl_source_process(load_registry(registry).get("s"), settings, workers=1)
            crawled[machine] = settings.data
        yield World(setup, s3, site, registry, crawled)


class Analyst:
    """A plain DuckDB session that ran `presswatch attach`'s statements and keeps a transaction open."""

    def __init__(self, db: str):
        with connect(db, read_only=True):  # `presswatch attach` first: the empty catalog becomes a warehouse
            pass
        self.con = duckdb.connect()
        for statement in attach_statements(db):
            self.con.execute(statement)
        self.con.execute("BEGIN TRANSACTION")
        self.first = self.con.execute(COUNT).fetchall()[0][0]

    def afterwards(self) -> tuple[int | None, tuple[int, int]]:
        """What its open transaction sees now (None if the outage cost it), then what a new transaction
        sees: (versions, distinct articles)."""
        try:
            held: int | None = self.con.execute(COUNT).fetchall()[0][0]
            self.con.execute("COMMIT")
        except duckdb.Error:
            held = None
            try:
                self.con.execute("ROLLBACK")  # clears the aborted transaction (and says so itself)
            except duckdb.Error:
                pass
        now = self.con.execute(ONCE).fetchall()[0]
        self.con.close()
        return held, now


@dataclass
class Case:
    world: World
    env: dict
    tmp: Path
    analyst: Analyst
    failed: list[Settings] = field(default_factory=list)  # machines whose run failed: their batch must be staged

    def machine(self, name: str, crawled: bool = True) -> Settings:
        data = self.tmp / name
        if crawled:
            shutil.copytree(self.world.crawled[name], data)
        return Settings(db=self.env["PRESSWATCH_DB"], data=data, registry=self.world.registry, load_wait=30.0)

    def failing_load(self, machine: Settings) -> SharedPartUnavailable:
        """The load of a run that meets the outage: the named error it raises."""
        with pytest.raises(SharedPartUnavailable) as raised:
            load_staged(machine)
        self.failed.append(machine)
        return raised.value

    def load_process(self, machine: Settings, env: dict | None = None) -> subprocess.Popen:
        """A machine's load in a process of its own (to be killed)."""
        return subprocess.Popen(
            [sys.executable, "-c", LOAD, str(machine.db), str(machine.data), str(machine.registry)],
            cwd=ROOT,
            env={**os.environ, **self.env, **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def killed(self, process: subprocess.Popen, machine: Settings) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.failed.append(machine)


@pytest.fixture
def case(world, tmp_path, monkeypatch):
    world.servers_up()
    env = world.setup.environment(endpoint=world.s3.url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield Case(world, env, tmp_path, Analyst(env["PRESSWATCH_DB"]))
    world.servers_up()


def lake(case: Case):
    return puts_under(f"/presswatch/{case.env['PRESSWATCH_LAKE_DATA'].split('/', 3)[3]}")


def archive(case: Case):
    return puts_under(f"/presswatch/{case.env['PRESSWATCH_ARCHIVE'].split('/', 3)[3]}/")


def lock_holders_and_waiters(case: Case) -> int:
    """How many presswatch connections hold or poll for the warehouse's advisory lock."""
    with psycopg.connect(case.world.setup.cluster.conninfo("postgres"), autocommit=True) as pg:
        return pg.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'presswatch %%' "
            "AND query LIKE '%%pg_try_advisory_lock%%'"
        ).fetchone()[0]


def wait_for(condition: Callable[[], object], what: str, deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.05)


# -- the faults: each injects one at its moment and returns what the failing run said -----------


def catalog_stopped_during_a_crawl(case: Case) -> list[SharedPartUnavailable]:
    machine = case.machine("a", crawled=False)
    held = threading.Event()
    case.world.site.routes["/a/1.html"].hold = held
    asked = len([p for p in case.world.site.paths() if p == "/a/1.html"])
    crawl = threading.Thread(
        target=crawl_source_process, args=(load_registry(machine.registry).get("s"), machine), kwargs={"workers": 1}
    )
    crawl.start()
    try:
        wait_for(lambda: case.world.site.paths().count("/a/1.html") > asked, "the crawl's second page")
        case.world.setup.cluster.stop()
    finally:
        held.set()
        case.world.site.routes["/a/1.html"].hold = None
        crawl.join(120)
    return [case.failing_load(machine)]  # the crawl staged its batch; its load cannot reach the catalog


def catalog_stopped_during_the_load(case: Case) -> list[SharedPartUnavailable]:
    case.world.s3.call_at(lake(case), case.world.setup.cluster.stop)  # inside its transaction
    return [case.failing_load(case.machine("a"))]


def catalog_restarted_while_another_machine_holds_the_lock(case: Case) -> list[SharedPartUnavailable]:
    first, second = case.machine("a"), case.machine("b")
    hold = case.world.s3.hold_at(lake(case))  # the first machine's load, inside its transaction
    said: dict[str, SharedPartUnavailable] = {}

    def load(name: str, machine: Settings) -> None:
        said[name] = case.failing_load(machine)

    loads = [threading.Thread(target=load, args=("a", first))]
    loads[0].start()
    assert hold.arrived.wait(60), "the first load never wrote its data"
    loads.append(threading.Thread(target=load, args=("b", second)))
    loads[1].start()
    wait_for(lambda: lock_holders_and_waiters(case) >= 2, "the second machine waiting for the lock")
    case.world.setup.cluster.stop()
    case.world.setup.cluster.start()
    hold.release()
    for thread in loads:
        thread.join(120)
    return [said["a"], said["b"]]


def storage_stopped_during_the_warc_copy(case: Case) -> list[SharedPartUnavailable]:
    case.world.s3.fail_at(archive(case), DOWN)
    return [case.failing_load(case.machine("a"))]


def storage_stopped_during_the_data_write(case: Case) -> list[SharedPartUnavailable]:
    case.world.s3.fail_at(lake(case), DOWN)
    return [case.failing_load(case.machine("a"))]


def storage_answering_500s(case: Case) -> list[SharedPartUnavailable]:
    case.world.s3.set(ERRORS)
    return [case.failing_load(case.machine("a"))]


def storage_slow(case: Case) -> list[SharedPartUnavailable]:
    case.world.s3.set(SLOW)  # every answer 0.3 s late: the load waits, and loads
    [result] = load_staged(case.machine("a"))
    assert result.counts["new"] == PAGES
    return []


def machine_killed_while_it_holds_the_lock(case: Case) -> list[SharedPartUnavailable]:
    """The batch loads in a process of its own (warehouse/load_apart.py), which dies with the command
    as the machine's death would end both; a load in the command's own process killed at each of its
    steps is tests/reliability/test_crash_safety.py's."""
    first, second = case.machine("a"), case.machine("b")
    hold = case.world.s3.hold_at(lake(case))
    process = case.load_process(first, {"PRESSWATCH_LOAD_APART": "1B"})
    assert hold.arrived.wait(60), "the load never wrote its data"
    case.killed(process, first)
    hold.release(forward=False)  # its upload dies with it
    [result] = load_staged(second)  # the catalog's server freed the lock: another machine loads
    assert result.counts["new"] == PAGES
    return []


def machine_killed_while_it_copies_warc_files(case: Case) -> list[SharedPartUnavailable]:
    machine = case.machine("a")
    hold = case.world.s3.hold_at(archive(case))
    process = case.load_process(machine)
    assert hold.arrived.wait(60), "the load never copied a WARC file"
    case.killed(process, machine)
    hold.release(forward=False)
    return []


# fault x moment -> (the outage, what the failing run must name)
MATRIX = {
    catalog_stopped_during_a_crawl: (CatalogUnreachable, "PostgreSQL server"),
    catalog_stopped_during_the_load: (CatalogUnreachable, "PostgreSQL server"),
    catalog_restarted_while_another_machine_holds_the_lock: (CatalogUnreachable, "PostgreSQL server"),
    storage_stopped_during_the_warc_copy: (StorageUnavailable, "cannot publish s/"),
    storage_stopped_during_the_data_write: (StorageUnavailable, "the storage s3://presswatch/"),
    storage_answering_500s: (StorageUnavailable, "cannot publish s/"),
    storage_slow: (None, None),
    machine_killed_while_it_holds_the_lock: (None, None),
    machine_killed_while_it_copies_warc_files: (None, None),
}


@pytest.mark.parametrize("fault", MATRIX, ids=lambda fault: fault.__name__.replace("_", " "))
def test_an_outage_loses_nothing_and_the_next_run_loads_every_page_once(case, fault):
    expected, names = MATRIX[fault]
    said = fault(case)
    for error in said:  # one sentence, naming what is unreachable
        assert isinstance(error, expected) and names in str(error) and "\n" not in str(error), repr(error)
    case.world.servers_up()
    db, archive_root = case.env["PRESSWATCH_DB"], case.env["PRESSWATCH_ARCHIVE"]
    assert all(pending_batches(m.staging) for m in case.failed)  # the batch stays staged on its machine
    if case.failed:
        report = check_warehouse(db, archive=archive_root, deep=True)
        assert report.ok, report.as_dict()  # no half-written snapshot, no version without its capture
    for machine in case.failed:  # the next run there loads it
        load_staged(machine)
        assert pending_batches(machine.staging) == []
    data = case.failed[0].data if case.failed else case.tmp / "a"
    report = check_warehouse(db, staging=data / "staging", loaded=data / "loaded", archive=archive_root, deep=True)
    assert report.ok, report.as_dict()  # every version's capture is in the shared archive and hashes right
    held, (versions, articles) = case.analyst.afterwards()
    assert case.analyst.first == 0 and versions == articles == PAGES  # every page once
    if expected is not CatalogUnreachable:  # the catalog stayed up: the open transaction kept its snapshot
        assert held == 0


def test_a_shared_warehouse_refuses_a_machine_local_archive_before_loading(world, tmp_path, monkeypatch):
    env = world.setup.environment(endpoint=world.s3.url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PRESSWATCH_ARCHIVE")
    machine = tmp_path / "a"
    shutil.copytree(world.crawled["a"], machine)
    with pytest.raises(ArchiveNotShared, match="PRESSWATCH_ARCHIVE is not set"):
        load_staged(Settings(db=env["PRESSWATCH_DB"], data=machine, registry=world.registry))
    assert pending_batches(machine / "staging")


def test_a_crawl_while_the_catalog_is_down_stages_its_batch_and_says_why(world, tmp_path):
    env = world.setup.environment(endpoint=world.s3.url)  # an empty database, down before anything met it
    world.setup.cluster.stop()
    try:
        crawl = run_cli("--sources", str(world.registry), "--data", str(tmp_path / "m"), "crawl", env=env)
    finally:
        world.servers_up()
    assert crawl.returncode == 3, crawl.stdout + crawl.stderr
    out = " ".join(crawl.stdout.split())  # the summary wraps long lines
    assert "load deferred: the catalog's PostgreSQL server of ducklake:postgres:" in out
    # libpq's own words end the sentence: refused, or cut while the server went (a busy machine)
    assert re.search(r"cannot be reached: (Connection refused|server closed the connection unexpectedly)", out)
    assert "Traceback" not in crawl.stderr
    settings = Settings(db=env["PRESSWATCH_DB"], data=tmp_path / "m", registry=world.registry)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        [result] = load_staged(settings)  # the next run, once the server is back
        assert result.counts["new"] == PAGES
        assert check_warehouse(env["PRESSWATCH_DB"], archive=env["PRESSWATCH_ARCHIVE"], deep=True).ok
