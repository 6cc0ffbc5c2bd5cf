"""A shared warehouse (issue: beyond one machine): a DuckLake whose catalog is a real PostgreSQL
server and whose data path is an S3 bucket (moto's server), both on loopback.

Two "machines" (two processes, each with its own data folder) crawl two different demo sites at
the same time into it, while an analyst session attached with `presswatch attach` reads throughout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest

from crawlers.registry import load_registry
from demo_site import DemoSite, demo_registry
from demo_site.content import EXPECTED
from tests.conftest import ROOT, run_cli
from tests.shared_servers import postgres_server, s3_server
from warehouse.db import connect

MACHINES = {"a": ("chinadaily", "xjgov"), "b": ("globaltimes", "unnews")}


@pytest.fixture(scope="module")
def shared():
    """The environment of every machine: PRESSWATCH_DB on PostgreSQL, PRESSWATCH_LAKE_DATA on S3."""
    with postgres_server() as conninfo, s3_server() as aws:
        yield {
            **aws,
            "PRESSWATCH_DB": f"ducklake:postgres:{conninfo}",
            "PRESSWATCH_LAKE_DATA": "s3://presswatch/lake/",
            "PRESSWATCH_ARCHIVE": "s3://presswatch/archive",
            "PRESSWATCH_CRAWL_RETRIES": "0",
            "PRESSWATCH_RETRY_DELAY": "0",
            "PRESSWATCH_LOAD_WAIT": "120",
        }


def _registry(site: DemoSite, names: tuple[str, ...], path):
    text = demo_registry(site.base_url)
    registry = load_registry(_write(path.with_suffix(".all.toml"), text))
    blocks = text.split("[[sources]]")
    keep = [b for b in blocks[1:] if any(f'name = "{n}"' in b or f"name = '{n}'" in b for n in names)]
    assert len(keep) == len(names) and registry
    return _write(path, blocks[0] + "".join("[[sources]]" + b for b in keep))


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


ANALYST = """
import duckdb, sys, time
con = duckdb.connect()
con.execute(open(sys.argv[1]).read())
seen = []
while True:
    try:
        seen.append(con.execute("SELECT count(*) FROM article_versions").fetchall()[0][0])
    except Exception as exc:
        print("ERROR", type(exc).__name__, exc, flush=True)
        break
    if sys.stdin in __import__("select").select([sys.stdin], [], [], 0.2)[0]:
        break
print(min(seen), max(seen), len(seen), flush=True)
"""


def test_two_machines_crawl_into_one_shared_warehouse_while_an_analyst_reads(shared, tmp_path, monkeypatch):
    for name, value in shared.items():
        monkeypatch.setenv(name, value)
    env = dict(os.environ)
    with DemoSite(port=0) as one, DemoSite(port=0) as two:
        registries = {
            "a": _registry(one, MACHINES["a"], tmp_path / "a.toml"),
            "b": _registry(two, MACHINES["b"], tmp_path / "b.toml"),
        }
        with connect(shared["PRESSWATCH_DB"]):  # the catalog exists (migrated) before the analyst attaches
            pass
        attach = run_cli("attach", env=shared)
        assert attach.returncode == 0, attach.stderr
        (tmp_path / "attach.sql").write_text(attach.stdout)
        analyst = subprocess.Popen(
            [sys.executable, "-c", ANALYST, str(tmp_path / "attach.sql")],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        crawls = {}

        def machine(name):
            crawls[name] = run_cli(
                "--sources", str(registries[name]), "--data", str(tmp_path / name), "crawl", env=shared, timeout=600
            )

        threads = [threading.Thread(target=machine, args=(name,)) for name in MACHINES]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        analyst.stdin.write("stop\n")
        analyst.stdin.flush()
        report = analyst.stdout.readline().split()
        analyst.wait(timeout=60)
    for name, result in crawls.items():
        assert result.returncode == 0, (name, result.stdout[-2000:], result.stderr[-2000:])
        assert "batches loaded: 2" in result.stdout and "left staged" not in result.stdout
    assert report[0] != "ERROR", report
    low, high, reads = map(int, report)
    assert reads >= 2 and low <= high
    expected = sum(EXPECTED[n] for names in MACHINES.values() for n in names)
    counts = json.loads(
        run_cli(
            "sql",
            "select source, count(*) as n, count(DISTINCT article_id) as ids from article_versions "
            "group by source order by source",
            "--format",
            "json",
            env=shared,
        ).stdout
    )
    assert {c["source"]: c["n"] for c in counts} == {n: EXPECTED[n] for names in MACHINES.values() for n in names}
    assert all(c["n"] == c["ids"] for c in counts) and sum(c["n"] for c in counts) == expected  # none lost or doubled
    for name in MACHINES:
        check = run_cli("--data", str(tmp_path / name), "check", env=shared)
        assert check.returncode == 0, check.stdout + check.stderr


KILLED_LOAD = """
import sys, time
from warehouse import loader
from warehouse.loader import load_pending

write_versions = loader._write_versions
def paused(con):
    write_versions(con)
    print("PAUSED", flush=True)  # inside the load's transaction, holding the advisory lock
    time.sleep(120)
loader._write_versions = paused
load_pending(sys.argv[1], sys.argv[2], sys.argv[3], wait=30)
"""


def test_a_machine_killed_during_its_load_leaves_the_warehouse_consistent(shared, tmp_path, monkeypatch):
    from flows.crawl_step import crawl_source_process
    from flows.settings import Settings
    from warehouse.loader import load_pending
    from warehouse.staging import pending_batches

    for name, value in shared.items():
        monkeypatch.setenv(name, value)
    settings = Settings(
        db=shared["PRESSWATCH_DB"],
        data=tmp_path / "machine",
        registry=tmp_path / "sources.toml",
        load_wait=30.0,
        crawl_retries=0,
        retry_delay=0.0,
    )
    with DemoSite(port=0) as site:
        settings.registry.write_text(demo_registry(site.base_url), encoding="utf-8")
        crawl_source_process(load_registry(settings.registry).get("xinhua"), settings)
    before = json.loads(
        run_cli(
            "sql", "select count(*) as n from article_versions where source = 'xinhua'", "--format", "json", env=shared
        ).stdout
    )[0]["n"]
    loader = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOAD, shared["PRESSWATCH_DB"], str(settings.staging), str(settings.loaded)],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert loader.stdout.readline().strip() == "PAUSED"
    finally:
        loader.kill()  # SIGKILL mid-transaction: the catalog's server rolls it back and frees the lock
        loader.wait()
    after_kill = json.loads(
        run_cli(
            "sql", "select count(*) as n from article_versions where source = 'xinhua'", "--format", "json", env=shared
        ).stdout
    )[0]["n"]
    assert after_kill == before  # nothing half-written
    assert len(pending_batches(settings.staging)) == 1  # the batch is still there, on its machine
    check = run_cli("--data", str(settings.data), "check", env=shared)
    assert check.returncode == 0, check.stdout + check.stderr
    results = load_pending(settings.db, settings.staging, settings.loaded, wait=30)  # its next run
    assert [r.source for r in results] == ["xinhua"] and results[0].counts["new"] == EXPECTED["xinhua"]
    assert pending_batches(settings.staging) == []


def test_messages_about_a_shared_warehouse_never_show_its_password(shared, tmp_path):
    import duckdb

    legacy = tmp_path / "presswatch.duckdb"
    with duckdb.connect(str(legacy)) as old:
        old.execute((ROOT / "tests" / "fixtures" / "schema_0_1.sql").read_text(encoding="utf-8"))
    env = {**shared, "PRESSWATCH_DB": shared["PRESSWATCH_DB"] + " password=hunter2"}  # trust auth ignores it
    # Refused when the crawls above filled the warehouse; converted (no rows) when this test runs alone.
    upgraded = run_cli("upgrade", str(legacy), env=env)
    said = upgraded.stdout + upgraded.stderr
    assert ("already holds data" in said) if upgraded.returncode else ("converted" in said), said
    assert "password=***" in said and "hunter2" not in said
    stories = run_cli("stories", env=env)
    assert "hunter2" not in stories.stderr + stories.stdout
