"""`python -m bench profile`: where a first crawl's time goes, sampled by py-spy (installed separately).

py-spy records every process of the tree (`--subprocesses`), idle threads included (`--idle`),
as collapsed stacks. Each stack is attributed to a process kind (the crawl process, the
extraction workers, the CLI with Prefect, Prefect's server) and summarised three ways: how much
of that process's sampled time was idle (waiting in select/poll/locks/queues), the functions
where busy time was spent (self), and the frames that busy time passed through (inclusive).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench.harness import PROJECT, ROOT, VENV_BIN, ServerProcess, bench_registry, env, set_project
from bench.sampler import classify

# Leaf functions where a thread waits: for I/O, a lock, a queue, a child, or (_send) a full pipe to a busy worker.
_IDLE = re.compile(
    r"^(select|poll|epoll|_poll|wait|_wait_for_tstate_lock|acquire|sleep|recv|recv_bytes|_recv|_recv_bytes|_send|"
    r"accept|read|readinto|get|_worker|run_forever|_run_once|join|wait_for|_handle_workers|_handle_results) "
)
_GROUPS = (
    # (label, pattern on the whole stack); first match wins, for busy samples
    ("trafilatura extraction", re.compile(r"bare_extraction|trafilatura/")),
    ("presswatch post-extraction (lxml re-parse, regexes, hashes)", re.compile(r"crawlers/extraction\.py")),
    (
        "pickling pages to/from the pool",
        re.compile(
            r"_send_bytes|_recv_bytes|ForkingPickler|dumps \(|loads \(|_ExecutorManagerThread|add_call_item_to_queue"
        ),
    ),
    ("WARC archive (warcio, gzip)", re.compile(r"pipelines/archive\.py|warcio|crawlers/warc\.py")),
    ("decoding (charset checks)", re.compile(r"crawlers/encoding\.py")),
    ("staged batch writing (JSON)", re.compile(r"pipelines/stage\.py|warehouse/staging\.py")),
    ("spider callbacks (sitemaps, feeds, records, sha256)", re.compile(r"spiders/press\.py")),
    ("DuckDB load", re.compile(r"warehouse/loader\.py|warehouse/db\.py|warehouse/revisits\.py")),
    ("Prefect", re.compile(r"prefect/")),
    ("imports and start-up", re.compile(r"_find_and_load|exec_module")),
    ("Scrapy / Twisted / asyncio machinery", re.compile(r"scrapy/|twisted/|asyncio/")),
)


_PROCESS = re.compile(r'process (\d+):"(.*?)";')


def _frames(stack: str) -> tuple[list[str], list[str]]:
    """The process frames (their command lines may hold ';') and the Python frames of one stack."""
    procs = []
    while True:
        match = _PROCESS.match(stack)
        if not match:
            break
        procs.append(f"{match.group(1)} {match.group(2)}")
        stack = stack[match.end() :]
    return procs, stack.split(";") if stack else []


def _function(frame: str) -> str:
    return frame.split(" (", 1)[0].rsplit(".", 1)[-1]


def aggregate(raw: Path) -> dict:
    kinds: dict[str, str] = {}
    totals: Counter = Counter()
    idle: Counter = Counter()
    self_time: dict[str, Counter] = defaultdict(Counter)
    inclusive: dict[str, Counter] = defaultdict(Counter)
    groups: dict[str, Counter] = defaultdict(Counter)
    per_process: Counter = Counter()
    per_process_busy: Counter = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        procs, frames = _frames(stack)
        if not procs or not frames:
            continue
        for depth, proc in enumerate(procs):
            if proc not in kinds:
                parent = procs[depth - 1] if depth else None
                kinds[proc] = classify(proc, kinds.get(parent) if parent else None)
        kind = kinds[procs[-1]]
        totals[kind] += n
        process = f"{kind} {procs[-1].split(' ', 1)[0]}"
        per_process[process] += n
        leaf = frames[-1]
        if _IDLE.match(_function(leaf) + " ") or "resource_tracker" in leaf:
            idle[kind] += n
            continue
        per_process_busy[process] += n
        self_time[kind][_short(leaf)] += n
        for frame in dict.fromkeys(_short(f) for f in frames):
            inclusive[kind][frame] += n
        for label, pattern in _GROUPS:
            if pattern.search(stack):
                groups[kind][label] += n
                break
        else:
            groups[kind]["other"] += n
    out = {"processes": {p: {"sampled": n, "busy": per_process_busy[p]} for p, n in per_process.most_common()}}
    for kind, total in totals.most_common():
        busy = total - idle[kind]
        out[kind] = {
            "samples": total,
            "idle_share": round(idle[kind] / total, 3) if total else None,
            "busy_samples": busy,
            "busy_by_group": {k: round(v / busy, 3) for k, v in groups[kind].most_common()} if busy else {},
            "top_self": [(f, round(v / busy, 3)) for f, v in self_time[kind].most_common(15)] if busy else [],
            "top_inclusive": [
                (f, round(v / busy, 3))
                for f, v in inclusive[kind].most_common(40)
                if not re.search(r"_bootstrap|<module>|run_path|_run_code|_run_module_as_main|main \(", f)
            ][:20]
            if busy
            else [],
        }
    return out


def _short(frame: str) -> str:
    return re.sub(r"\(/.*?/site-packages/", "(", re.sub(r"\(" + re.escape(str(ROOT)) + "/", "(", frame))


def rerender(raw: Path, pages: int, via: str, wall_s: float, rate: int) -> dict:
    """Summarise an existing py-spy raw file again (after changing the grouping, say)."""
    return {
        "pages": pages,
        "via": via,
        "wall_s": wall_s,
        "rate_hz": rate,
        "raw": str(raw),
        "by_process": aggregate(raw),
    }


def profile(args) -> dict:
    spy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if not spy:
        raise SystemExit("py-spy is not installed: pip install py-spy (into the venv)")
    set_project(getattr(args, "project", None))
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="pw-profile-"))
    work.mkdir(parents=True, exist_ok=True)
    raw = work / "profile.txt"
    with ServerProcess(args.pages, args.seed, real=getattr(args, "real_pages", None)) as server:
        registry = work / "bench-registry.toml"
        registry.write_text(bench_registry(server.base, args.pages), encoding="utf-8")
        known = None
        if getattr(args, "recrawl", False):
            # a first crawl and load, unprofiled; the profiled crawl is then the unchanged recrawl
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench",
                    "direct-crawl",
                    "--db",
                    str(work / "w"),
                    "--sources",
                    str(registry),
                    "--data",
                    str(work / "data"),
                ],
                env=env(),
                cwd=PROJECT["root"],
                check=True,
            )
            from crawlers.registry import load_registry
            from warehouse.revisits import export_known

            known = work / "known.jsonl"
            export_known(work / "w", load_registry(registry).get("bench"), known)
        if args.via == "cli":
            exe = shutil.which("presswatch", path=str(VENV_BIN)) or "presswatch"
            target = [exe, "--db", str(work / "w"), "--sources", str(registry), "--data", str(work / "data"), "crawl"]
        else:
            target = [
                sys.executable,
                "-m",
                "crawlers.run",
                "--source",
                "bench",
                "--registry",
                str(registry),
                "--staging",
                str(work / "staging"),
                "--archive",
                str(work / "archive"),
                "--batch-id",
                "profile",
                *(["--known", str(known)] if known else []),
            ]
        command = [
            spy,
            "record",
            "--subprocesses",
            "--idle",
            "--rate",
            str(args.rate),
            "--format",
            "raw",
            "-o",
            str(raw),
            "--",
            *target,
        ]
        started = time.perf_counter()
        done = subprocess.run(
            command,
            env={**env(), "SCRAPY_SETTINGS_MODULE": "crawlers.settings", "PREFECT_HOME": str(work / "prefect")},
            cwd=PROJECT["root"],
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
    if not raw.exists():
        raise SystemExit(f"py-spy wrote nothing: {done.stderr[-800:]}")
    return {
        "pages": args.pages,
        "via": args.via,
        "recrawl": bool(known),
        "real_pages": getattr(args, "real_pages", None),
        "wall_s": round(seconds, 2),
        "rate_hz": args.rate,
        "raw": str(raw),
        "by_process": aggregate(raw),
    }


def render(result: dict) -> str:
    what = "an unchanged recrawl" if result.get("recrawl") else "a first crawl"
    lines = [
        f"profile of {what} of {result['pages']} pages via {result['via']}: {result['wall_s']} s wall",
        "busy seconds per process (sampled thread-seconds, all threads):",
    ]
    rate = result["rate_hz"]
    for name, p in result["by_process"]["processes"].items():
        if p["busy"] / rate >= 0.2:
            lines.append(f"  {name:<24} busy {p['busy'] / rate:6.1f} s")
    for kind, p in result["by_process"].items():
        if kind == "processes":
            continue
        seconds = p["samples"] / result["rate_hz"]
        lines.append(f"\n{kind}: {seconds:.0f} thread-seconds sampled, idle {p['idle_share']:.0%}")
        for label, share in p["busy_by_group"].items():
            lines.append(f"  {share:6.1%}  {label}")
        lines.append("  top functions (self, share of busy):")
        for frame, share in p["top_self"][:8]:
            lines.append(f"    {share:6.1%}  {frame}")
    return "\n".join(lines)
