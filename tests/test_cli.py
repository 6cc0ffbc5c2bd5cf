"""The presswatch command as a user runs it: crawl, sql, sources, demo."""

import json
import os
import subprocess
import sys

from crawlers.demo_site import demo_registry
from crawlers.demo_site.content import DELETED_PATH, EDIT, EXPECTED, TOTAL_EXPECTED
from tests.conftest import run_cli


def test_crawl_runs_the_ingest_flow_and_prints_a_summary_per_source(tmp_path, site):
    registry = tmp_path / "demo.toml"
    registry.write_text(demo_registry(site.base_url))
    db = tmp_path / "w.duckdb"
    result = run_cli("--db", str(db), "--sources", str(registry), "crawl", "--source", "unnews", "--source", "xjgov")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    unnews = next(line for line in lines if "unnews" in line).split("│")
    assert unnews[2].strip() == "ok" and unnews[4].strip() == str(EXPECTED["unnews"])  # new articles
    assert "batches loaded: 2" in result.stdout
    assert "Traceback" not in result.stderr
    count = run_cli("--db", str(db), "sql", "select count(*) as n from articles", "--format", "json")
    assert json.loads(count.stdout) == [{"n": EXPECTED["unnews"] + EXPECTED["xjgov"]}]


def test_sql_formats_and_read_only(pipeline, site):
    pipeline.use_registry(demo_registry(site.base_url)).crawl("xinhua")
    db = str(pipeline.db)
    query = "select source, count(*) as n from articles group by source"
    table = run_cli("--db", db, "sql", query)
    assert "source" in table.stdout and "xinhua" in table.stdout and table.returncode == 0
    csv = run_cli("--db", db, "sql", query, "--format", "csv")
    assert csv.stdout.splitlines() == ["source,n", f"xinhua,{EXPECTED['xinhua']}"]
    refused = run_cli("--db", db, "sql", "delete from article_versions")
    assert refused.returncode == 1 and "read-only" in refused.stderr and "Traceback" not in refused.stderr
    broken = run_cli("--db", db, "sql", "selec nothing")
    assert broken.returncode == 1 and "query failed" in broken.stderr


def test_sql_waits_for_a_writer_then_fails_clearly(pipeline, site):
    pipeline.use_registry(demo_registry(site.base_url)).crawl("unnews")
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('writing', flush=True); time.sleep(60)", str(pipeline.db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "writing"
        result = run_cli("--db", str(pipeline.db), "sql", "select 1", "--wait", "0.5")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert "is locked by another process" in result.stderr and "try again" in result.stderr


def test_sql_on_a_missing_warehouse_says_what_to_do(tmp_path):
    result = run_cli("--db", str(tmp_path / "none.duckdb"), "sql", "select 1")
    assert result.returncode == 1
    assert "does not exist: run `presswatch crawl` (or `presswatch demo`) first" in result.stderr


def test_sources_lists_the_registry_with_last_runs(pipeline, site):
    pipeline.use_registry(demo_registry(site.base_url)).crawl("xjgov")
    result = run_cli("--db", str(pipeline.db), "--sources", str(pipeline.settings.registry), "sources")
    assert result.returncode == 0
    xjgov = next(line for line in result.stdout.splitlines() if "xjgov" in line)
    assert "complete" in xjgov and f"({EXPECTED['xjgov']} new)" in xjgov
    unnews = next(line for line in result.stdout.splitlines() if "unnews" in line)
    assert "never" in unnews


def test_demo_reports_the_edit_and_the_deletion(tmp_path):
    db = tmp_path / "demo" / "presswatch.duckdb"
    result = run_cli("--db", str(db), "demo", "--port", "0")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "What changed (2 change(s)" in out
    assert "deleted: " in out and DELETED_PATH in out
    assert "edited (silent: the page's dates did not move)" in out
    assert f"- {EDIT['old']}" in out and f"+ {EDIT['new']}" in out
    count = run_cli("--db", str(db), "sql", "select count(*) as n from articles", "--format", "csv")
    assert count.stdout.splitlines()[1] == str(TOTAL_EXPECTED - 1)


def test_crawl_parallel_shares_the_cores_among_its_crawls(tmp_path, site):
    """`--parallel N` runs N crawls at once with the cores shared out: never N x cores extraction workers."""
    registry = tmp_path / "demo.toml"
    registry.write_text(demo_registry(site.base_url))
    cores = os.cpu_count() or 1
    for parallel, sources in ((1, ("unnews",)), (2, ("unnews", "xjgov"))):
        data = tmp_path / f"data-{parallel}"
        picks = [arg for name in sources for arg in ("--source", name)]
        result = run_cli("--db", str(tmp_path / f"w{parallel}.duckdb"), "--sources", str(registry), "--data", str(data),
                         "crawl", "--parallel", str(parallel), *picks)
        assert result.returncode == 0, result.stderr
        manifests = [json.loads(p.read_text()) for p in (data / "loaded").rglob("manifest.json")]
        assert len(manifests) == len(sources)
        assert all(m["extract_workers"] == max(1, cores // parallel) for m in manifests), manifests
