"""The presswatch command as a user runs it: crawl, sql, sources, demo."""

import json
import os
import subprocess
import sys

import click

from demo_site import demo_registry
from demo_site.content import DELETED_PATH, EDIT, EXPECTED, TOTAL_EXPECTED
from tests.conftest import run_cli
from warehouse.db import connect


def test_crawl_runs_the_ingest_flow_and_prints_a_summary_per_source(tmp_path, site):
    registry = tmp_path / "demo.toml"
    registry.write_text(demo_registry(site.base_url))
    db = tmp_path / "w"
    result = run_cli("--db", str(db), "--sources", str(registry), "crawl", "--source", "unnews", "--source", "xjgov")
    assert result.returncode == 0, result.stderr
    unnews = next(line for line in result.stdout.splitlines() if "unnews" in line)
    assert "ok" in unnews.split()  # the summary has a row per source; its numbers are checked below
    assert "batches loaded: 2" in result.stdout
    runs = run_cli("--db", str(db), "runs", "--format", "json")
    [run] = json.loads(runs.stdout)
    assert run["status"] == "ok" and run["sources"] == "unnews, xjgov"
    assert run["new"] == EXPECTED["unnews"] + EXPECTED["xjgov"]
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


ANALYST = """
import duckdb, sys
con = duckdb.connect()
con.execute(open(sys.argv[1]).read())          # what `presswatch attach` printed
con.execute("BEGIN TRANSACTION")
count = "SELECT count(*) FROM article_versions"
print(con.execute(count).fetchall()[0][0], flush=True)
sys.stdin.readline()                            # the crawl has ended
print(con.execute(count).fetchall()[0][0], flush=True)
con.execute("COMMIT")
print(con.execute(count).fetchall()[0][0], con.execute("SELECT count(*) FROM article_changes").fetchall()[0][0], flush=True)
"""


def test_an_analyst_transaction_open_through_a_crawl_never_defers_its_load(tmp_path, site):
    registry = tmp_path / "demo.toml"
    registry.write_text(demo_registry(site.base_url))
    db = str(tmp_path / "warehouse")
    first = run_cli("--db", db, "--sources", str(registry), "crawl", "--source", "globaltimes")
    assert first.returncode == 0, first.stderr
    attach = run_cli("--db", db, "attach")
    assert attach.returncode == 0 and all(line.endswith(";") for line in attach.stdout.splitlines()), attach.stdout
    (tmp_path / "attach.sql").write_text(attach.stdout)
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(tmp_path / "attach.sql")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        before = int(analyst.stdout.readline())
        site.set_stage(2)  # globaltimes edits an article
        crawl = run_cli("--db", db, "--sources", str(registry), "crawl", "--source", "globaltimes")
        analyst.stdin.write("\n")
        analyst.stdin.flush()
        during = int(analyst.stdout.readline())
        after, changes = map(int, analyst.stdout.readline().split())
    finally:
        analyst.kill()
        analyst.wait()
    assert crawl.returncode == 0, crawl.stdout + crawl.stderr
    assert "batches loaded: 1" in crawl.stdout and "left staged" not in crawl.stdout
    assert during == before  # the open transaction kept its snapshot
    assert after == before + 1 and changes == 1  # then it sees the edit's new version


def test_sql_on_a_missing_warehouse_says_what_to_do(tmp_path):
    result = run_cli("--db", str(tmp_path / "none"), "sql", "select 1")
    assert result.returncode == 1
    assert "does not exist: run `presswatch crawl` (or `presswatch demo`) first" in result.stderr


def test_sources_lists_the_registry_with_last_runs(pipeline, site):
    pipeline.use_registry(demo_registry(site.base_url)).crawl("xjgov")
    result = run_cli("--db", str(pipeline.db), "--sources", str(pipeline.settings.registry), "sources")
    assert result.returncode == 0
    xjgov = next(line for line in result.stdout.splitlines() if "xjgov" in line)
    assert " ok " in xjgov and f"({EXPECTED['xjgov']} new)" in xjgov
    unnews = next(line for line in result.stdout.splitlines() if "unnews" in line)
    assert "never" in unnews


def test_demo_reports_the_edit_and_the_deletion(tmp_path):
    db = tmp_path / "demo" / "warehouse"
    # As README and `demo --help` write it, with no Prefect server running: the demo starts its own.
    result = run_cli("demo", "--db", str(db), "--port", "0", env={"PREFECT_API_URL": ""})
    assert result.returncode == 0, result.stderr
    assert (db.parent / "prefect" / "prefect.db").exists()  # where its runs were recorded
    assert db.exists() and (db.parent / "demo-sources.toml").exists()  # --data defaults beside --db
    out = " ".join(result.stdout.split())
    assert "What changed (2 change(s)" in out
    assert "deleted: " in out and DELETED_PATH in out
    assert "edited (silent: the page's dates did not move)" in out
    assert f"- {EDIT['old']}" in out and f"+ {EDIT['new']}" in out
    count = run_cli("--db", str(db), "sql", "select count(*) as n from articles", "--format", "csv")
    assert count.stdout.splitlines()[1] == str(TOTAL_EXPECTED - 1)


def test_a_source_whose_every_request_failed_is_failed_in_sources_and_runs(pipeline):
    from tests.servers import registry_entry

    pipeline.use_registry(
        registry_entry("closed", "http://127.0.0.1:9", feeds=["http://127.0.0.1:9/feed.xml"], article_pattern="/news/")
    )
    pipeline.crawl("closed")
    listed = run_cli(
        "--db", str(pipeline.db), "--sources", str(pipeline.settings.registry), "sources", "--format", "json"
    )
    assert listed.returncode == 0, listed.stderr
    [closed] = json.loads(listed.stdout)
    assert "failed" in closed["last run"] and "complete" not in closed["last run"], closed
    runs = json.loads(run_cli("--db", str(pipeline.db), "runs", "--format", "json").stdout)
    assert runs[0]["status"] == "failed"
    assert pipeline.query("SELECT status, outcome FROM crawl_runs") == [("complete", "failed")]


def test_commands_on_a_warehouse_crawled_with_another_registry_say_what_they_skip(demo_pipeline):
    demo_pipeline.crawl("xjgov", "unnews")
    demo_registry = str(demo_pipeline.settings.registry.resolve())
    assert demo_pipeline.query("SELECT name, registry FROM sources ORDER BY 1") == [
        ("unnews", demo_registry),
        ("xjgov", demo_registry),
    ]
    assert demo_pipeline.query("SELECT DISTINCT outcome FROM crawl_runs") == [("ok",)]

    listed = run_cli("--db", str(demo_pipeline.db), "sources", "--format", "json")  # the bundled registry
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["xjgov"]["discovery"] == "not in this registry" and " ok (" in rows["xjgov"]["last run"]
    assert rows["unnews"]["last run"].endswith(", other registry")
    assert rows["chinadaily"]["last run"] == "never"
    assert f"the warehouse also holds xjgov, crawled from {demo_registry}" in listed.stderr
    assert f"unnews: the warehouse's runs came from {demo_registry}" in listed.stderr

    redone = run_cli("--db", str(demo_pipeline.db), "reextract", "--dry-run")
    assert redone.returncode == 0, redone.stderr
    assert "skipped xjgov: not in " in redone.stderr and f"--sources {demo_registry}" in redone.stderr
    mine = run_cli("--db", str(demo_pipeline.db), "--sources", demo_registry, "sources", "--format", "json")
    assert "note:" not in mine.stderr and len(json.loads(mine.stdout)) == 5


def test_global_options_work_after_the_command_and_win_there(tmp_path):
    db = tmp_path / "w.duckdb"
    with connect(db):
        pass
    after = run_cli("sql", "select 42 as n", "--db", str(db), "--format", "json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == [{"n": 42}]
    both = run_cli("--db", str(tmp_path / "none.duckdb"), "sql", "select 1", "--db", str(db))
    assert both.returncode == 0, both.stderr
    env = run_cli("sql", "select 1", "--db", str(db), env={"PRESSWATCH_DB": str(tmp_path / "none.duckdb")})
    assert env.returncode == 0, env.stderr  # a flag after the command beats the environment too
    registry = tmp_path / "mine.toml"
    registry.write_text(demo_registry("http://127.0.0.1:9"))
    listed = run_cli("sources", "--sources", str(registry), "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    assert "xjgov" in listed.stdout


def test_format_choices_ignore_case(tmp_path):
    db = tmp_path / "w.duckdb"
    with connect(db):
        pass
    result = run_cli("--db", str(db), "sql", "select 1 as n", "--format", "JSON")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"n": 1}]
    from flows.cli import cli

    for name, command in cli.commands.items():
        for param in command.params:
            if isinstance(param.type, click.Choice):
                assert not param.type.case_sensitive, f"{param.name} of `presswatch {name}` is case-sensitive"


def test_crawl_parallel_shares_the_cores_among_its_crawls(tmp_path, site):
    """`--parallel N` runs N crawls at once with the cores shared out: never N x cores extraction workers."""
    registry = tmp_path / "demo.toml"
    registry.write_text(demo_registry(site.base_url))
    cores = os.cpu_count() or 1
    for parallel, sources in ((1, ("unnews",)), (2, ("unnews", "xjgov"))):
        data = tmp_path / f"data-{parallel}"
        picks = [arg for name in sources for arg in ("--source", name)]
        result = run_cli(
            "--db",
            str(tmp_path / f"w{parallel}.duckdb"),
            "--sources",
            str(registry),
            "--data",
            str(data),
            "crawl",
            "--parallel",
            str(parallel),
            *picks,
        )
        assert result.returncode == 0, result.stderr
        manifests = [json.loads(p.read_text()) for p in (data / "loaded").rglob("manifest.json")]
        assert len(manifests) == len(sources)
        assert all(m["extract_workers"] == max(1, cores // parallel) for m in manifests), manifests
