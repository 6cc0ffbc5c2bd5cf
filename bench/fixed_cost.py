"""`python -m bench fixedcost`: what a `presswatch crawl` costs around its requests (issue 23).

The demo site runs in this process and notes when each request arrives and each response is
sent. One source is crawled once (a warm-up that fills the warehouse), then `--repeat` times
unchanged: every article answers 304. For each unchanged run the sampler follows the command's
process tree, which splits the wall time into

* start -> first request: the CLI's imports, the warehouse's migration check, the known-articles
  export, the crawl process's start (Scrapy, the spider, robots.txt is the first request);
* last response -> exit: the crawl process's shut-down, the load, alerts, the summary, the exit;

both against the target of issue 23 (<= 1.5 s each). Peak RSS and PSS of the tree come beside them.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench.crawls import presswatch_crawl
from demo_site import DemoSite, demo_registry

TARGET_S = 1.5


class TimedDemoSite(DemoSite):
    """The demo site, noting the monotonic time of every request and of every response it builds."""

    def __init__(self) -> None:
        super().__init__(port=0)
        self.times: list[float] = []
        self._times_lock = threading.Lock()

    def respond(self, target, headers, host=None):
        with self._times_lock:
            self.times.append(time.monotonic())
        response = super().respond(target, headers, host)
        with self._times_lock:
            self.times.append(time.monotonic())
        return response

    def take(self) -> list[float]:
        with self._times_lock:
            taken, self.times = self.times, []
        return taken


def measure(source: str = "xjgov", repeat: int = 5, workdir: str | None = None, via: str = "cli") -> dict:
    work = Path(workdir or tempfile.mkdtemp(prefix="pw-fixedcost-"))
    work.mkdir(parents=True, exist_ok=True)
    runs = []
    with TimedDemoSite() as site:
        registry = work / "sources.toml"
        registry.write_text(demo_registry(site.base_url, (source,)), encoding="utf-8")
        for r in range(repeat + 1):  # run 0 fills the warehouse; the others find every page unchanged
            site.take()
            started = time.monotonic()
            result = presswatch_crawl(
                work / "warehouse",
                registry,
                work / "data",
                work / "prefect",
                work / "log",
                via,
                {"PREFECT_API_URL": ""},
            )
            times = site.take()
            if result["exit"] != 0:
                raise RuntimeError(f"presswatch crawl exited with {result['exit']}; see {work / 'log'}")
            if r == 0:
                continue
            ended = started + result["wall_s"]
            seen = result["memory"]["seen_s"].get("crawl", [None, None])
            runs.append(
                {
                    "wall_s": result["wall_s"],
                    "start_to_first_request_s": round(times[0] - started, 3),
                    "last_response_to_exit_s": round(ended - times[-1], 3),
                    "crawl_process_appeared_s": seen[0],
                    "crawl_process_gone_before_exit_s": round(result["wall_s"] - seen[1], 2) if seen[1] else None,
                    "requests": len(times) // 2,
                    "article_outcomes": result.get("article_outcomes"),
                    "peak_rss_mb": result["memory"]["peak_rss_mb"],
                    "peak_pss_mb": result["memory"]["peak_pss_mb"],
                    "peak_rss_by_kind_mb": result["memory"]["peak_rss_by_kind_mb"],
                }
            )
    if not workdir:
        shutil.rmtree(work, ignore_errors=True)

    def median(key: str) -> float:
        return round(statistics.median(r[key] for r in runs if r[key] is not None), 3)

    keys = ("wall_s", "start_to_first_request_s", "last_response_to_exit_s", "crawl_process_appeared_s")
    medians = {k: median(k) for k in (*keys, "crawl_process_gone_before_exit_s", "peak_rss_mb", "peak_pss_mb")}
    return {
        "source": source,
        "via": via,
        "repeat": repeat,
        "target_s": TARGET_S,
        "median": medians,
        "met": {
            "start_to_first_request": medians["start_to_first_request_s"] <= TARGET_S,
            "last_response_to_exit": medians["last_response_to_exit_s"] <= TARGET_S,
        },
        "runs": runs,
    }


def table(result: dict) -> str:
    m = result["median"]
    verdict = {True: "met", False: "missed"}
    lines = [
        f"`presswatch crawl --source {result['source']}`, unchanged, medians of {result['repeat']} runs",
        f"  start -> first request           {m['start_to_first_request_s']:>7.2f} s  "
        f"(target <= {TARGET_S}: {verdict[result['met']['start_to_first_request']]})",
        f"    ... of which before the crawl process {m['crawl_process_appeared_s']:>5.2f} s",
        f"  last response -> exit            {m['last_response_to_exit_s']:>7.2f} s  "
        f"(target <= {TARGET_S}: {verdict[result['met']['last_response_to_exit']]})",
        f"    ... of which after the crawl process  {m['crawl_process_gone_before_exit_s']:>5.2f} s",
        f"  whole command                    {m['wall_s']:>7.2f} s",
        f"  peak PSS (RSS) of the tree       {m['peak_pss_mb']:>7.1f} ({m['peak_rss_mb']:.1f}) MB",
    ]
    return "\n".join(lines)


def targets(result: dict | None) -> list[dict]:
    """The issue's two fixed-cost targets, in `python -m bench run`'s form."""
    if not result:
        return []
    out = []
    for key, name in (
        ("start_to_first_request_s", "fixed cost: start to first request (unchanged source)"),
        ("last_response_to_exit_s", "fixed cost: last response to exit (unchanged source)"),
    ):
        values = [r[key] for r in result["runs"]]
        out.append(
            {
                "target": name,
                "value": result["median"][key],
                "range": [min(values), max(values)],
                "limit": f"<= {TARGET_S}",
                "met": result["median"][key] <= TARGET_S,
                "unit": "s",
                "note": f"median of {len(values)} unchanged `presswatch crawl --source {result['source']}` of the demo site",
            }
        )
    return out
