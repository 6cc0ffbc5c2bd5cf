"""`python -m bench run`: every measurement in one run, side by side, a table and a JSON file."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import cpu_budget, crawls, fixed_cost, lake, peers, synthetic
from bench import real as real_pages
from bench.harness import PROJECT, ROOT, ServerProcess, bench_registry, env, set_project, summarize
from bench.real import ENV as REAL_ENV
from bench.server import make_corpus

RESULT_KEYS = ("meta", "corpus", "peers", "crawls", "load_lock", "queries", "upkeep", "targets")


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = int(
            next(
                line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
            ).split()[1]
        )
        load = Path("/proc/loadavg").read_text().split()[:3]
    except (OSError, StopIteration, ValueError):
        mem_kb, load = 0, []
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "memory_gb": round(mem_kb / 2**20, 1),
        "loadavg_at_start": load,
        "python": platform.python_version(),
        "versions": _versions(),
    }


def _versions() -> dict:
    out = {}
    for name in ("trafilatura", "scrapy", "duckdb", "prefect", "lxml"):
        try:
            from importlib.metadata import version

            out[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing package is just not reported
            out[name] = None
    return out


def warm_prefect(prefect_home: Path) -> float:
    """Create Prefect's local database once, so the first crawl does not pay for it."""
    code = (
        "from pathlib import Path; from flows import prefect_env; prefect_env.configure(Path('.'));"
        "from prefect import flow\n@flow\ndef warm():\n    return 1\nwarm()"
    )
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code],
        env={**env(), "PREFECT_HOME": str(prefect_home)},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return round(time.perf_counter() - started, 2)


def run(args) -> dict:
    started = time.perf_counter()
    set_project(args.project)
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="pw-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {key: {} for key in RESULT_KEYS}
    real = getattr(args, "real_pages", None) or os.environ.get(REAL_ENV)
    results["meta"] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "machine": machine(),
        "pages": args.pages,
        "seed": args.seed,
        "repeat": args.repeat,
        "workdir": str(work),
        "project": str(PROJECT["root"]),
        "project_is_checkout": PROJECT["root"] == ROOT,
        "real_pages": str(real) if real else None,
    }
    prefect_home = work / "prefect"
    server = None
    if not args.skip_crawls and args.crawl_via == "attached":
        # a running local server, as `presswatch serve` keeps one: the crawls find it through server.json
        from flows.prefect_server import PrefectServer

        prefect_home = work / "prefect-attached"
        started_server = time.perf_counter()
        server = PrefectServer(prefect_home).start()
        results["crawls"]["prefect_server_start_s"] = round(time.perf_counter() - started_server, 2)
    if not args.skip_crawls and args.crawl_via == "cli":
        results["crawls"]["prefect_warmup_s"] = warm_prefect(prefect_home)
    try:
        return _run(args, started, work, results, real, prefect_home)
    finally:
        if server is not None:
            server.stop()


def _run(args, started: float, work: Path, results: dict, real: str | None, prefect_home: Path) -> dict:
    out = getattr(args, "out", None)
    if not getattr(args, "skip_synthetic_corpus", False):
        measured = measure_corpus(args, work / "synthetic", prefect_home, None, args.pages, results, out)
        results.update({k: measured[k] for k in ("corpus", "peers")})
        results["crawls"].update(measured["crawls"])
        synthetic_runs = measured
    else:
        synthetic_runs = None
    if real:
        results["real"] = {}
        count = getattr(args, "real_count", None) or args.pages
        measured = measure_corpus(args, work / "real", prefect_home, real, count, results["real"], out, results)
        results["real"].update({k: measured[k] for k in ("corpus", "peers", "crawls", "quality")})
    if not args.skip_synthetic:
        big = work / "big"
        _say(f"synthetic warehouse of {args.versions:,} versions (DuckLake)")
        results["queries"] = {"warehouse": synthetic.build_warehouse(big, args.versions)}
        results["queries"]["latency"] = synthetic.time_queries(big, repeat=args.query_repeat)
        _checkpoint(results, out)
        _say("the same warehouse as one native DuckDB file (presswatch 0.1's kind), for comparison")
        native = work / "big-native.duckdb"
        results["queries"]["native"] = synthetic.native_copy(big, native)
        results["queries"]["native_latency"] = synthetic.time_queries(native, repeat=args.query_repeat)
        native.unlink(missing_ok=True)
        _checkpoint(results, out)
        _say(f"load lock: batches of {args.load_articles:,} synthetic captures")
        results["load_lock"] = synthetic.load_lock(work, args.load_articles, args.repeat, big)
        if not args.keep:
            shutil.rmtree(big, ignore_errors=True)
    if args.upkeep_loads:
        _say(f"upkeep: {args.upkeep_loads} loads of {args.upkeep_articles} captures, then presswatch maintain")
        results["upkeep"] = lake.upkeep_after_loads(
            work, args.upkeep_loads, args.upkeep_articles, repeat=args.query_repeat
        )
        _checkpoint(results, out)
    if getattr(args, "fixed_cost_repeat", 0) and not args.skip_crawls:
        _say(f"a command's fixed cost: {args.fixed_cost_repeat} unchanged crawls of a demo outlet")
        results["fixed_cost"] = fixed_cost.measure(repeat=args.fixed_cost_repeat, workdir=str(work / "fixed-cost"))
        _checkpoint(results, out)
    baseline = _baseline(args.baseline)
    if synthetic_runs:
        results["targets"] = targets(results, synthetic_runs["crawl_runs"], synthetic_runs["peer_runs"], baseline)
    else:
        results["targets"] = []
    if real:
        real_results = {**results["real"], "meta": {"pages": results["real"]["corpus"].get("pages")}}
        real_base = (baseline or {}).get("real") or None
        if real_base:
            real_base = {**real_base, "meta": {"pages": (real_base.get("corpus") or {}).get("pages")}}
        real_targets = targets(real_results, measured["crawl_runs"], measured["peer_runs"], real_base, lock=False)
        real_targets += quality_targets(results["real"].get("quality") or {})
        results["real"]["targets"] = real_targets
        results["targets"] += [{**t, "target": "real pages: " + t["target"]} for t in real_targets]
    results["targets"] += fixed_cost.targets(results.get("fixed_cost"))
    results["meta"]["elapsed_s"] = round(time.perf_counter() - started, 1)
    if not args.keep and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return results


def measure_corpus(
    args,
    work: Path,
    prefect_home: Path,
    real: str | None,
    pages: int,
    into: dict,
    out: str | None,
    whole: dict | None = None,
) -> dict:
    """Server, peers and presswatch crawls over one corpus (synthetic, or the real pages of `real`)."""
    whole = whole if whole is not None else into
    work.mkdir(parents=True, exist_ok=True)
    kind = "real pages" if real else "synthetic"
    crawl_runs, peer_runs = [], {"bare_1": [], "bare_2": [], "trafilatura_cli": []}
    peer_pages = min(pages, args.peer_pages or pages)
    measured: dict = {"crawls": {"via": args.crawl_via}, "quality": {}}
    _say(f"{kind} corpus: {pages} pages (seed {args.seed}); work folder {work}")
    with ServerProcess(pages, args.seed, ports=max(1, args.cli_ports), real=real) as server:
        measured["corpus"] = {k: v for k, v in server.info.items() if k not in ("base", "ports")}
        _say(f"server up in {server.info['prerender_s']}s; median page {server.info['size_kb']['median']} KB")
        corpus = make_corpus(pages, args.seed, real)
        registry = work / "bench-registry.toml"
        registry.write_text(bench_registry(server.base, pages, args.concurrency, args.crawl_timeout), encoding="utf-8")
        pages_text = None
        if not args.skip_peers:
            _say(f"loading {peer_pages} pages for the bare-extraction peers")
            pages_text = peers.load_pages(corpus, peer_pages)
        if real:
            _say("quality: trafilatura's own evaluation runner on the saved pages")
            measured["quality"]["bare_trafilatura"] = real_pages.bare_quality(corpus.saved[:pages])
        for r in range(args.repeat):
            if not args.skip_peers:
                for procs in (1, 2):
                    _say(f"[{r + 1}/{args.repeat}] {kind}: bare trafilatura, {procs} process(es)")
                    peer_runs[f"bare_{procs}"].append(peers.bare_trafilatura(pages_text, procs))
                _say(f"[{r + 1}/{args.repeat}] {kind}: trafilatura CLI")
                peer_runs["trafilatura_cli"].append(
                    peers.trafilatura_cli(corpus, peer_pages, server.ports, work / f"cli-{r}", threads=args.cli_threads)
                )
            if not args.skip_crawls:
                _say(
                    f"[{r + 1}/{args.repeat}] {kind}: presswatch first crawl, unchanged recrawl, {args.edit_fraction:.0%} edited"
                )
                folder = work / f"crawl-{r}"
                shutil.rmtree(folder, ignore_errors=True)
                crawl_runs.append(
                    crawls.crawl_sequence(
                        server, pages, folder, args.edit_fraction, prefect_home, registry, args.crawl_via
                    )
                )
                if real and r == 0:
                    try:
                        measured["quality"]["presswatch"] = real_pages.presswatch_quality(
                            corpus, folder / "warehouse", server.base
                        )
                    except Exception as exc:  # noqa: BLE001 - reported, not fatal
                        measured["quality"]["presswatch"] = {"error": f"{type(exc).__name__}: {exc}"}
                if not args.keep:
                    shutil.rmtree(folder / "data", ignore_errors=True)
                server.edit(0.0)  # keeps rounds numbered; the next repeat re-crawls into a new warehouse
            measured["peers"] = _peer_summary(peer_runs, peer_pages)
            measured["crawls"].update(_crawl_summary(crawl_runs))
            into.update({k: measured[k] for k in ("corpus", "peers")})
            into.setdefault("crawls", {}).update(measured["crawls"])
            _checkpoint(whole, out)
        pages_text = None
        measured["corpus"]["server_end"] = server.stats()
    measured["peers"] = _peer_summary(peer_runs, peer_pages)
    measured["crawls"].update(_crawl_summary(crawl_runs))
    measured["crawl_runs"], measured["peer_runs"] = crawl_runs, peer_runs
    return measured


def quality_targets(quality: dict) -> list[dict]:
    """presswatch's F1 on the real pages against bare trafilatura's (trafilatura's own eval runner)."""
    bare, ours = quality.get("bare_trafilatura") or {}, quality.get("presswatch") or {}
    if "f1" not in bare or "f1" not in ours:
        return [
            {
                "target": "extraction F1 no worse than bare trafilatura",
                "value": None,
                "limit": ">= bare",
                "met": None,
                "unit": "",
                "note": "not measured",
            }
        ]
    note = (
        f"presswatch P {ours['precision']:g} R {ours['recall']:g} F1 {ours['f1']:g}; "
        f"bare trafilatura P {bare['precision']:g} R {bare['recall']:g} F1 {bare['f1']:g}, {bare['pages']} pages"
    )
    return [
        {
            "target": "extraction F1, presswatch - bare trafilatura",
            "value": round(ours["f1"] - bare["f1"], 3),
            "limit": ">= 0",
            "met": ours["f1"] >= bare["f1"],
            "unit": "",
            "note": note,
        }
    ]


def _checkpoint(results: dict, path: str | None) -> None:
    """Write what is measured so far: a run killed late still leaves its numbers."""
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps({**results, "partial": True}, indent=1, default=str) + "\n", encoding="utf-8")


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _peer_summary(runs: dict, pages: int) -> dict:
    out = {"pages": pages}
    for name, values in runs.items():
        if values:
            out[name] = {"pages_per_s": summarize([v["pages_per_s"] for v in values]), "runs": values}
    return out


def _crawl_summary(runs: list[dict]) -> dict:
    if not runs:
        return {}
    out: dict = {"runs": runs}
    for name in ("first", "unchanged", "edited"):
        got = [r[name] for r in runs if name in r]
        if not got:
            continue
        out[name] = {
            "wall_s": summarize([g["wall_s"] for g in got]),
            "pages_per_s": summarize([g["pages_per_s"] for g in got]),
            "crawl_only_pages_per_s": summarize([g.get("crawl_only_pages_per_s") for g in got]),
            "crawl_process_s": summarize([g.get("crawl_process_s") for g in got]),
            "before_crawl_s": summarize([g.get("before_crawl_s") for g in got]),
            "after_crawl_s": summarize([g.get("after_crawl_s") for g in got]),
            "peak_rss_mb": summarize([g["memory"]["peak_rss_mb"] for g in got]),
            "peak_pss_mb": summarize([g["memory"]["peak_pss_mb"] for g in got]),
            "cpu_ms_per_page": summarize([(g.get("cpu_per_page") or {}).get("total_ms") for g in got]),
            "versions_added": summarize([g.get("versions_added") for g in got]),
            "exit": [g["exit"] for g in got],
        }
    return out


def _baseline(path: str | None) -> dict | None:
    if not path:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _ratio(a, b):
    return round(a / b, 3) if a and b else None


TRIED = "what was tried: docs/benchmarks.md, issue 23's rounds"


def _outside_crawl(first: dict) -> str:
    """The whole command's time outside its crawl process, the part trafilatura's CLI does not have."""
    if first.get("before_crawl_s") is None or first.get("after_crawl_s") is None:
        return TRIED
    return (
        f"of the command's {first['wall_s']:g} s, {first['before_crawl_s']:g} s before its crawl process and"
        f" {first['after_crawl_s']:g} s after it (the load); {TRIED}"
    )


def targets(
    results: dict, crawl_runs: list[dict], peer_runs: dict, baseline: dict | None, lock: bool = True
) -> list[dict]:
    """Each target as a ratio from the same run (median over repeats of per-repeat ratios)."""
    out = []

    def add(name, values, limit, op, unit="x", note=""):
        values = [v for v in values if v is not None]
        if not values:
            out.append(
                {
                    "target": name,
                    "value": None,
                    "limit": limit,
                    "met": None,
                    "unit": unit,
                    "note": note or "not measured",
                }
            )
            return
        s = summarize(values)
        met = s["median"] >= limit if op == ">=" else s["median"] < limit if op == "<" else s["median"] <= limit
        out.append(
            {
                "target": name,
                "value": s["median"],
                "range": [s["min"], s["max"]],
                "limit": f"{op} {limit}",
                "met": met,
                "unit": unit,
                "note": note,
            }
        )

    pairs = list(
        zip(
            crawl_runs,
            peer_runs.get("bare_2") or [None] * len(crawl_runs),
            peer_runs.get("trafilatura_cli") or [None] * len(crawl_runs),
        )
    )
    spent = [
        cpu_budget.budget(c.get("first") or {}, results["meta"]["pages"], b1, b2, 0.85)
        for c, b1, b2 in zip(crawl_runs, peer_runs.get("bare_1") or [None] * len(crawl_runs), [b for _, b, _ in pairs])
    ]
    add(
        "first crawl / bare trafilatura 2 processes",
        [_ratio(c.get("first", {}).get("pages_per_s"), b["pages_per_s"]) for c, b, _ in pairs if b],
        0.85,
        ">=",
        note=(cpu_budget.describe(spent[0]) + f"; {TRIED}") if spent and spent[0] else TRIED,
    )
    add(
        "first crawl (process only) / bare trafilatura 2 processes",
        [_ratio(c.get("first", {}).get("crawl_only_pages_per_s"), b["pages_per_s"]) for c, b, _ in pairs if b],
        0.85,
        ">=",
        note="without CLI/Prefect start-up and the load",
    )
    add(
        "first crawl / trafilatura CLI",
        [_ratio(c.get("first", {}).get("pages_per_s"), t["pages_per_s"]) for c, _, t in pairs if t],
        1.5,
        ">=",
        note=_outside_crawl(crawl_runs[0].get("first") or {}) if crawl_runs else "",
    )
    add(
        "unchanged recrawl speed-up over first crawl",
        [_ratio(c.get("first", {}).get("wall_s"), c.get("unchanged", {}).get("wall_s")) for c in crawl_runs],
        10,
        ">=",
    )
    add(
        "unchanged recrawl speed-up, crawl process only",
        [
            _ratio(c.get("first", {}).get("crawl_process_s"), c.get("unchanged", {}).get("crawl_process_s"))
            for c in crawl_runs
        ],
        10,
        ">=",
        note="without CLI/Prefect start-up and the load",
    )
    peaks = [c["first"]["memory"]["peak_pss_mb"] for c in crawl_runs if "first" in c]

    def peak(run: dict, kind: str) -> float:
        return max(run[n]["memory"][kind] for n in ("first", "unchanged", "edited") if n in run)

    rss = [peak(c, "peak_rss_mb") for c in crawl_runs]
    add(
        "peak PSS of a crawl (process tree, MB)",
        [peak(c, "peak_pss_mb") for c in crawl_runs],
        600,
        "<=",
        unit="MB",
        note=f"RSS {max(rss):g} MB (pages shared between processes counted in each)" if rss else "",
    )
    base_peak = None
    if baseline:
        base_peak = ((baseline.get("crawls") or {}).get("first") or {}).get("peak_pss_mb", {}).get("median")
    add(
        f"peak PSS at {results['meta']['pages']} pages / at baseline "
        f"{(baseline or {}).get('meta', {}).get('pages', '?')} pages",
        [_ratio(p, base_peak) for p in peaks] if base_peak else [],
        1.25,
        "<=",
        note="" if base_peak else "run with --baseline RESULTS.json of a smaller run",
    )
    lock = (results.get("load_lock") or {}) if lock else {}
    for scenario in ("new_into_empty", "recrawl_5pct_edited", "new_into_big"):
        if scenario in lock:
            add(
                f"write lock per 10,000 articles ({scenario})",
                [lock[scenario]["per_10k_lock_s"]["median"]],
                2.0,
                "<",
                unit="s",
            )
    for name, q in ((results.get("queries") or {}).get("latency") or {}).items():
        if "skipped" in q:
            out.append(
                {
                    "target": f"query {name} < 1 s",
                    "value": None,
                    "limit": "< 1",
                    "met": None,
                    "unit": "s",
                    "note": q["skipped"],
                }
            )
        else:
            add(
                f"query {name} (warm median)", [q["warm_s"]["median"]], 1.0, "<", unit="s", note=f"cold {q['cold_s']} s"
            )
    return out


def table(results: dict) -> str:
    """The human-readable table printed at the end of a run."""
    rows: list[tuple[str, str, str]] = []

    def fmt(s, unit=""):
        if not s or s.get("median") is None:
            return "-"
        if s["n"] > 1:
            return f"{s['median']:g} [{s['min']:g}-{s['max']:g}]{unit}"
        return f"{s['median']:g}{unit}"

    sections = [("", results)]
    if results.get("real"):
        sections.append(("real pages: ", results["real"]))
    for prefix, section in sections:
        if prefix:
            pages = (section.get("corpus") or {}).get("pages")
            rows.append(
                (
                    f"-- real pages ({pages} URLs, {(section.get('corpus') or {}).get('size_kb', {}).get('median')} KB median)",
                    "",
                    "",
                )
            )
        _corpus_rows(rows, section, fmt)
        quality = section.get("quality") or {}
        for key, label in (
            ("bare_trafilatura", "extraction F1, bare trafilatura (its eval runner)"),
            ("presswatch", "extraction F1, presswatch (warehouse texts)"),
        ):
            q = quality.get(key) or {}
            if "f1" in q:
                rows.append(
                    (f"  {label}", f"{q['f1']:g} (P {q['precision']:g}, R {q['recall']:g}, {q['pages']} pages)", "")
                )
    lock = results.get("load_lock") or {}
    for scenario in ("new_into_empty", "recrawl_5pct_edited", "new_into_big", "small_into_big"):
        if scenario in lock:
            articles = lock[scenario].get("articles", lock["articles"])
            rows.append((f"write lock, {articles:,} captures ({scenario})", fmt(lock[scenario]["lock_s"]), "s"))
    q = results.get("queries") or {}
    if q.get("warehouse"):
        rows.append(
            (
                f"synthetic warehouse: {q['warehouse']['versions']:,} versions",
                f"{q['warehouse']['build_s']}",
                "s to build",
            )
        )
    native = q.get("native_latency") or {}
    for name, v in (q.get("latency") or {}).items():
        value = "skipped" if "skipped" in v else f"{fmt(v['warm_s'])} (cold {v['cold_s']:g})"
        if "warm_s" in (native.get(name) or {}):
            value += f"; native DuckDB file {fmt(native[name]['warm_s'])}"
        rows.append((f"query {name}", value, "s"))
    upkeep = results.get("upkeep") or {}
    if upkeep:
        b, a = upkeep["before"], upkeep["after"]
        rows.append(
            (
                f"upkeep after {upkeep['loads']} loads: data files / delete files / snapshots",
                f"{b['data_files']} / {b['delete_files']} / {b['snapshots']} -> {a['data_files']} / {a['delete_files']}"
                f" / {a['snapshots']} (maintain {upkeep['maintain_s']:g} s)",
                "",
            )
        )
        for name, before in (upkeep.get("queries_before") or {}).items():
            after = (upkeep.get("queries_after") or {}).get(name)
            if before and after:
                rows.append((f"  query {name} before -> after upkeep", f"{fmt(before)} -> {fmt(after)}", "s"))
    width = max(len(r[0]) for r in rows) if rows else 10
    lines = [f"{'measure':<{width}}  value", "-" * (width + 30)]
    lines += [f"{label:<{width}}  {value} {unit}".rstrip() for label, value, unit in rows]
    lines.append("")
    lines.append("targets")
    for t in results.get("targets") or []:
        mark = {True: "MET ", False: "MISS", None: "n/a "}[t["met"]]
        value = "-" if t["value"] is None else f"{t['value']:g}{'' if t['unit'] == 'x' else ' ' + t['unit']}"
        rng = f" [{t['range'][0]:g}-{t['range'][1]:g}]" if t.get("range") and t["range"][0] != t["range"][1] else ""
        lines.append(
            f"  {mark} {t['target']}: {value}{rng} (target {t['limit']}){' - ' + t['note'] if t.get('note') else ''}"
        )
    return "\n".join(lines)


def _corpus_rows(rows: list, results: dict, fmt) -> None:
    p, c = results.get("peers") or {}, results.get("crawls") or {}
    for key, label in (
        ("bare_1", "bare trafilatura.extract, 1 process"),
        ("bare_2", "bare trafilatura.extract, 2 processes"),
        ("trafilatura_cli", "trafilatura CLI over loopback URLs"),
    ):
        if key in p:
            rows.append((label, fmt(p[key]["pages_per_s"]), "pages/s"))
    for key, label in (
        ("first", "presswatch crawl, first (empty warehouse)"),
        ("unchanged", "presswatch crawl, nothing changed (304s)"),
        ("edited", "presswatch crawl, pages edited"),
    ):
        if key in c:
            rows.append((label, fmt(c[key]["wall_s"]), "s wall"))
            rows.append(("  pages/s (whole command)", fmt(c[key]["pages_per_s"]), "pages/s"))
            rows.append(("  crawl process alone", fmt(c[key]["crawl_process_s"]), "s"))
            rows.append(("  before crawl: CLI + Prefect start", fmt(c[key]["before_crawl_s"]), "s"))
            rows.append(("  after crawl: load + report + exit", fmt(c[key]["after_crawl_s"]), "s"))
            if (c[key].get("cpu_ms_per_page") or {}).get("median") is not None:
                rows.append(("  CPU a page, process tree", fmt(c[key]["cpu_ms_per_page"]), "ms"))
            rows.append(
                ("  peak PSS, process tree (RSS)", f"{fmt(c[key]['peak_pss_mb'])} ({fmt(c[key]['peak_rss_mb'])})", "MB")
            )
            rows.append(("  versions added", fmt(c[key]["versions_added"]), ""))
    for run in c.get("runs") or []:
        if run.get("error"):  # a command that failed must not read as a measurement
            rows.append(("FAILED", run["error"], ""))
