"""A load holds DuckDB's buffers to PRESSWATCH_LOAD_MEMORY (default 128 MB per thread, 256 MB at
least) and spills the rest into a folder of its process's own, never into the working directory."""

from __future__ import annotations

import os

import pytest

from tests.conftest import run_cli
from tests.servers import registry_entry
from warehouse.db import connect
from warehouse.load_memory import LOAD_MEMORY_ENV, LoadMemoryInvalid, load_memory_limit


def test_the_limit_scales_with_threads_and_the_setting_wins(monkeypatch):
    monkeypatch.delenv(LOAD_MEMORY_ENV, raising=False)
    assert (load_memory_limit(1), load_memory_limit(2), load_memory_limit(8)) == ("256MB", "256MB", "1024MB")
    monkeypatch.setenv(LOAD_MEMORY_ENV, " 1.5 GB ")
    assert load_memory_limit(8) == "1.5GB"
    monkeypatch.setenv(LOAD_MEMORY_ENV, "lots")
    with pytest.raises(LoadMemoryInvalid, match="PRESSWATCH_LOAD_MEMORY='lots' is not a memory size"):
        load_memory_limit(2)


def test_a_bad_setting_is_refused_before_anything_is_crawled(tmp_path):
    registry = tmp_path / "sources.toml"
    registry.write_text(
        registry_entry("s", "http://127.0.0.1:9", feeds=["http://127.0.0.1:9/feed.xml"], article_pattern="/a/")
    )
    ran = run_cli(
        "--db", str(tmp_path / "w"), "--sources", str(registry), "--data", str(tmp_path / "data"), "crawl",
        env={LOAD_MEMORY_ENV: "half of it"},
    )  # fmt: skip
    assert ran.returncode == 2
    said = ran.stderr.strip().splitlines()
    assert len(said) == 1 and "PRESSWATCH_LOAD_MEMORY='half of it' is not a memory size" in said[0], ran.stderr
    assert not (tmp_path / "data" / "staging").exists() or not any((tmp_path / "data" / "staging").iterdir())


def test_a_bounded_load_loads_everything_and_gives_readers_the_instance_limit_back(demo_pipeline, monkeypatch):
    with connect(demo_pipeline.db) as con:
        instance_limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    monkeypatch.setenv(LOAD_MEMORY_ENV, "300MB")
    (result,) = [r for r in demo_pipeline.crawl("unnews") if not r.skipped]
    assert result.counts["new"] > 0
    assert demo_pipeline.scalar("SELECT count(*) FROM articles") == result.counts["new"]
    with connect(demo_pipeline.db, read_only=True) as con:
        limit, spill = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    assert limit == instance_limit
    assert spill.endswith(f"presswatch-duckdb-{os.getpid()}") and not spill.startswith(os.getcwd())
