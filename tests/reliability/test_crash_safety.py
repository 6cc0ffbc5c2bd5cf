"""Crash safety: SIGKILL the crawl and the load at seeded points, then run normally; nothing is lost or doubled.

One warehouse lives through twelve rounds. Each round crawls the site in a real crawl process
(`python -m crawlers.run`, as the flows start it, in its own session) and kills its whole
process group at a seeded point, then loads what is staged in a real load process and kills that
too at a seeded point, then checks the warehouse's invariants (warehouse/check.py). A last round
crawls and loads normally and `presswatch check` must pass.

Kill points in the crawl: while the server answers the Nth request (fetching), right after the
Nth capture was archived (before extraction), just after the Nth page went to the extraction
pool (extracting), before the Nth staged record is written (staging), when the batch is being
closed (records written, no manifest yet), when the manifest is written but the writer's marker
not yet removed, and at the Nth point of any kind. In the load: after the records are staged into a
temporary table, after the fetches insert, the versions write, the state update and the run
row (all inside the batch's transaction), after COMMIT before the batch folder moves, after the
move, and at the Nth point of any kind. The points come from `SEED` and are reached by a wrapper
that announces them on stdout and pauses there until the kill lands: no kill waits on a timer.
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
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawlers.registry import load_registry
from flows.crawl_step import crawl_source_process
from tests.conftest import ROOT
from tests.reliability.conftest import (
    module_pipeline,
    presswatch,
    shared_result,
    synthetic_capture,
    synthetic_warehouse,
)
from tests.reliability.faulty_server import FaultPlan, FaultyServer
from tests.servers import Route, article_html, registry_entry
from warehouse.check import check_warehouse
from warehouse.db import connect
from warehouse.loader import load_pending
from warehouse.revisits import export_known
from warehouse.staging import BatchWriter, new_batch_id

SEED = 7_2021
ARTICLES = 40
ROUNDS = 12
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
            f"Background paragraph {j} of report {i} repeats the long history of the matter. " * 8 for j in range(150)
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


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    """The warehouse after ROUNDS killed crawls and loads and one normal crawl and load (computed once per session)."""
    return shared_result(tmp_path_factory, "crash", _rounds)


def _rounds(tmp: Path):
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
        env = {
            **os.environ,
            "SCRAPY_SETTINGS_MODULE": "crawlers.settings",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        settings.work.mkdir(parents=True, exist_ok=True)
        for crawl_point, load_spec in plan_kills(random.Random(SEED)):
            batch_id = new_batch_id("crash")
            batches.append(batch_id)
            known = settings.work / f"{batch_id}.known.jsonl"
            export_known(settings.db, source, known, wait=10)
            command = [
                sys.executable,
                "-c",
                CRAWL_WRAPPER,
                "--source",
                "crash",
                "--registry",
                str(settings.registry),
                "--known",
                str(known),
                "--staging",
                str(settings.staging),
                "--archive",
                str(settings.archive),
                "--batch-id",
                batch_id,
                "--log-level",
                "WARNING",
                "--workers",
                "2",
            ]
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


def test_at_least_twenty_kills_landed_across_every_phase(rounds):
    _, _, kills, _, _ = rounds
    landed = [k for k in kills if k.killed]
    assert len(landed) >= 20, [(k.step, k.point, k.killed) for k in kills]
    phases = {k.phase for k in landed}
    assert {"fetching", "archive", "extraction", "staging", "load transaction", "load (after commit)"} <= phases, phases
    for k in kills:
        print(
            f"{k.step:5} {k.point:14} {k.phase:26} killed={k.killed} last point={k.last_point} staged lines={k.staged_lines}"
        )


def test_invariants_hold_after_every_kill(rounds):
    _, _, _, checks, _ = rounds
    broken = [(crawl, load, c.name, c.examples) for crawl, load, report in checks for c in report.checks if not c.ok]
    assert broken == []


def test_every_article_once_and_whole(rounds):
    pipeline, server, _, _, _ = rounds
    expected = {f"{server.url}/news/{i}.html" for i in range(ARTICLES)}
    rows = pipeline.query("SELECT canonical_url, version, change_kind FROM article_versions")
    assert sorted(url for url, *_ in rows) == sorted(expected)  # once each, no more versions
    assert {(v, k) for _, v, k in rows} == {(1, "new")}
    texts = dict(pipeline.query("SELECT canonical_url, text FROM articles"))
    for i in range(ARTICLES):
        assert f"Report {i} continues with numbers" in texts[f"{server.url}/news/{i}.html"]


def test_no_batch_lost_or_loaded_twice(rounds):
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


def test_presswatch_check_passes_after_the_normal_run(rounds):
    pipeline, _, _, _, _ = rounds
    result = presswatch("--db", str(pipeline.db), "--data", str(pipeline.settings.data), "check", "--deep")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout and "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------------------
# `presswatch check` finds each kind of violation


def test_check_names_each_kind_of_violation(tmp_path):
    db, data = synthetic_warehouse(tmp_path)
    clean = presswatch("--db", str(db), "--data", str(data), "check")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    with connect(db) as con:
        con.execute("UPDATE article_versions SET valid_to = NULL WHERE article_id = 'a0000'")  # two current versions
        con.execute("UPDATE article_versions SET version = 3 WHERE article_id = 'a0002' AND version = 2")  # a gap
        con.execute(
            "UPDATE article_versions SET valid_to = valid_to - INTERVAL 1 HOUR WHERE article_id = 'a0004' AND version = 1"
        )
        con.execute("UPDATE article_versions SET text = NULL WHERE article_id = 'a0001'")  # a half-written version
        con.execute("UPDATE article_versions SET warc_offset = 10_000 WHERE article_id = 'a0003'")  # outside its file
        con.execute("UPDATE article_versions SET warc_file = 'synthetic/gone.warc.gz' WHERE article_id = 'a0005'")
        con.execute("DELETE FROM loaded_batches WHERE batch_id LIKE '20240102%'")  # versions of an unrecorded batch
        con.execute("DELETE FROM article_state WHERE article_id = 'a0007'")
        con.execute(
            "DELETE FROM fetches WHERE batch_id LIKE '20240101%' AND article_id = 'a0006'"
        )  # a batch loaded in part
        con.execute(
            "INSERT INTO sources SELECT * FROM sources"
        )  # a key twice: DuckLake cannot refuse it, check must tell
    stuck = data / "staging" / "20240103T000000-synthetic-000009"
    stuck.mkdir(parents=True)
    (stuck / "records.jsonl").write_text(
        json.dumps(synthetic_capture(9, stuck.name, "x", "2024-01-03T00:00:00")) + "\n"
    )
    result = presswatch("--db", str(db), "--data", str(data), "check", "--examples", "1")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    failed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("     ")}
    expected = {
        "unique_keys:",
        "current_version:",
        "version_numbers:",
        "validity:",
        "whole_versions:",
        "versions_loaded:",
        "batches_whole:",
        "article_state:",
        "batches:",
        "archive:",
    }
    assert expected <= failed, result.stdout
    assert "... and" in result.stdout  # --examples 1 shows one per kind and counts the rest
    assert result.stderr.strip().startswith("presswatch check: ") and len(result.stderr.strip().splitlines()) == 1
    as_json = json.loads(presswatch("--db", str(db), "--data", str(data), "check", "--format", "json").stdout)
    assert not as_json["ok"] and {c["name"] for c in as_json["checks"] if not c["ok"]} >= {
        e.rstrip(":") for e in expected
    }


def test_check_notes_a_batch_loaded_but_not_yet_moved(tmp_path):
    """A load killed between COMMIT and moving the folder: legitimate; the next load skips and moves it."""
    db, data = synthetic_warehouse(tmp_path)
    moved = next((data / "loaded").iterdir())
    moved.rename(data / "staging" / moved.name)
    result = presswatch("--db", str(db), "--data", str(data), "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "already loaded but still under" in result.stdout
    results = load_pending(db, data / "staging", data / "loaded")
    assert [r.skipped for r in results] == [True]
    assert not any((data / "staging").iterdir())


def test_an_unreadable_batch_does_not_block_the_others(tmp_path):
    """A damaged records file (a disk error, a hand edit) stays staged and is reported; the batches after it load."""
    db, data = synthetic_warehouse(tmp_path)
    for name, stamp in (
        ("20240105T000000-synthetic-bad", "2024-01-05T00:00:00"),
        ("20240106T000000-synthetic-good", "2024-01-06T00:00:00"),
    ):
        writer = BatchWriter(data / "staging" / name, name, "synthetic", {})
        writer.write({**synthetic_capture(20, name, "synthetic/one.warc.gz", stamp), "warc_offset": 0})
        writer.close()
    with open(data / "staging" / "20240105T000000-synthetic-bad" / "records.jsonl", "a", encoding="utf-8") as records:
        records.write('{"type": "capture", "url": "http://127.0.0.1:9/x", {broken\n')
    results = load_pending(db, data / "staging", data / "loaded")
    by_id = {r.batch_id: r for r in results}
    assert not by_id["20240106T000000-synthetic-good"].skipped
    bad = by_id["20240105T000000-synthetic-bad"]
    assert bad.status == "failed" and "records.jsonl" in bad.error
    assert (data / "staging" / "20240105T000000-synthetic-bad" / "manifest.json").exists()  # kept, not lost
    result = presswatch("--db", str(db), "--data", str(data), "check")
    assert result.returncode == 0 and "1 batch(es) pending" in result.stdout
