"""`python -m bench prefect`: what Prefect costs a short `presswatch crawl`, for each way of recording the run.

The same small crawl (a few pages of the synthetic corpus, a fresh warehouse each time) runs
under each mode, and the sampler follows the command's process tree:

* `own-server`: no PREFECT_API_URL and no serve: the command starts a server of its own
  (`prefect server start --no-services`, SQLite under PREFECT_HOME) before it imports Prefect, and
  stops it at exit (flows/prefect_server.api_for_one_command);
* `own-server-no-migrate`: the same with PREFECT_API_DATABASE_MIGRATE_ON_START=false (the database
  was migrated by the warm-up run);
* `attached`: a local server started once beforehand (as `presswatch serve` does, flows/prefect_server.py);
  the command finds it through PREFECT_HOME/server.json and only talks HTTP to it. The server's own
  memory is reported apart: it is paid once for all runs, not per run;
* `direct`: flows.crawl_step and the loader without Prefect at all (`python -m bench direct-crawl`), the floor.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path

from bench.crawls import presswatch_crawl
from bench.harness import ServerProcess, bench_registry
from bench.sampler import TreeSampler, rss_bytes, tree


def measure(pages: int = 20, repeat: int = 3, workdir: str | None = None) -> dict:
    from flows.prefect_server import PrefectServer

    work = Path(workdir or tempfile.mkdtemp(prefix="pw-prefect-"))
    work.mkdir(parents=True, exist_ok=True)
    home = work / "prefect"
    out: dict = {"pages": pages, "repeat": repeat, "modes": {}}
    with ServerProcess(pages) as site:
        registry = work / "registry.toml"
        registry.write_text(bench_registry(site.base, pages), encoding="utf-8")

        def run(mode: str, extra_env: dict | None = None, via: str = "cli", prefect_home: Path = home) -> None:
            runs = []
            for r in range(repeat + 1):  # the first run warms the database and is left out
                folder = work / f"{mode}-{r}"
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
                result = presswatch_crawl(
                    folder / "w", registry, folder / "data", prefect_home, folder / "log", via, extra_env=extra_env
                )
                if r:
                    runs.append(result)
            out["modes"][mode] = {
                "wall_s": round(statistics.median(r["wall_s"] for r in runs), 2),
                "before_crawl_s": round(statistics.median(r.get("before_crawl_s") or 0 for r in runs), 2),
                "after_crawl_s": round(statistics.median(r.get("after_crawl_s") or 0 for r in runs), 2),
                "peak_rss_mb": round(statistics.median(r["memory"]["peak_rss_mb"] for r in runs), 1),
                "peak_rss_by_kind_mb": runs[-1]["memory"]["peak_rss_by_kind_mb"],
                "exit": [r["exit"] for r in runs],
            }

        run("direct", via="direct")
        run("own-server")
        run("own-server-no-migrate", {"PREFECT_API_DATABASE_MIGRATE_ON_START": "false"})
        server = PrefectServer(home / "attached").start()
        try:
            run("attached", prefect_home=home / "attached")
            rss = sum(rss_bytes(pid) for pid in tree(server.process.pid))
            out["modes"]["attached"]["server_rss_mb"] = round(rss / 2**20, 1)
        finally:
            server.stop()
    if not workdir:
        shutil.rmtree(work, ignore_errors=True)
    return out


def render(result: dict) -> str:
    lines = [f"{'mode':<22} {'wall s':>7} {'before':>7} {'after':>7} {'peak RSS MB':>12}  (server apart)"]
    for mode, m in result["modes"].items():
        apart = f"  +{m['server_rss_mb']} MB server" if "server_rss_mb" in m else ""
        lines.append(
            f"{mode:<22} {m['wall_s']:>7} {m['before_crawl_s']:>7} {m['after_crawl_s']:>7} {m['peak_rss_mb']:>12}{apart}"
        )
    return "\n".join(lines)


__all__ = ["TreeSampler", "measure", "render"]
