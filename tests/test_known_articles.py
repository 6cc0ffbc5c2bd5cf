"""A crawl's known articles come from `python -m warehouse.revisits`, piped into the crawl process:
the process that waits for the crawl never opens the warehouse, and a warehouse that is busy,
unreachable or broken is told apart."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from flows.crawl_step import crawl_environment
from warehouse.loader import load_pending
from warehouse.revisits import BUSY_OR_UNREACHABLE, SourceSchedule

SCHEDULE = SourceSchedule("unnews", ((86400.0, 0.0), (1e12, 86400.0)), 7 * 86400.0)


def _revisits(db, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "warehouse.revisits", *SCHEDULE.arguments(db, wait=1.0)],
        capture_output=True,
        text=True,
        env={**crawl_environment(), **(env or {})},
        timeout=120,
    )


def test_a_second_crawl_reads_its_known_articles_without_duckdb_in_the_waiting_process(demo_pipeline):
    demo_pipeline.crawl("unnews")
    known = demo_pipeline.scalar("SELECT count(*) FROM article_state WHERE source = 'unnews'")
    assert known > 0
    script = textwrap.dedent(
        f"""
        import json, sys
        from pathlib import Path
        from crawlers.registry import load_registry
        from flows.crawl_step import crawl_source_process
        from flows.settings import Settings
        settings = Settings(db=Path({str(demo_pipeline.db)!r}), data=Path({str(demo_pipeline.settings.data)!r}),
                            registry=Path({str(demo_pipeline.settings.registry)!r}), load_wait=5.0)
        outcome = crawl_source_process(load_registry(settings.registry).get("unnews"), settings)
        print(json.dumps({{"due": outcome.due_revisits, "duckdb": "duckdb" in sys.modules}}))
        """
    )
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=crawl_environment(), timeout=300
    )
    assert ran.returncode == 0, ran.stderr
    said = json.loads(ran.stdout.strip().splitlines()[-1])
    assert said == {"due": known, "duckdb": False}  # every article is due right after its first crawl
    settings = demo_pipeline.settings
    (result,) = load_pending(settings.db, settings.staging, settings.loaded)
    assert result.counts["not_modified"] == known  # each revisited with its validators, none fetched whole


def test_the_reader_lists_known_articles_as_json_lines_and_says_how_many_are_due(demo_pipeline):
    demo_pipeline.crawl("unnews")
    ran = _revisits(demo_pipeline.db)
    assert ran.returncode == 0, ran.stderr
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    urls = {url for (url,) in demo_pipeline.query("SELECT url FROM article_state WHERE source = 'unnews'")}
    assert {entry["url"] for entry in lines} == urls
    assert ran.stderr.strip() == f"due {sum(entry['due'] for entry in lines)}"


def test_a_first_crawl_has_no_known_articles(tmp_path):
    ran = _revisits(tmp_path / "warehouse")
    assert (ran.returncode, ran.stdout, ran.stderr.strip()) == (0, "", "due 0")
    assert not (tmp_path / "warehouse").exists()  # reading creates nothing: the first load does


def test_an_unreachable_shared_catalog_means_a_crawl_without_revisits(tmp_path):
    ran = _revisits(
        "ducklake:postgres:host=127.0.0.1 port=9 dbname=presswatch user=nobody connect_timeout=2",
        env={"PRESSWATCH_LAKE_DATA": str(tmp_path / "lake")},
    )
    assert ran.returncode == BUSY_OR_UNREACHABLE
    assert "Traceback" not in ran.stderr and "PostgreSQL" in ran.stderr
    assert ran.stdout == ""


def test_a_broken_warehouse_fails_the_reader_with_one_line(tmp_path):
    (tmp_path / "warehouse").mkdir()
    (tmp_path / "warehouse" / "catalog.sqlite").write_bytes(b"this is not a catalog" * 100)
    ran = _revisits(tmp_path / "warehouse")
    assert ran.returncode == 1
    assert "Traceback" not in ran.stderr and str(tmp_path / "warehouse") in ran.stderr
