"""`presswatch crawl` of the corpus through the real command, watched from outside.

Each run is `presswatch --db D --sources R --data F crawl` in a subprocess. A sampler follows
its whole process tree (the CLI with Prefect, the crawl subprocess, the forkserver and its
extraction workers) for peak memory and for the moments the crawl subprocess appeared and
ended: before it is the CLI's and Prefect's start-up, after it the load, report and shut-down.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from bench.cpu_budget import cpu_per_page
from bench.harness import PROJECT, VENV_BIN, env
from bench.sampler import TreeSampler
from warehouse.db import location, open_location
from warehouse.errors import WarehouseError


def presswatch_crawl(
    db: Path, registry: Path, data: Path, prefect_home: Path, log: Path, via: str = "cli", extra_env: dict | None = None
) -> dict:
    """One crawl and load; via="cli" is the real `presswatch crawl` (Prefect flow), via="direct" runs
    flows.crawl_step and the loader without Prefect (`python -m bench direct-crawl`)."""
    if via in ("cli", "attached"):
        exe = shutil.which("presswatch", path=str(VENV_BIN)) or "presswatch"
        command = [exe, "--db", str(db), "--sources", str(registry), "--data", str(data), "crawl"]
    else:
        command = [
            sys.executable,
            "-m",
            "bench",
            "direct-crawl",
            "--db",
            str(db),
            "--sources",
            str(registry),
            "--data",
            str(data),
        ]
    environment = {**env(), "PREFECT_HOME": str(prefect_home), **(extra_env or {})}
    started = time.monotonic()
    with open(log, "ab") as out:
        # cwd decides which presswatch `python -m crawlers.run` imports (it comes first on sys.path)
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environment, cwd=PROJECT["root"])
        sampler = TreeSampler(process.pid).start()
        code = process.wait()
        sampler.stop()
    wall = time.monotonic() - started
    memory = sampler.summary()
    seen = memory["seen_s"].get("crawl")
    result = {"exit": code, "wall_s": round(wall, 3), "memory": memory}
    if seen:
        result["before_crawl_s"] = round(seen[0], 2)  # CLI import, Prefect start, known-articles export
        result["crawl_process_s"] = round(seen[1] - seen[0], 2)  # python -m crawlers.run, start to exit
        result["after_crawl_s"] = round(wall - seen[1], 2)  # load, report, Prefect shut-down
    result.update(_warehouse_facts(db))
    return result


def _warehouse_facts(db: Path) -> dict:
    try:
        con = open_location(location(db), read_only=True)
    except (duckdb.Error, WarehouseError) as exc:
        return {"warehouse_error": str(exc).splitlines()[0]}
    try:
        versions = con.execute("SELECT count(*) FROM article_versions").fetchall()[0][0]
        articles = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
        runs = con.execute(
            "SELECT pages_fetched, new_articles, edited, retitled, unchanged, not_modified, errors,"
            " date_diff('millisecond', started_at, finished_at) / 1000.0,"
            " date_diff('millisecond', finished_at, loaded_at) / 1000.0"
            " FROM crawl_runs ORDER BY loaded_at DESC LIMIT 1"
        ).fetchall()
        outcomes = dict(
            con.execute(
                "SELECT outcome, count(*) FROM fetches WHERE batch_id = (SELECT batch_id FROM crawl_runs"
                " ORDER BY loaded_at DESC LIMIT 1) AND kind = 'article' GROUP BY 1"
            ).fetchall()
        )
    finally:
        con.close()
    facts = {"versions_total": versions, "articles_total": articles, "article_outcomes": outcomes}
    if runs:
        names = (
            "pages_fetched",
            "new",
            "edited",
            "retitled",
            "unchanged",
            "not_modified",
            "errors",
            "spider_s",
            "finished_to_loaded_s",
        )
        facts["run"] = {
            n: (float(v) if isinstance(v, float) or n.endswith("_s") else v) for n, v in zip(names, runs[0])
        }
    return facts


def direct_crawl(db: str, registry: str, data: str) -> int:
    """Crawl every source of `registry` with flows.crawl_step and load, as the flow does, minus Prefect."""
    from crawlers.registry import load_registry
    from flows.crawl_step import crawl_source_process
    from flows.settings import Settings
    from warehouse.loader import load_pending

    settings = Settings(db=Path(db), data=Path(data), registry=Path(registry), crawl_retries=0, retry_delay=0.0)
    for source in load_registry(settings.registry).sources:
        crawl_source_process(source, settings)
    load_pending(settings.db, settings.staging, settings.loaded, wait=settings.load_wait, archive=settings.archive_root)
    return 0


def crawl_sequence(
    server, pages: int, work: Path, edit_fraction: float, prefect_home: Path, registry: Path, via: str = "cli"
) -> dict:
    """First crawl into an empty warehouse, a recrawl with nothing changed, one after an edit round."""
    work.mkdir(parents=True, exist_ok=True)
    db, data, log = work / "warehouse", work / "data", work / "presswatch.log"
    out = {}
    versions_before = 0
    for name in ("first", "unchanged", "edited"):
        if name == "edited":
            out["edit_round"] = server.edit(edit_fraction)
        server.reset()
        result = presswatch_crawl(db, registry, data, prefect_home, log, via)
        result["server"] = {
            k: v for k, v in server.stats().items() if k in ("articles_200", "articles_304", "by_status", "bytes")
        }
        result["versions_added"] = result.get("versions_total", 0) - versions_before
        versions_before = result.get("versions_total", versions_before)
        result["pages_per_s"] = round(pages / result["wall_s"], 2)
        result["cpu_per_page"] = cpu_per_page(result, pages)
        if result.get("crawl_process_s"):
            result["crawl_only_pages_per_s"] = round(pages / result["crawl_process_s"], 2)
        out[name] = result
        if result["exit"] != 0:
            out["error"] = f"presswatch crawl ({name}) exited with {result['exit']}; see {log}"
            break
    return out
