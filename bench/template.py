"""`python -m bench template`: a publisher's redesign on the real pages, the figures of issue 21.

The real pages (bench/real.py: trafilatura's evaluation set) are served by the bench server as one
source, under churn (per-request furniture and no validators: every crawl re-reads and re-extracts
every page). One first crawl, then three scenarios, each from a copy of its warehouse and data:

  redesign  every page gets a new header and a promo paragraph inside its body (its lastmod moves)
            while 3 pages are really edited: one crawl
  rollout   the same redesign reaches 10 %, 40 %, then every page, one real edit during each step
  churn     10 recrawls where only the furniture changes, then 5 real edits

Edited pages are chosen among the stored articles whose edit reaches the extracted text (checked
with the crawl's own extraction, with and without the new template), so each real edit can be
found. For each crawl: the edited and retitled versions, how many are real (the page was edited
and the version's changed sentence is the edit), the template events, whether the load was an
extraction failure, and the articles whose stored text carries the promo. The extraction quality
of the first crawl's stored texts (F1, scored as `python -m bench run` scores it) comes with them.
`--project DIR` runs the crawls with another copy of presswatch (the code before a change).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from bench import crawls
from bench import real as real_pages
from bench.harness import PROJECT, ServerProcess, bench_registry, set_project
from bench.real import REDESIGN_PROMO
from warehouse.db import location, open_location

CORRECTION = "Correction 1: this paragraph was updated."
ROLLOUT = (0.1, 0.4, 1.0)


def run_template(args) -> dict:
    """Every scenario; the JSON report."""
    started = time.perf_counter()
    set_project(args.project)
    folder = real_pages.prepare(args.real_pages)
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="pw-bench-template-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {
        "meta": {"pages": args.pages, "project": str(PROJECT["root"]), "real_pages": str(folder), "workdir": str(work)}
    }
    corpus = real_pages.RealCorpus(folder, args.pages)
    with ServerProcess(args.pages, real=str(args.real_pages)) as server:
        registry = work / "registry.toml"
        registry.write_text(bench_registry(server.base, args.pages, concurrency=8), encoding="utf-8")
        runner = _Runner(server, registry, work)
        server.control("/_bench/churn?on=1")
        _say(f"first crawl of {args.pages} real pages")
        first = runner.crawl(work / "first", edited=set())
        results["first"] = first
        articles = runner.article_pages(work / "first")
        results["first"]["articles"] = len(articles)
        results["quality"] = {
            "presswatch": real_pages.presswatch_quality(corpus, work / "first" / "warehouse", server.base),
            "bare_trafilatura": real_pages.bare_quality(corpus.saved[: args.pages]),
        }
        editable = _editable(corpus, articles)
        results["first"]["editable_articles"] = len(editable)
        results["redesign"] = runner.scenario(
            work / "first", work / "redesign", [(1.0, editable[:3])], "redesign of every page, 3 real edits"
        )
        steps = [(share, editable[3 + n : 4 + n]) for n, share in enumerate(ROLLOUT)]
        results["rollout"] = runner.scenario(work / "first", work / "rollout", steps, "rollout 10 %, 40 %, 100 %")
        churn = [(0.0, [])] * args.churn_recrawls + [(0.0, editable[6:11])]
        results["churn"] = runner.scenario(work / "first", work / "churn", churn, "churn, then 5 real edits")
    results["targets"] = targets(results, args.churn_recrawls, _baseline(args.baseline))
    results["meta"]["elapsed_s"] = round(time.perf_counter() - started, 1)
    if not args.keep and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return results


class _Runner:
    def __init__(self, server: ServerProcess, registry: Path, work: Path):
        self.server, self.registry, self.work = server, registry, work

    def crawl(self, folder: Path, edited: set[int]) -> dict:
        """One `python -m bench direct-crawl` into `folder`; what its load recorded."""
        folder.mkdir(parents=True, exist_ok=True)
        run = crawls.presswatch_crawl(
            folder / "warehouse",
            self.registry,
            folder / "data",
            self.work / "prefect",
            folder / "presswatch.log",
            via="direct",
        )
        facts = _load_facts(folder / "warehouse", {self.server.base + _path(i) for i in edited})
        return {"exit": run["exit"], "wall_s": run["wall_s"], **facts}

    def article_pages(self, folder: Path) -> list[int]:
        """The page numbers stored as articles by the first crawl."""
        with _open(folder / "warehouse") as con:
            urls = [url for (url,) in con.execute("SELECT url FROM article_versions WHERE version = 1").fetchall()]
        prefix = self.server.base + "/news/real/"
        return sorted(int(url[len(prefix) :].split("/", 1)[0]) for url in urls if url.startswith(prefix))

    def scenario(self, first: Path, folder: Path, steps: list[tuple[float, list[int]]], what: str) -> dict:
        """From a copy of the first crawl: per step, the template share and pages edited, then a crawl."""
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(first, folder)
        self.server.control("/_bench/restore")
        out: dict = {"what": what, "crawls": []}
        for number, (share, pages) in enumerate(steps, 1):
            self.server.control(f"/_bench/template?share={share}")
            if pages:
                self.server.control("/_bench/edit?pages=" + ",".join(str(i) for i in pages))
            _say(f"{what}: crawl {number} of {len(steps)} (template on {share:.0%}, {len(pages)} real edit(s))")
            crawl = self.crawl(folder, set(pages))
            out["crawls"].append({"template_share": share, "real_edits": len(pages), **crawl})
        runs = out["crawls"]
        out["totals"] = {
            key: sum(run[key] for run in runs)
            for key in (
                "versions",
                "real",
                "false",
                "real_edits",
                "edits_recorded",
                "template_events",
                "extraction_failures",
            )
        }
        out["totals"]["edits_found"] = out["totals"]["real"]
        out["totals"]["promo_in_stored_texts"] = runs[-1]["promo_in_stored_texts"]
        return out


def _path(i: int) -> str:
    return f"/news/real/{i}/"


def _open(db: Path):
    return open_location(location(db), read_only=True)


def _load_facts(db: Path, edited_prefixes: set[str]) -> dict:
    """The last load's edited/retitled versions (real or false), template events and failure."""
    with _open(db) as con:
        batch, error = con.execute("SELECT batch_id, error FROM crawl_runs ORDER BY loaded_at DESC LIMIT 1").fetchall()[
            0
        ]
        rows = con.execute(
            "SELECT url, change_kind, changed_sentence, contains(text, ?) FROM article_versions "
            "WHERE batch_id = ? AND change_kind IN ('edited', 'retitled')",
            [CORRECTION, batch],
        ).fetchall()
        promo = con.execute("SELECT count(*) FROM articles WHERE contains(text, ?)", [REDESIGN_PROMO]).fetchall()[0][0]
        events = _optional(con, "SELECT count(*) FROM template_events WHERE batch_id = ?", [batch])
        carried = _optional(
            con,
            "SELECT count(DISTINCT article_id) FROM article_blocks WHERE block = left(md5(?), 16)",
            [REDESIGN_PROMO],
        )

    def edited_page(url: str) -> bool:
        return any(url.startswith(p) for p in edited_prefixes)

    real = [
        url
        for url, kind, sentence, _ in rows
        if edited_page(url) and kind == "edited" and CORRECTION in (sentence or "")
    ]
    carrying = [url for url, _, _, has in rows if edited_page(url) and has]
    return {
        "batch_id": batch,
        "versions": len(rows),
        "real": len(real),
        "false": len(rows) - len(real),
        "edits_recorded": len(carrying),  # versions of an edited page carrying the edit, whatever they name
        "kinds": {kind: sum(1 for _, k, _, _ in rows if k == kind) for kind in ("edited", "retitled")},
        "template_events": events or 0,
        "extraction_failures": 1 if error and "extraction failed" in error else 0,
        "error": error,
        "promo_in_stored_texts": promo,
        "promo_in_extracted_texts": carried,  # before stripping (None: a presswatch without site templates)
    }


def _optional(con, sql: str, params: list):
    try:
        return con.execute(sql, params).fetchall()[0][0]
    except duckdb.CatalogException:
        return None


def _editable(corpus, articles: list[int]) -> list[int]:
    """Stored articles whose edit reaches the extracted text, with and without the new template; a fixed order."""
    from crawlers.encoding import decode_html
    from crawlers.extraction import ExtractionOptions, extract_page

    options = ExtractionOptions()
    found = []
    for i in sorted(articles, key=lambda i: hashlib.sha1(f"template-edit:{i}".encode()).hexdigest()):
        ok = True
        for templated in (False, True):
            page = extract_page(decode_html(corpus.body(i, 1, templated), None).text, "http://x/", options)
            ok = ok and page.get("outcome") == "article" and CORRECTION in (page.get("text") or "")
        if ok:
            found.append(i)
        if len(found) == 11:
            break
    return found


def _baseline(path: str | None) -> dict | None:
    import json

    return json.loads(Path(path).read_text(encoding="utf-8")) if path else None


def targets(results: dict, recrawls: int, baseline: dict | None = None) -> list[dict]:
    """Issue 21's targets against the figures (F1 against a run of the code before, `--baseline`)."""
    redesign, rollout, churn = (results[k]["totals"] for k in ("redesign", "rollout", "churn"))
    quiet = sum(run["versions"] for run in results["churn"]["crawls"][:recrawls])
    last = results["churn"]["crawls"][-1]
    quality = results["quality"]
    ours, bare = quality["presswatch"].get("f1") or 0, quality["bare_trafilatura"].get("f1")
    before = ((baseline or {}).get("quality") or {}).get("presswatch", {}).get("f1")
    return [
        {
            "target": "redesign of every page with 3 real edits: 3 versions, all real, 1 template event",
            "value": f"{redesign['versions']} versions ({redesign['real']} real), {redesign['template_events']} event(s)",
            "met": redesign["versions"] == redesign["real"] == 3 and redesign["template_events"] == 1,
        },
        {
            "target": "rollout over 3 crawls with 1 real edit each: 3 versions",
            "value": f"{rollout['versions']} versions ({rollout['real']} real), {rollout['template_events']} event(s)",
            "met": rollout["versions"] == rollout["real"] == 3,
        },
        {
            "target": f"churn: {recrawls} recrawls, 0 versions; then 5 real edits, 5 versions",
            "value": f"{quiet} versions, then {last['versions']} ({last['real']} real)",
            "met": quiet == 0 and last["versions"] == last["real"] == 5,
        },
        {
            "target": "extraction F1 of the stored texts (first crawl) not lower than before (--baseline)",
            "value": f"{ours} (before: {before if before is not None else 'not given'}; bare trafilatura {bare})",
            "met": None if before is None else ours >= before,
        },
    ]


def table(results: dict) -> str:
    lines = [f"{'scenario':<36} {'crawl':>5} {'versions':>8} {'real':>5} {'false':>6} {'events':>6} {'promo kept':>10}"]
    for key in ("redesign", "rollout", "churn"):
        for n, run in enumerate(results[key]["crawls"], 1):
            lines.append(
                f"{results[key]['what']:<36} {n:>5} {run['versions']:>8} {run['real']:>5} {run['false']:>6} "
                f"{run['template_events']:>6} {run['promo_in_stored_texts']:>10}"
            )
    lines.append("")
    for target in results["targets"]:
        verdict = {True: "met", False: "NOT MET", None: "-"}[target["met"]]
        lines.append(f"{verdict:<8} {target['target']}: {target['value']}")
    return "\n".join(lines)


def _say(message: str) -> None:
    import sys

    print(f"[bench template {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
