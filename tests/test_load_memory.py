"""What a load holds in memory and leaves on disk: the steps before the lock read no text of a first
load, DuckDB spills into a folder of its process's own, never into the working directory, a load
big batch loads in a process of its own held to PRESSWATCH_LOAD_MEMORY and one that does not fit
is loaded again without the bound, a small one in the command without it, and the term
index's tokens of a load that was killed are removed by the next one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import make_pipeline
from warehouse.current import known_captured_articles
from warehouse.db import connect
from warehouse.errors import DatabaseLocked
from warehouse.loader import load_batch, load_pending
from warehouse.search_index import TOKENS_FOLDER
from warehouse.staging import pending_batches


def test_a_first_load_reads_no_texts_before_the_lock_and_a_recrawl_those_it_knows(demo_pipeline, tmp_path):
    demo_pipeline.crawl("unnews", load=False)
    (batch,) = pending_batches(demo_pipeline.settings.staging)
    assert known_captured_articles(demo_pipeline.db, batch.records) == []  # no warehouse yet
    demo_pipeline.crawl("unnews", load=True)  # loads the first batch, then stages and loads a recrawl
    known = {a for (a,) in demo_pipeline.query("SELECT article_id FROM articles WHERE source = 'unnews'")}
    (tmp_path / "again").mkdir()
    again = make_pipeline(tmp_path / "again")
    again.settings.registry.write_text(demo_pipeline.settings.registry.read_text())
    again.crawl("unnews", load=False)  # the same pages, staged apart: every captured article is known
    (fresh,) = pending_batches(again.settings.staging)
    assert set(known_captured_articles(demo_pipeline.db, fresh.records)) == known


def test_duckdb_spills_into_a_folder_of_its_process_own(demo_pipeline):
    demo_pipeline.crawl("unnews")
    with connect(demo_pipeline.db, read_only=True) as con:
        spill = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
        optimizers = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    assert spill.endswith(f"presswatch-duckdb-{os.getpid()}") and not spill.startswith(os.getcwd())
    assert optimizers == ""  # a load's setting of its instance is given back to the readers sharing it


def test_a_load_that_cannot_begin_gives_its_instance_settings_back(demo_pipeline):
    """The settings a load changes are the instance's (its readers share them): a load whose
    transaction cannot begin leaves them as it found them."""
    demo_pipeline.crawl("unnews", load=False)
    (batch,) = pending_batches(demo_pipeline.settings.staging)
    with connect(demo_pipeline.db) as con:
        before = con.execute("SELECT current_setting('threads'), current_setting('disabled_optimizers')").fetchone()
        con.execute("BEGIN TRANSACTION")  # a transaction already open: the load's BEGIN fails
        with pytest.raises(duckdb.TransactionException):
            load_batch(con, batch)
        after = con.execute("SELECT current_setting('threads'), current_setting('disabled_optimizers')").fetchone()
    assert after == before


def test_a_big_batch_loads_apart_under_the_bound_and_one_too_big_for_it_is_loaded_again_without(demo_pipeline):
    """PRESSWATCH_LOAD_APART=1B makes the demo's batch a big one: it loads in a process of its own held
    to PRESSWATCH_LOAD_MEMORY, which says (through the command) that the batch did not fit."""
    tight = demo_pipeline.cli(
        "crawl", "--source", "unnews", env={"PRESSWATCH_LOAD_MEMORY": "1MB", "PRESSWATCH_LOAD_APART": "1B"}
    )
    assert tight.returncode == 0, tight.stderr
    assert (
        "did not fit in PRESSWATCH_LOAD_MEMORY=1MB of DuckDB memory: loading it again without the bound" in tight.stderr
    )
    assert "Traceback" not in tight.stderr
    assert "batches loaded: 1" in tight.stdout
    assert demo_pipeline.scalar("SELECT count(*) FROM articles WHERE source = 'unnews'") > 0
    assert not pending_batches(demo_pipeline.settings.staging)  # nothing left staged


def test_the_load_process_named_error_reaches_the_command_and_one_that_dies_leaves_it_the_batches(
    demo_pipeline, monkeypatch, caplog
):
    demo_pipeline.crawl("unnews", load=False)
    monkeypatch.setenv("PRESSWATCH_LOAD_APART", "1B")
    settings = demo_pipeline.settings
    with connect(settings.db):  # another writer holds the write lock: the load process gives up, and says why
        with pytest.raises(DatabaseLocked, match=r"another load \(process \d+\) is writing"):
            load_pending(settings.db, settings.staging, settings.loaded, wait=0.5)
    assert len(pending_batches(settings.staging)) == 1
    monkeypatch.setattr(sys, "executable", shutil.which("false"))  # the load's process exits 1 at once
    results = load_pending(settings.db, settings.staging, settings.loaded, archive=settings.archive)
    assert [(r.source, r.skipped, r.error) for r in results] == [("unnews", False, None)]
    assert "ended with exit code 1 and no answer: loading what it left staged in this process" in caplog.text
    assert demo_pipeline.scalar("SELECT count(*) FROM articles WHERE source = 'unnews'") > 0
    assert not pending_batches(settings.staging)


def test_load_settings_that_are_not_sizes_are_named_and_the_batch_waits_for_a_small_unbounded_load(demo_pipeline):
    bad = demo_pipeline.cli("crawl", "--source", "unnews", env={"PRESSWATCH_LOAD_MEMORY": "plenty"})
    assert bad.returncode != 0
    assert "PRESSWATCH_LOAD_MEMORY='plenty' is not a size: give one like 320MB or 1GB, or 0 for no bound" in bad.stderr
    assert "Traceback" not in bad.stderr
    bad = demo_pipeline.cli("crawl", "--source", "unnews", env={"PRESSWATCH_LOAD_APART": "big"})
    assert bad.returncode != 0
    assert "PRESSWATCH_LOAD_APART='big' is not a size: give one like 64MB" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert len(pending_batches(demo_pipeline.settings.staging)) == 2
    # a small batch loads in the command, without the bound (it would not fit in 1MB)
    good = demo_pipeline.cli("crawl", "--source", "unnews", env={"PRESSWATCH_LOAD_MEMORY": "1MB"})
    assert good.returncode == 0, good.stderr
    assert "did not fit" not in good.stderr and "Traceback" not in good.stderr
    assert demo_pipeline.scalar("SELECT count(*) FROM articles WHERE source = 'unnews'") > 0
    assert not pending_batches(demo_pipeline.settings.staging)


def test_the_index_tokens_of_a_killed_load_are_removed_by_the_next_load(demo_pipeline):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    tokens = demo_pipeline.settings.staging.parent / TOKENS_FOLDER
    abandoned = tokens / f"presswatch-index-{int(dead.stdout)}-x1y2"  # its process is gone
    running = tokens / f"presswatch-index-{os.getpid()}-z3w4"  # a load still preparing: left alone
    for folder in (abandoned, running):
        folder.mkdir(parents=True)
        (folder / "terms.parquet").write_bytes(b"PAR1")
    crawl = demo_pipeline.cli("crawl", "--source", "unnews")
    assert crawl.returncode == 0, crawl.stderr
    assert demo_pipeline.scalar("SELECT count(*) FROM articles WHERE source = 'unnews'") > 0
    assert sorted(p.name for p in tokens.iterdir()) == [running.name]  # and the crawl's own tokens are gone
    assert not pending_batches(demo_pipeline.settings.staging)
    shutil.rmtree(running)  # that load is done: the next one leaves no folder behind
    again = demo_pipeline.cli("crawl", "--source", "unnews")
    assert again.returncode == 0, again.stderr
    assert not tokens.exists() and not any(demo_pipeline.settings.staging.iterdir())


def test_a_small_load_reads_every_band_on_the_instances_threads_and_gives_its_setting_back(demo_pipeline, monkeypatch):
    """A small batch loads on one thread, but near-duplicate matching without the bands read before
    the lock (here: none were) reads every band of the warehouse, however few the new articles:
    that statement gets the instance's threads back."""
    import warehouse.clusters.matching as matching

    seen = []
    candidate_pairs = matching._candidate_pairs

    def watched(con, targets_bands, others=None):
        seen.append(con.execute("SELECT current_setting('threads')").fetchone()[0])
        return candidate_pairs(con, targets_bands, others)

    monkeypatch.setattr(matching, "_candidate_pairs", watched)
    demo_pipeline.crawl("unnews", load=False)
    (batch,) = pending_batches(demo_pipeline.settings.staging)
    with connect(demo_pipeline.db) as con:
        (before,) = con.execute("SELECT current_setting('threads')").fetchone()
        con.execute("SET threads = 3")
        try:
            load_batch(con, batch)
            (after,) = con.execute("SELECT current_setting('threads')").fetchone()
        finally:  # the setting is the process's instance's: later tests in this worker share it
            con.execute(f"SET threads = {before}")
    assert seen == [3] and after == 3
