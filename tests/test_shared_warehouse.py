"""A shared warehouse (docs/operations.md, "On many machines"): a DuckLake whose catalog is a real
PostgreSQL server and whose data path and WARC archive are in an S3 bucket (moto's server), all on
loopback. Every test starts where an operator does: an empty database (`createdb`), an empty
bucket, the shared environment of step 3. Nothing is prepared from Python first: each command's
first contact with the empty catalog is the one a user makes. (Served and pool runs are the same
`ingest` flow: tests/test_work_pool.py runs two at once, on two workers, against an empty database.)
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import threading
from datetime import datetime

import pytest

from demo_site import DemoSite, demo_registry
from demo_site.content import EXPECTED
from tests.conftest import ROOT, run_cli
from tests.shared_servers import shared_setup
from warehouse.query import run_query

MACHINES = {"a": "xjgov", "b": "unnews"}


@pytest.fixture(scope="module")
def servers():
    with shared_setup() as setup:
        yield setup


@pytest.fixture(scope="module")
def demo():
    with DemoSite(port=0) as site:
        yield site


def _sql(env: dict, query: str) -> list[dict]:
    done = run_cli("sql", query, "--format", "json", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


ANALYST = """
import duckdb, select, sys
con = duckdb.connect()
con.execute(open(sys.argv[1]).read())
seen = []
while True:
    try:
        seen.append(con.execute("SELECT count(*) FROM article_versions").fetchall()[0][0])
    except Exception as exc:
        print("ERROR", type(exc).__name__, exc, flush=True)
        break
    if select.select([sys.stdin], [], [], 0.1)[0]:
        break
print(min(seen), max(seen), len(seen), flush=True)
"""


def test_two_machines_crawl_at_once_into_an_empty_shared_catalog_while_an_analyst_attaches(
    servers, demo, tmp_path, monkeypatch
):
    shared = servers.environment()
    registries = {}
    for machine, source in MACHINES.items():
        registries[machine] = tmp_path / f"{machine}.toml"
        registries[machine].write_text(demo_registry(demo.base_url, (source,)), encoding="utf-8")
    crawls = {}

    def machine(name):
        crawls[name] = run_cli(
            "--sources", str(registries[name]), "--data", str(tmp_path / name), "crawl", env=shared, timeout=120
        )

    threads = [threading.Thread(target=machine, args=(name,)) for name in MACHINES]
    for thread in threads:
        thread.start()
    # The analyst attaches while both machines make their first contact with the empty catalog.
    attach = run_cli("attach", env=shared)
    assert attach.returncode == 0, attach.stderr
    (tmp_path / "attach.sql").write_text(attach.stdout)
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(tmp_path / "attach.sql")],
        env={**os.environ, **shared},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    for thread in threads:
        thread.join()
    analyst.stdin.write("stop\n")
    analyst.stdin.flush()
    report = analyst.stdout.readline().split()
    analyst.wait(timeout=60)
    for name, result in crawls.items():
        assert result.returncode == 0, (name, result.stdout[-2000:], result.stderr[-2000:])
        assert "batches loaded: 1" in result.stdout and "left staged" not in result.stdout
    assert report and report[0] != "ERROR", report
    low, high, reads = map(int, report)
    assert reads >= 2 and low <= high
    for name, value in shared.items():
        monkeypatch.setenv(name, value)
    _, counts = run_query(
        shared["PRESSWATCH_DB"],
        "select source, count(*), count(DISTINCT article_id) from article_versions group by source",
    )
    assert {source: (n, ids) for source, n, ids in counts} == {
        source: (EXPECTED[source], EXPECTED[source]) for source in MACHINES.values()
    }  # every page once: none lost, none doubled
    third = run_cli("--data", str(tmp_path / "third"), "check", "--deep", env=shared)  # reads the shared archive
    assert third.returncode == 0, third.stdout + third.stderr


def test_sql_attach_and_check_each_meet_an_empty_shared_catalog(servers, tmp_path):
    secret = "pw-test-secret-key-7c41"
    for command in ("sql", "attach", "check"):
        env = {**servers.environment(), "AWS_SECRET_ACCESS_KEY": secret}
        if command == "sql":
            assert _sql(env, "select count(*) as n from articles") == [{"n": 0}]
        elif command == "check":
            checked = run_cli("--data", str(tmp_path / "analyst"), "check", env=env)
            assert checked.returncode == 0, checked.stdout + checked.stderr
            assert "FAIL" not in checked.stdout
        else:
            attach = run_cli("attach", env=env)
            assert attach.returncode == 0, attach.stderr
            assert (
                secret not in attach.stdout and "credential_chain" in attach.stdout
            )  # the key stays in the environment
            script = tmp_path / "attach.sql"
            script.write_text(attach.stdout)
            # A plain DuckDB session (no presswatch code) with the analyst's own AWS_* variables.
            read = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import duckdb, sys; con = duckdb.connect(); con.execute(open(sys.argv[1]).read()); "
                    "print(con.execute('select count(*) from articles').fetchall()[0][0])",
                    str(script),
                ],
                env={**os.environ, **env},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert read.returncode == 0 and read.stdout.strip() == "0", read.stderr
            explicit = run_cli("attach", "--with-secret", env=env)
            assert explicit.returncode == 0 and f"SECRET '{secret}'" in explicit.stdout


def test_a_shared_catalog_with_a_machine_local_archive_is_refused_before_anything_loads(servers, demo, tmp_path):
    env = {k: v for k, v in servers.environment().items() if k != "PRESSWATCH_ARCHIVE"}
    env["PRESSWATCH_ARCHIVE"] = ""  # unset on this machine (run_cli merges it over the test's environment)
    registry = tmp_path / "sources.toml"
    registry.write_text(demo_registry(demo.base_url, ("xjgov",)), encoding="utf-8")
    crawl = run_cli("--sources", str(registry), "--data", str(tmp_path / "m"), "crawl", env=env)
    said = crawl.stdout + crawl.stderr
    assert crawl.returncode == 2, said
    assert "is shared, but PRESSWATCH_ARCHIVE is not set" in said and "Traceback" not in said
    assert not (tmp_path / "m" / "staging").exists()  # refused before the crawl: nothing to load later either
    check = run_cli("--data", str(tmp_path / "m"), "check", env=env)
    assert check.returncode == 2 and "PRESSWATCH_ARCHIVE is not set" in check.stderr, check.stdout + check.stderr


def test_messages_about_a_shared_warehouse_never_show_its_password(servers, tmp_path):
    import duckdb

    legacy = tmp_path / "presswatch.duckdb"
    with duckdb.connect(str(legacy)) as old:
        old.execute((ROOT / "tests" / "fixtures" / "schema_0_1.sql").read_text(encoding="utf-8"))
    shared = servers.environment()
    env = {**shared, "PRESSWATCH_DB": shared["PRESSWATCH_DB"] + " password=hunter2"}  # trust auth ignores it
    upgraded = run_cli("upgrade", str(legacy), env=env)
    said = upgraded.stdout + upgraded.stderr
    assert upgraded.returncode == 0 and "converted" in said, said
    assert "password=***" in said and "hunter2" not in said
    stories = run_cli("stories", env=env)
    assert "hunter2" not in stories.stderr + stories.stdout


def _own_addresses(batch, source: str):
    """A synthetic batch whose URLs and article ids are the source's own (bench batches share them)."""
    records = []
    for line in batch.records.read_text(encoding="utf-8").splitlines():
        record = json.loads(line.replace("synth.example", f"{source}.example"))
        if record.get("article_id"):
            record["article_id"] = hashlib.sha1((source + record["article_id"]).encode()).hexdigest()[:20]
        records.append(json.dumps(record))
    batch.records.write_text("\n".join(records) + "\n", encoding="utf-8")
    return batch


def test_a_load_on_a_shared_catalog_reads_its_bands_before_the_lock_and_links_as_a_rebuild(
    servers, tmp_path, monkeypatch
):
    """The bands a load reads before the write lock are brought up to date from DuckLake's change
    feed on the PostgreSQL catalog too (not silently dropped for a scan), including a load that
    committed reprints in between; the near-duplicate pairs are those a full rebuild finds."""
    from bench import text
    from bench.synthetic import write_batch
    from warehouse import loader
    from warehouse.clusters import neighbours, presign, refresh_clusters
    from warehouse.db import connect
    from warehouse.search_index import prepare_batch

    shared = servers.environment()
    for name, value in shared.items():
        monkeypatch.setenv(name, value)
    db = shared["PRESSWATCH_DB"]
    settled = []
    settle = neighbours.settle
    monkeypatch.setattr(loader, "settle", lambda con, read: settled.append(settle(con, read)) or settled[-1])
    rng = random.Random(5)
    pool = [text.paragraph(rng, (3, 6)) for _ in range(300)]
    plan = [("s1", "a", 0, 0), ("s2", "a", 20, 0), ("s1", "b", 0, 2), ("s2", "c", 20, 3)]  # s2 reprints half of s1
    staging = tmp_path / "staging"
    batches = [
        _own_addresses(
            write_batch(staging / f"b{i}", 40, source, edits, datetime(2024, 7, 1 + i), pool, tag, start), source
        )
        for i, (source, tag, start, edits) in enumerate(plan)
    ]

    def load(batch):
        return loader.load_pending(db, staging, tmp_path / "loaded", keep=lambda b: b.batch_id == batch.batch_id)

    load(batches[0])
    load(batches[1])
    presigned = presign(batches[2].records)
    prepared = prepare_batch(batches[2].records)
    try:
        early = neighbours.read_neighbours(db, presigned, prepared.folder)
        load(batches[3])  # edits and new bands in the same buckets, committed after the read
        with connect(db, wait=60) as con:
            loader.load_batch(con, batches[2], presigned, prepared, None, None, early)
    finally:
        prepared.discard()
    assert early is not None and len(settled) == 4 and all(settled)
    with connect(db) as con:
        edges = sorted(con.execute("SELECT a, b, similarity FROM story_edges").fetchall())
        con.execute("BEGIN TRANSACTION")
        refresh_clusters(con, None)
        rebuilt = sorted(con.execute("SELECT a, b, similarity FROM story_edges").fetchall())
        con.execute("ROLLBACK")
    assert edges and edges == rebuilt
