"""DuckLake upkeep at scale: many small loads, then the file count and query times before and after
`presswatch maintain` (warehouse.maintain)."""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench.synthetic import paragraph_pool, time_queries, write_batch
from warehouse.db import connect
from warehouse.loader import load_batch
from warehouse.maintain import lake_files, maintain


def upkeep_after_loads(work: Path, loads: int, articles: int, repeat: int = 3) -> dict:
    """`loads` batches of the same `articles` captures, 5 % of them edited in each, then query
    times, `maintain`, and query times again."""
    folder = work / "upkeep"
    shutil.rmtree(folder, ignore_errors=True)
    db = folder / "warehouse"
    pool = paragraph_pool()
    started = time.perf_counter()
    load_s = []
    with connect(db) as con:
        for n in range(loads):
            batch = write_batch(
                folder / f"b{n}",
                articles,
                edit_every=20,
                pool=pool,
                tag="a" if n == 0 else f"e{n}",
                base_time=datetime(2024, 7, 1) + timedelta(hours=n),
            )
            tick = time.perf_counter()
            load_batch(con, batch)
            load_s.append(time.perf_counter() - tick)
            shutil.rmtree(folder / f"b{n}")
        before = lake_files(con)
    loading = time.perf_counter() - started
    queries_before = time_queries(db, repeat=repeat)
    upkeep = maintain(db, retention=timedelta(0), grace=timedelta(0))
    queries_after = time_queries(db, repeat=repeat)
    with connect(db, read_only=True) as con:
        after = lake_files(con)
    files_on_disk = sum(1 for p in (db / "files").rglob("*") if p.is_file())
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "loads": loads,
        "articles_per_load": articles,
        "load_all_s": round(loading, 1),
        "median_load_s": round(sorted(load_s)[len(load_s) // 2], 3),
        "before": vars(before),
        "after": vars(after),
        "maintain_s": upkeep.seconds,
        "files_on_disk_after": files_on_disk,
        "queries_before": {k: v.get("warm_s") for k, v in queries_before.items()},
        "queries_after": {k: v.get("warm_s") for k, v in queries_after.items()},
    }
