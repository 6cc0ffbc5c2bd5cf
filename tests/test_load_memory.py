"""What a load holds in memory: the steps before the lock read no text of a first load, DuckDB
spills into a folder of its process's own, never into the working directory, and a load held to
PRESSWATCH_LOAD_MEMORY that does not fit is loaded again without the bound."""

from __future__ import annotations

import os

from tests.conftest import make_pipeline
from warehouse.current import known_captured_articles
from warehouse.db import connect


def test_a_first_load_reads_no_texts_before_the_lock_and_a_recrawl_those_it_knows(demo_pipeline, tmp_path):
    demo_pipeline.crawl("unnews", load=False)
    (batch,) = [b for b in demo_pipeline.settings.staging.iterdir() if b.is_dir()]
    assert known_captured_articles(demo_pipeline.db, batch / "records.jsonl") == []  # no warehouse yet
    demo_pipeline.crawl("unnews", load=True)  # loads the first batch, then stages and loads a recrawl
    known = {a for (a,) in demo_pipeline.query("SELECT article_id FROM articles WHERE source = 'unnews'")}
    (tmp_path / "again").mkdir()
    again = make_pipeline(tmp_path / "again")
    again.settings.registry.write_text(demo_pipeline.settings.registry.read_text())
    again.crawl("unnews", load=False)  # the same pages, staged apart: every captured article is known
    (fresh,) = [b for b in again.settings.staging.iterdir() if b.is_dir()]
    assert set(known_captured_articles(demo_pipeline.db, fresh / "records.jsonl")) == known


def test_duckdb_spills_into_a_folder_of_its_process_own(demo_pipeline):
    demo_pipeline.crawl("unnews")
    with connect(demo_pipeline.db, read_only=True) as con:
        spill = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
    assert spill.endswith(f"presswatch-duckdb-{os.getpid()}") and not spill.startswith(os.getcwd())


def test_a_batch_too_big_for_the_load_memory_bound_is_loaded_again_without_it(demo_pipeline):
    tight = demo_pipeline.cli("crawl", "--source", "unnews", env={"PRESSWATCH_LOAD_MEMORY": "1MB"})
    assert tight.returncode == 0, tight.stderr
    assert (
        "did not fit in PRESSWATCH_LOAD_MEMORY=1MB of DuckDB memory: loading it again without the bound" in tight.stderr
    )
    assert "Traceback" not in tight.stderr
    assert demo_pipeline.scalar("SELECT count(*) FROM articles WHERE source = 'unnews'") > 0
    assert not [b for b in demo_pipeline.settings.staging.iterdir() if b.is_dir()]  # nothing left staged


def test_a_load_memory_setting_that_is_not_a_size_is_named_and_the_batch_waits(demo_pipeline):
    bad = demo_pipeline.cli("crawl", "--source", "unnews", env={"PRESSWATCH_LOAD_MEMORY": "plenty"})
    assert bad.returncode != 0
    assert "PRESSWATCH_LOAD_MEMORY='plenty' is not a size: give one like 320MB or 1GB, or 0 for no bound" in bad.stderr
    assert "Traceback" not in bad.stderr
    good = demo_pipeline.cli("crawl", "--source", "unnews", env={"PRESSWATCH_LOAD_MEMORY": "0"})
    assert good.returncode == 0, good.stderr
    assert demo_pipeline.scalar("SELECT count(*) FROM articles WHERE source = 'unnews'") > 0
