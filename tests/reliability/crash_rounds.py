"""The crash rounds of tests/reliability/test_crash_safety*.py: the wrappers that announce kill
points, the seeded plan of kills, and one sequence of killed crawls and loads.

The plan's ROUNDS rounds are split in PARTS sequences (every PARTS-th round), each in a warehouse
of its own and checked by a test class of its own, so that pytest-xdist's workers run them at once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawlers.registry import load_registry
from flows.crawl_step import crawl_arguments, crawl_environment, crawl_source_process
from tests.conftest import ROOT
from tests.reliability.conftest import module_pipeline, presswatch
from tests.reliability.faulty_server import FaultPlan, FaultyServer
from tests.servers import Route, article_html, registry_entry
from warehouse.check import check_warehouse
from warehouse.loader import load_pending
from warehouse.revisits import export_known
from warehouse.staging import new_batch_id

SEED = 7_2021
ARTICLES = 40
ROUNDS = 12
PARTS = 4  # tests/reliability/test_crash_safety.py's TestPart0 to TestPart3
HEAVY_EVERY = 4  # every 4th page is long, so extraction takes a while and can be caught mid-way
PAUSE = 60  # seconds a paused child sleeps; the kill comes within milliseconds

# The crawl, wrapped so it can announce and pause at named points (our code only; Scrapy,
# trafilatura and DuckDB run unchanged).
CRAWL_WRAPPER = r"""
import os, sys, time
from crawlers.pipelines import archive, extract
from warehouse import staging

POINT = os.environ.get("PW_PAUSE_AT", "")
counts = {}

def point(name, pause=True):
    counts[name] = counts.get(name, 0) + 1
    counts["any"] = counts.get("any", 0) + 1
    tag = f"{name}:{counts[name]}" if name not in ("close", "manifest") else name
    print("PW-POINT " + tag, flush=True)
    if pause and POINT in (tag, f"any:{counts['any']}"):
        print("PW-PAUSED " + tag, flush=True)
        time.sleep(%(pause)d)

write = staging.BatchWriter.write
def write_(self, record):
    point("write")
    return write(self, record)
staging.BatchWriter.write = write_

close = staging.BatchWriter.close
def close_(self, *args, **kwargs):
    point("close")
    return close(self, *args, **kwargs)
staging.BatchWriter.close = close_

write_json = staging._write_json
def write_json_(path, data):
    write_json(path, data)
    if path.name == staging.MANIFEST:
        point("manifest")
staging._write_json = write_json_

archive_item = archive.ArchivePipeline.process_item
def archive_item_(self, item):
    item = archive_item(self, item)
    if item.get("warc_file"):
        point("archived")
    return item
archive.ArchivePipeline.process_item = archive_item_

extract_item = extract.ExtractPipeline.process_item
async def extract_item_(self, item):
    if item.get("type") == "capture" and item.get("outcome") == "fetched":
        point("extract", pause=False)  # the page is going to the pool: the kill lands mid-extraction
    return await extract_item(self, item)
extract.ExtractPipeline.process_item = extract_item_

from crawlers.run import main
sys.exit(main())
""" % {"pause": PAUSE}  # noqa: UP031 (the template is Python with its own braces)

LOAD_WRAPPER = r"""
import os, sys, time
from warehouse import loader

POINT = os.environ.get("PW_PAUSE_AT", "")
batch = [0]
seen = [0]

def point(name):
    tag = f"{name}:{batch[0]}"
    seen[0] += 1
    print("PW-POINT " + tag, flush=True)
    if POINT in (tag, f"any:{seen[0]}"):
        print("PW-PAUSED " + tag, flush=True)
        time.sleep(%(pause)d)

def after(function, name):
    def wrapped(*args, **kwargs):
        result = function(*args, **kwargs)
        point(name)
        return result
    return wrapped

for name, function in (("staged", "_stage"), ("fetches", "_insert_fetches"), ("versions", "_write_versions"),
                       ("state", "_update_state"), ("run", "_record_run"), ("committed", "load_batch")):
    setattr(loader, function, after(getattr(loader, function), name))

mark_loaded = loader.mark_loaded
def mark_loaded_(batch_, root):
    result = mark_loaded(batch_, root)
    point("moved")
    batch[0] += 1
    return result
loader.mark_loaded = mark_loaded_

db, staging_, loaded = sys.argv[1:4]
print("PW-POINT start", flush=True)
loader.load_pending(db, staging_, loaded, wait=10)
print("PW-POINT done", flush=True)
""" % {"pause": PAUSE}  # noqa: UP031 (the template is Python with its own braces)

LOAD_POINTS = ["staged", "fetches", "versions", "state", "run", "committed", "moved"]


def page(i: int, served: int) -> Route:
    """Article i; its raw bytes change on every request (a counter in a comment), its text never does."""
    paragraphs = [
        f"Report {i} opens with the news of the day, told in plain words for the archive of record.",
        f"Report {i} continues with numbers: {i * 13} people, {i * 5} places and {i + 3} decisions.",
    ]
    if i % HEAVY_EVERY == 0:
        paragraphs += [
            f"Background paragraph {j} of report {i} repeats the long history of the matter. " * 8 for j in range(40)
        ]
    return Route(article_html(f"Report number {i}", paragraphs).replace("</body>", f"<!-- served {served} --></body>"))


@dataclass
class Kill:
    """One seeded kill: where it was aimed, and what was seen when it landed."""

    step: str  # crawl | load
    point: str  # e.g. request:12, archived:3, extract:7, write:20, close, manifest, any:40, versions:1
    killed: bool = False
    last_point: str | None = None
    staged_lines: int | None = None

    @property
    def phase(self) -> str:
        name = self.point.split(":")[0]
        return {
            "request": "fetching",
            "archived": "archive",
            "extract": "extraction",
            "write": "staging",
            "close": "staging (closing)",
            "manifest": "staging (manifest)",
            "any": "any point",
            "staged": "load (before transaction)",
            "fetches": "load transaction",
            "versions": "load transaction",
            "state": "load transaction",
            "run": "load transaction",
            "committed": "load (after commit)",
            "moved": "load (after move)",
        }.get(name, name)


def plan_kills(rng: random.Random) -> list[tuple[str, tuple[str, float]]]:
    """ROUNDS (crawl point, load point) pairs, drawn from the seed.

    A load point is (name, u): it is aimed at the batch int(u * pending batches) of that load, as
    how many batches are pending is known only when the load starts. "any:N" is the Nth point the
    process reaches, whatever its kind (a crawl reaches over 160, a load 8 per batch): a moment
    drawn from the seed, reached however busy the machine is, never a timer.
    """
    crawl = (
        [f"request:{rng.randint(3, ARTICLES)}" for _ in range(3)]
        + [f"archived:{rng.randint(1, ARTICLES)}" for _ in range(2)]
        + [f"extract:{rng.randint(1, ARTICLES)}" for _ in range(2)]
        + [f"write:{rng.randint(1, ARTICLES)}" for _ in range(2)]
        + ["close", "manifest", f"any:{rng.randint(5, 120)}"]
    )
    rng.shuffle(crawl)
    load = [(p, rng.random()) for p in LOAD_POINTS] + [(rng.choice(LOAD_POINTS), rng.random()) for _ in range(3)]
    load += [("any", rng.randint(1, 6)) for _ in range(ROUNDS - len(load))]
    rng.shuffle(load)
    return list(zip(crawl, load))


def load_point(spec: tuple[str, float], staging: Path) -> str | None:
    """The load point to aim at, now that the pending batches can be counted (None: nothing to load)."""
    name, value = spec
    pending = len([p for p in staging.iterdir() if p.is_dir()]) if staging.exists() else 0
    if not pending:
        return None
    return f"any:{value}" if name == "any" else f"{name}:{int(value * pending)}"


def run_and_kill(
    command: list[str],
    env: dict,
    kill: Kill,
    server: FaultyServer | None = None,
    log: Path | None = None,
    timeout: float = 300.0,
) -> Kill:
    """Run `command` in its own session; SIGKILL its process group when `kill.point` is reached."""
    name, _, arg = kill.point.partition(":")
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=open(log, "ab") if log else subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    hit, landed = threading.Event(), threading.Event()

    def read():
        for line in process.stdout:
            if line.startswith("PW-POINT "):
                kill.last_point = line.split()[1]
                if kill.point == kill.last_point and name == "extract":
                    hit.set()
            elif line.startswith("PW-PAUSED "):
                hit.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if name == "request" and server is not None:
        count = [0]

        def on_request(path, attempt):
            count[0] += 1
            if count[0] == int(arg):
                hit.set()
                landed.wait(10)  # hold this answer until the crawler is dead: a kill mid-fetch

        server.before_answer = on_request
    started = time.monotonic()
    try:
        while process.poll() is None and time.monotonic() - started < timeout:
            if hit.is_set():
                os.killpg(process.pid, signal.SIGKILL)
                kill.killed = True
                break
            hit.wait(0.05)
        else:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                pytest.fail(f"{kill.step} did not reach {kill.point} within {timeout}s")
        process.wait()
    finally:
        landed.set()
        if server is not None:
            server.before_answer = None
    reader.join(5)
    return kill


def count_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except OSError:
        return 0


def crash_rounds(tmp: Path, part: int) -> tuple:
    """Part `part` (0 to PARTS - 1) of the seeded plan: every PARTS-th round, each a killed crawl and
    a killed load in one warehouse, then a normal crawl and load. Returns (pipeline, server log, kills,
    checks after each round, batch ids)."""
    pipeline = module_pipeline(tmp)
    settings = pipeline.settings
    served = {"n": 0}

    def dynamic(path: str):
        if path.startswith("/news/") and path.endswith(".html"):
            served["n"] += 1
            return page(int(path[6:-5]), served["n"])
        return None

    routes = {"/robots.txt": Route("User-agent: *\nAllow: /\n", content_type="text/plain")}
    kills: list[Kill] = []
    checks = []
    batches: list[str] = []
    with FaultyServer(routes, FaultPlan(), dynamic=dynamic) as server:
        base = server.url
        server.routes["/sitemap.xml"] = Route(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{base}/news/{i}.html</loc></url>" for i in range(ARTICLES))
            + "</urlset>",
            content_type="application/xml",
        )
        pipeline.use_registry(
            registry_entry(
                "crash",
                base,
                sitemaps=[base + "/sitemap.xml"],
                article_pattern=r"/news/\d+\.html$",
                concurrency=4,
                crawl_timeout=120.0,
            )
        )
        source = load_registry(settings.registry).get("crash")
        env = crawl_environment()
        settings.work.mkdir(parents=True, exist_ok=True)
        for crawl_point, load_spec in plan_kills(random.Random(SEED))[part::PARTS]:
            batch_id = new_batch_id("crash")
            batches.append(batch_id)
            known = settings.work / f"{batch_id}.known.jsonl"
            export_known(settings.db, source, known, wait=10)
            command = [sys.executable, "-c", CRAWL_WRAPPER, *crawl_arguments(source, settings, known, batch_id, 2)]
            kill = Kill("crawl", crawl_point)
            run_and_kill(command, {**env, "PW_PAUSE_AT": crawl_point}, kill, server, settings.work / "crawl.log")
            kill.staged_lines = count_lines(settings.staging / batch_id / "records.jsonl")
            kills.append(kill)
            aim = load_point(load_spec, settings.staging)
            command = [
                sys.executable,
                "-c",
                LOAD_WRAPPER,
                str(settings.db),
                str(settings.staging),
                str(settings.loaded),
            ]
            if aim:
                kills.append(
                    run_and_kill(
                        command, {**env, "PW_PAUSE_AT": aim}, Kill("load", aim), log=settings.work / "load.log"
                    )
                )
            report = check_warehouse(settings.db, settings.staging, settings.loaded, settings.archive, deep=True)
            checks.append((crawl_point, aim, report))
        server.wait_idle()
        outcome = crawl_source_process(source, settings)
        batches.append(outcome.batch_id)
        load_pending(settings.db, settings.staging, settings.loaded, wait=10)
        return pipeline, server.snapshot(), kills, checks, batches


def planned_kills() -> list[Kill]:
    """Every kill of the plan, crawls and loads, as aimed (a load's batch is chosen when it starts)."""
    return [
        kill
        for crawl, (load, _) in plan_kills(random.Random(SEED))
        for kill in (Kill("crawl", crawl), Kill("load", load))
    ]


def assert_kills_landed(rounds) -> None:
    """Every kill of a part lands but at most one (a load may finish before its point: nothing to
    write), so at least ROUNDS * 2 - PARTS of the plan's kills land; never the only kill of a phase."""
    _, _, kills, _, _ = rounds
    for k in kills:
        print(
            f"{k.step:5} {k.point:14} {k.phase:26} killed={k.killed} last point={k.last_point} staged lines={k.staged_lines}"
        )
    missed = [(k.step, k.point, k.last_point) for k in kills if not k.killed]
    assert len(missed) <= 1, missed
    aimed = Counter(k.phase for k in planned_kills())
    assert all(aimed[Kill(step, point).phase] > 1 for step, point, _ in missed), (missed, aimed)


def assert_invariants_held_after_every_kill(rounds) -> None:
    _, _, _, checks, _ = rounds
    broken = [(crawl, load, c.name, c.examples) for crawl, load, report in checks for c in report.checks if not c.ok]
    assert broken == []


def assert_every_article_once_and_whole(rounds) -> None:
    pipeline, server, _, _, _ = rounds
    expected = {f"{server.url}/news/{i}.html" for i in range(ARTICLES)}
    rows = pipeline.query("SELECT canonical_url, version, change_kind FROM article_versions")
    assert sorted(url for url, *_ in rows) == sorted(expected)  # once each, no more versions
    assert {(v, k) for _, v, k in rows} == {(1, "new")}
    texts = dict(pipeline.query("SELECT canonical_url, text FROM articles"))
    for i in range(ARTICLES):
        assert f"Report {i} continues with numbers" in texts[f"{server.url}/news/{i}.html"]


def assert_no_batch_lost_or_loaded_twice(rounds) -> None:
    pipeline, _, _, _, batches = rounds
    settings = pipeline.settings
    staged = [b for b in batches if (settings.loaded / b / "records.jsonl").exists() or (settings.staging / b).exists()]
    loaded = {b: n for b, n in pipeline.query("SELECT batch_id, records FROM loaded_batches")}
    assert sorted(loaded) == sorted(staged)  # every batch that staged anything was loaded, once (primary key)
    # Only a crawl killed between creating its folder and starting its writer may leave a folder
    # behind, and that one holds no record.
    leftovers = [p for p in settings.staging.iterdir() if any(p.iterdir())] if settings.staging.exists() else []
    assert leftovers == []
    for batch_id in staged:
        lines = [json.loads(line) for line in (settings.loaded / batch_id / "records.jsonl").read_text().splitlines()]
        assert loaded[batch_id] == sum(1 for r in lines if r["type"] in ("fetch", "capture"))
    statuses = dict(pipeline.query("SELECT status, count(*) FROM crawl_runs GROUP BY 1"))
    assert statuses.get("complete", 0) >= 1 and statuses.get("interrupted", 0) >= 1, statuses
    print(f"\n{len(batches)} crawls, {len(staged)} batches staged and loaded once each, runs {statuses}")


def assert_check_passes_after_the_normal_run(rounds) -> None:
    pipeline, _, _, _, _ = rounds
    result = presswatch("--db", str(pipeline.db), "--data", str(pipeline.settings.data), "check", "--deep")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout and "Traceback" not in result.stderr
