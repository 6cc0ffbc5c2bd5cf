"""presswatch benchmarks: `python -m bench run|serve|profile|serverbench`.

python -m bench run --pages 2000 --out bench/results.json      # everything, side by side
python -m bench run --pages 20000 --skip-peers --baseline bench/results.json --out bench/results-20000.json
python -m bench run --pages 20 --skip-peers --quick              # a smoke run (what the test does)
python -m bench run --pages 2000 --real-pages /work/.mirror/adbar+trafilatura   # both corpora
python -m bench serve --pages 2000                               # the corpus server alone
python -m bench profile --pages 2000                             # py-spy over a first crawl
python -m bench serverbench --pages 2000                         # asyncio server vs a threaded one
python -m bench queries --versions 1000000 --workdir /work/bench-data   # search and trends: index, scan, native
python -m bench fixedcost --source xjgov --repeat 5              # a command's fixed cost, unchanged source
python -m bench servecost --repeat 3                             # served runs: scheduled and asked for now
python -m bench template --real-pages /work/.mirror/adbar+trafilatura --pages 200   # redesign, rollout, churn
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="measure everything and write a JSON report")
    r.add_argument("--pages", type=int, default=2000)
    r.add_argument("--seed", type=int, default=1)
    r.add_argument("--out", default="bench/results.json", help="JSON report [%(default)s]")
    r.add_argument("--repeat", type=int, default=1, help="repeat each measurement; medians and ranges are reported")
    r.add_argument("--skip-peers", action="store_true", help="no bare trafilatura and no trafilatura CLI runs")
    r.add_argument("--peer-pages", type=int, default=0, help="peers over the first K pages only (0: all)")
    r.add_argument("--skip-crawls", action="store_true", help="no presswatch crawls")
    r.add_argument("--skip-synthetic", action="store_true", help="no load-lock and query measurements")
    r.add_argument(
        "--quick", action="store_true", help="small synthetic sizes (for smoke tests): 100 captures, 1,000 versions"
    )
    r.add_argument("--versions", type=int, default=1_000_000, help="versions in the synthetic warehouse")
    r.add_argument("--load-articles", type=int, default=10_000, help="captures in the synthetic staged batch")
    r.add_argument("--upkeep-loads", type=int, default=500, help="small loads before measuring upkeep (0: skip)")
    r.add_argument("--upkeep-articles", type=int, default=50, help="captures per upkeep load")
    r.add_argument("--query-repeat", type=int, default=3)
    r.add_argument("--edit-fraction", type=float, default=0.05)
    r.add_argument("--concurrency", type=int, default=32, help="the bench source's concurrency")
    r.add_argument("--cli-threads", type=int, default=16, help="trafilatura CLI download threads")
    r.add_argument("--cli-ports", type=int, default=8, help="ports the server listens on for the trafilatura CLI")
    r.add_argument(
        "--crawl-via",
        choices=("cli", "attached", "direct"),
        default="cli",
        help="cli: the real `presswatch crawl` (Prefect flow, a server of its own); attached: the same with a "
        "local Prefect server already running, as under `presswatch serve` (its memory reported apart); "
        "direct: flows.crawl_step + loader, no Prefect",
    )
    r.add_argument("--crawl-timeout", type=float, help="the bench source's crawl_timeout in s [max(600, pages / 4)]")
    r.add_argument("--project", help="run the crawls on this copy of presswatch (to measure a proposed change)")
    r.add_argument("--baseline", help="a smaller run's JSON: peak RSS is compared against it")
    r.add_argument("--workdir", help="keep work files here (default: a temporary folder, removed)")
    r.add_argument("--keep", action="store_true", help="keep warehouses and staged data")
    r.add_argument(
        "--real-pages",
        metavar="PATH",
        help="also measure on real pages: a bare git mirror of trafilatura or its tests/ folder "
        "(env PRESSWATCH_BENCH_REAL); extracted to ~/.cache/presswatch-bench, never committed",
    )
    r.add_argument("--real-count", type=int, help="URLs the real pages are replicated to [--pages]")
    r.add_argument(
        "--fixed-cost-repeat",
        type=int,
        default=3,
        help="unchanged crawls of a demo outlet for a command's fixed cost (as `fixedcost`; 0: skip) [%(default)s]",
    )
    r.add_argument("--skip-synthetic-corpus", action="store_true", help="measure the real pages only")

    s = sub.add_parser("serve", help="serve the corpus on 127.0.0.1 until interrupted")
    s.add_argument("--pages", type=int, default=2000)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--ports", type=int, default=1, help="listen on this many ports (same content)")
    s.add_argument("--lazy", action="store_true", help="render each request from the seed instead of from memory")
    s.add_argument(
        "--edit", type=float, action="append", default=[], help="apply an edit round of this fraction at start"
    )
    s.add_argument(
        "--threaded", action="store_true", help="the standard library's ThreadingHTTPServer instead (comparison)"
    )
    s.add_argument("--real-pages", help="serve real pages (bench/real.py) instead of the synthetic corpus")

    p = sub.add_parser("profile", help="py-spy over a first crawl (needs py-spy)")
    p.add_argument("--pages", type=int, default=2000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="bench/profile.json")
    p.add_argument(
        "--via",
        choices=("crawl", "cli"),
        default="crawl",
        help="profile `python -m crawlers.run` alone, or the whole `presswatch crawl`",
    )
    p.add_argument("--rate", type=int, default=50)
    p.add_argument("--project", help="profile this copy of presswatch instead of the checkout")
    p.add_argument(
        "--recrawl", action="store_true", help="profile the unchanged recrawl after an unprofiled first crawl"
    )
    p.add_argument("--real-pages", help="profile on the real pages (see run --real-pages)")
    p.add_argument("--workdir")

    b = sub.add_parser("serverbench", help="requests/s of the corpus server against a threaded stdlib server")
    b.add_argument("--pages", type=int, default=2000)
    b.add_argument("--requests", type=int, default=4000)
    b.add_argument("--clients", type=int, default=32)

    c = sub.add_parser("prefect", help="what Prefect costs a short crawl, per way of recording the run")
    c.add_argument("--pages", type=int, default=20)
    c.add_argument("--repeat", type=int, default=3)
    c.add_argument("--out", default="bench/prefect-cost.json")
    c.add_argument("--workdir")

    f = sub.add_parser("fixedcost", help="start to first request and last response to exit, unchanged source")
    f.add_argument("--source", default="xjgov", help="a demo outlet [%(default)s]")
    f.add_argument("--repeat", type=int, default=5, help="unchanged runs after the warm-up [%(default)s]")
    f.add_argument("--out", default="bench/results-fixedcost.json")
    f.add_argument("--workdir")

    v = sub.add_parser("servecost", help="a served run of an unchanged source, end to end (serve's own Prefect server)")
    v.add_argument("--source", default="xjgov", help="a demo outlet [%(default)s]")
    v.add_argument("--repeat", type=int, default=3, help="unchanged runs of each kind after the first [%(default)s]")
    v.add_argument("--poll", type=int, default=1, help="PREFECT_RUNNER_POLL_FREQUENCY, s [%(default)s]")
    v.add_argument(
        "--lead", type=float, default=8.0, help="scheduled runs are created this long before due [%(default)s]"
    )
    v.add_argument("--out", default="bench/results-servecost.json")
    v.add_argument("--workdir")

    m = sub.add_parser(
        "loadmem", help="peak memory after each loader step, one synthetic batch into an empty warehouse"
    )
    m.add_argument("--articles", type=int, default=20_000)
    m.add_argument("--workdir", help="work folder (default: a temporary one, removed)")

    q = sub.add_parser("queries", help="search and trends on a big synthetic warehouse: index, scan, native file")
    q.add_argument("--versions", type=int, nargs="+", default=[1_000_000], help="warehouse sizes [%(default)s]")
    q.add_argument("--workdir", required=True, help="where the warehouses are built (not the repository)")
    q.add_argument("--out", default="bench/results-search.json")
    q.add_argument("--repeat", type=int, default=3, help="warm runs of each index query")
    q.add_argument("--scan-repeat", type=int, default=1, help="warm runs of each scan")
    q.add_argument(
        "--reuse-built", action="store_true", help="reuse a warehouse (and native copy) already in --workdir"
    )
    q.add_argument("--skip-native", action="store_true", help="no native DuckDB file")
    q.add_argument("--load-articles", type=int, default=0, help="also time loads of this many articles (lock held)")
    q.add_argument("--load-into-big", action="store_true", help="... and into a copy of the big warehouse")
    q.add_argument(
        "--no-reuse-versions", type=int, default=0, help="also measure a warehouse whose articles share no paragraph"
    )
    q.add_argument("--keep", action="store_true", help="keep the no-reuse warehouse")
    q.add_argument("--quick", action="store_true", help="two trend and two search queries only (a smoke test)")
    t = sub.add_parser("template", help="a site redesign, a rollout and churn on the real pages (issue 21)")
    t.add_argument("--real-pages", metavar="PATH", required=True, help="as for run --real-pages")
    t.add_argument("--pages", type=int, default=200, help="saved pages served (each its own URL)")
    t.add_argument("--churn-recrawls", type=int, default=10)
    t.add_argument("--out", default="bench/results-template.json")
    t.add_argument("--project", help="crawl with this copy of presswatch (the code before a change)")
    t.add_argument("--baseline", help="a template run of the code before (its F1 is the target)")
    t.add_argument("--workdir")
    t.add_argument("--keep", action="store_true")

    d = sub.add_parser("direct-crawl", help="crawl and load without Prefect (used by run --crawl-via direct)")
    d.add_argument("--db", required=True)
    d.add_argument("--sources", required=True)
    d.add_argument("--data", required=True)

    args = parser.parse_args(argv)
    if args.command == "direct-crawl":
        from bench.crawls import direct_crawl

        return direct_crawl(args.db, args.sources, args.data)
    if args.command == "serve":
        from bench.server import serve

        serve(args.pages, args.seed, args.port, args.ports, args.lazy, args.edit, args.threaded, args.real_pages)
        return 0
    if args.command == "run":
        from bench.run import run, table

        if args.quick:
            args.versions = min(args.versions, 1_000)
            args.load_articles = min(args.load_articles, 100)
            args.upkeep_loads = min(args.upkeep_loads, 5)
            args.upkeep_articles = min(args.upkeep_articles, 10)
            args.query_repeat = 1
            args.fixed_cost_repeat = 0  # `fixedcost` has its own smoke test
        return _report(run(args), args.out, table)
    if args.command == "queries":
        from bench.search import measure, table

        args.command_line = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
        return _report(measure(args), args.out, table)
    if args.command == "profile":
        from bench.profile import profile

        result = profile(args)
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        from bench.profile import render

        print(render(result))
        return 0
    if args.command == "prefect":
        from bench.prefect_cost import measure, render

        result = measure(args.pages, args.repeat, args.workdir)
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(render(result))
        return 0
    if args.command == "fixedcost":
        from bench.fixed_cost import measure as fixed_cost
        from bench.fixed_cost import table as fixed_cost_table

        return _report(fixed_cost(args.source, args.repeat, args.workdir), args.out, fixed_cost_table)
    if args.command == "servecost":
        from bench.serve_cost import measure as serve_cost
        from bench.serve_cost import table as serve_cost_table

        result = serve_cost(args.source, args.repeat, args.workdir, args.poll, args.lead)
        return _report(result, args.out, serve_cost_table)
    if args.command == "loadmem":
        import tempfile

        from bench.synthetic import load_memory

        work = Path(args.workdir or tempfile.mkdtemp(prefix="pw-loadmem-")) / "loadmem"
        result = load_memory(work, args.articles)
        print(f"{'step':<20} {'s':>7} {'peak RSS after, MB':>19}")
        for step, mb in result.pop("peak_rss_after_step_mb").items():
            print(f"{step:<20} {result['steps_s'].get(step, 0):>7} {mb:>19}")
        print(json.dumps(result, indent=1))
        return 0
    if args.command == "template":
        from bench.template import run_template, table

        return _report(run_template(args), args.out, table)
    if args.command == "serverbench":
        from bench.serverbench import compare

        print(json.dumps(compare(args.pages, args.requests, args.clients), indent=1))
        return 0
    return 2


def _report(results: dict, out: str, table) -> int:
    """Write the JSON report and print its table."""
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
