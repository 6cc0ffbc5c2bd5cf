"""The `ingest` flow under Prefect's test harness: end to end on the demo site, failing and hanging
sources beside a healthy one, a warehouse held by a reader, overlapping runs, and the run report.

Every site is a real HTTP server on 127.0.0.1; the crawls are real Scrapy subprocesses.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from demo_site import demo_registry
from tests.conftest import ROOT, plain_duckdb, run_cli
from warehouse.db import connect

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from prefect.client.orchestration import get_client  # noqa: E402
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey  # noqa: E402

from flows.ingest import ingest  # noqa: E402


@pytest.fixture(scope="session")
def harness(prefect_api):
    """The Prefect server every flow run of this module records on (one per pytest worker)."""
    return prefect_api


# ------------------------------------------------------------------ sites that misbehave


class _Always500(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"internal error"
        self.send_response(500)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def failing_site():
    """A loopback server that answers 500 to everything."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Always500)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def hanging_site():
    """A loopback port that takes connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def plain_source(name: str, base: str, **extra) -> str:
    """A registry entry for a site at `base` with one feed."""
    lines = [
        "[[sources]]",
        f'name = "{name}"',
        f'label = "{name} (test)"',
        'language = "en"',
        'allowed_domains = ["127.0.0.1"]',
        f'feeds = ["{base}/feed.xml"]',
        "article_pattern = '/a/\\d+'",
        "download_delay = 0.0",
        "autothrottle = false",
    ]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def demo_sources(base_url: str, *names: str) -> str:
    """The demo registry cut down to `names`."""
    blocks = demo_registry(base_url).split("\n\n")
    return "\n\n".join(b for b in blocks if any(f'name = "{n}"' in b for n in names)) + "\n"


# ------------------------------------------------------------------ helpers


@pytest.fixture
def paths(tmp_path):
    """Warehouse, registry and data folder of one test."""
    return {"db": tmp_path / "pw", "registry": tmp_path / "sources.toml", "data": tmp_path / "data"}


def run(paths, **options):
    """One ingest flow run in this process; returns (state, summary dict or None)."""
    parameters = {"crawl_retries": 0, "retry_delay": 0.0, "load_wait": 10.0, **options}
    state = ingest(
        db=str(paths["db"]), registry=str(paths["registry"]), data=str(paths["data"]), return_state=True, **parameters
    )
    return state, (state.result() if state.is_completed() else None)


def query(db: Path, sql: str, params=None) -> list[tuple]:
    with plain_duckdb(db) as con:
        return con.execute(sql, params or []).fetchall()


def report_of(state) -> str:
    """The markdown of the run's "ingest-report" artifact, read back from the Prefect API."""
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["ingest-report"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id]),
            )
        )
    assert len(artifacts) == 1
    return artifacts[0].data


def table_rows(markdown: str) -> dict[str, list[str]]:
    """The report's table as {source: cells}."""
    rows = {}
    for line in markdown.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] not in ("source", "") and not set(line) <= set("|-"):
            rows[cells[0]] = cells
    return rows


# ------------------------------------------------------------------ tests


def test_ingest_runs_end_to_end_and_reports_each_source(harness, site, paths):
    paths["registry"].write_text(demo_registry(site.base_url), encoding="utf-8")
    names = {"chinadaily", "xinhua", "globaltimes", "xjgov", "unnews"}

    state, summary = run(paths)
    assert state.is_completed(), state.message
    assert {s["source"] for s in summary["sources"]} == names
    assert all(s["status"] == "ok" for s in summary["sources"])
    assert summary["loaded_batches"] == 5 and summary["left_staged"] == 0
    assert (
        query(paths["db"], "select count(*) from articles")[0][0]
        == sum(s["counts"]["new"] for s in summary["sources"])
        > 0
    )
    run_ids = query(paths["db"], "select distinct run_id from crawl_runs")
    assert run_ids == [(str(state.state_details.flow_run_id),)]

    first = report_of(state)
    rows = table_rows(first)
    assert set(rows) == names
    for entry in summary["sources"]:
        cells, counts = rows[entry["source"]], entry["counts"]
        assert cells[1] == "ok"
        assert cells[2:4] == [str(counts["pages_fetched"]), str(counts["new"])]
    assert "Batches loaded: 5; left staged: 0." in first
    assert "## Changes" not in first  # new articles are counted, not listed

    site.set_stage(2)  # the site edits one article and deletes another
    state, summary = run(paths)
    assert state.is_completed(), state.message
    second = report_of(state)
    rows = table_rows(second)
    assert rows["globaltimes"][4] == "1"  # the edited column
    assert rows["chinadaily"][6] == "1"  # the deleted column
    changes = second.split("## Changes", 1)[1]
    assert (
        "edited (silent) · globaltimes · China rejects politicizing human rights as UN council opens 46th session · "
        f"{site.base_url}/globaltimes/page/202102/1216377.shtml" in changes
    )
    assert "deleted · chinadaily · Winter tourism heats up in Altay as ski resorts draw crowds · " in changes
    assert (
        "+ Analysts said many of the accusations against Xinjiang were not supported by the facts on the ground."
        in changes
    )


def test_failing_and_hanging_sources_do_not_stop_a_healthy_one(harness, site, paths):
    with failing_site() as broken, hanging_site() as hanging:
        paths["registry"].write_text(
            demo_sources(site.base_url, "unnews")
            + "\n"
            + plain_source("broken", broken)
            + "\n"
            + plain_source("hanging", hanging, download_timeout=2, crawl_timeout=5),
            encoding="utf-8",
        )
        state, summary = run(paths)

    assert state.is_completed(), state.message
    by_source = {s["source"]: s for s in summary["sources"]}
    assert by_source["unnews"]["status"] == "ok" and by_source["unnews"]["counts"]["new"] > 0
    assert by_source["broken"]["status"] == "failed"
    assert "HTTP 500" in by_source["broken"]["error"]
    assert by_source["hanging"]["status"] == "failed"
    assert by_source["hanging"]["error"] == "crawl timed out after 5s"
    assert query(paths["db"], "select count(*) from articles where source = 'unnews'")[0][0] > 0

    # every batch, the dead crawl's too, is recorded under this run with why it failed
    recorded = dict(
        query(
            paths["db"], "select source, error from crawl_runs where run_id = ?", [str(state.state_details.flow_run_id)]
        )
    )
    assert recorded["unnews"] is None
    assert "HTTP 500" in recorded["broken"]
    assert recorded["hanging"] == "crawl timed out after 5s"
    markdown = report_of(state)
    assert table_rows(markdown)["hanging"][1] == "failed: crawl timed out after 5s"

    listed = run_cli("--db", str(paths["db"]), "runs", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    [latest] = json.loads(listed.stdout)
    assert latest["status"] == "partial"
    assert latest["sources"] == "broken, hanging, unnews"
    assert "hanging: crawl timed out after 5s" in latest["failures"]


def test_a_load_that_cannot_get_the_write_lock_leaves_its_batch_staged_and_says_so(harness, site, paths):
    paths["registry"].write_text(demo_sources(site.base_url, "unnews"), encoding="utf-8")
    state, summary = run(paths)
    assert state.is_completed() and summary["loaded_batches"] == 1

    with connect(paths["db"]):  # another writer holds the write lock for the whole run
        state, summary = run(paths, load_wait=2.0)
    assert state.is_completed(), state.message
    assert summary["loaded_batches"] == 0 and summary["left_staged"] >= 1
    assert "another load" in summary["load_error"]
    [unnews] = summary["sources"]
    assert unnews["status"] == "staged" and "stays staged" in unnews["error"]  # not a row of zeros called ok
    held_run = str(state.state_details.flow_run_id)
    assert "Load deferred:" in report_of(state)
    assert query(paths["db"], "select count(*) from crawl_runs where run_id = ?", [held_run])[0][0] == 0

    state, summary = run(paths)
    assert state.is_completed(), state.message
    assert summary["loaded_batches"] == 2 and summary["left_staged"] == 0
    assert query(paths["db"], "select count(*) from crawl_runs where run_id = ?", [held_run])[0][0] == 1


RUN_ONE = """
import json, sys
from flows.ingest import ingest
db, registry, data, name = sys.argv[1:]
state = ingest(sources=[name], db=db, registry=registry, data=data, crawl_retries=0, retry_delay=0.0,
               load_wait=120.0, return_state=True)
print(json.dumps({"completed": state.is_completed(), "summary": state.result() if state.is_completed() else None}))
"""


def test_overlapping_runs_each_load_their_own_batch_once(harness, site, paths):
    paths["registry"].write_text(demo_sources(site.base_url, "unnews", "xjgov"), encoding="utf-8")
    paths["data"].mkdir(parents=True)
    env = {**os.environ, "PREFECT_API_URL": harness, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    # Hold the load lock so that both runs have staged their batch before either loads.
    with open(paths["data"] / "load.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        runs = [
            subprocess.Popen(
                [sys.executable, "-c", RUN_ONE, str(paths["db"]), str(paths["registry"]), str(paths["data"]), name],
                stdout=subprocess.PIPE,
                text=True,
                cwd=ROOT,
                env=env,
            )
            for name in ("unnews", "xjgov")
        ]
        deadline = time.monotonic() + 180
        while len(list((paths["data"] / "staging").glob("*/manifest.json"))) < 2:
            assert all(r.poll() is None for r in runs), "a run ended before loading"
            assert time.monotonic() < deadline, "the two crawls did not finish"
            time.sleep(0.2)
        fcntl.flock(lock, fcntl.LOCK_UN)
    outcomes = []
    for process in runs:
        out, _ = process.communicate(timeout=300)
        assert process.returncode == 0
        outcomes.append(json.loads(out.strip().splitlines()[-1]))

    for name, outcome in zip(("unnews", "xjgov"), outcomes):
        assert outcome["completed"]
        summary = outcome["summary"]
        assert summary["loaded_batches"] == 1
        [entry] = summary["sources"]
        assert entry["source"] == name and entry["counts"]["new"] > 0
    batches = query(paths["db"], "select source, count(*) from crawl_runs group by all order by 1")
    assert batches == [("unnews", 1), ("xjgov", 1)]
    loaded = sorted(p.name.split("-")[1] for p in (paths["data"] / "loaded").iterdir())
    assert loaded == ["unnews", "xjgov"]
    assert all((p / "records.jsonl").exists() for p in (paths["data"] / "loaded").iterdir())


def test_a_bug_in_a_crawl_step_fails_the_run_and_is_never_retried_as_a_source_failure(
    harness, site, paths, monkeypatch
):
    """A programming error is no source's failure: the run fails with it (its traceback in Prefect's
    log), and it is not retried as if the site had been down. The bug is simulated where the crawl
    step starts, the one place a test can put one without changing the code under test."""
    import flows.ingest_run

    calls = []

    def crawl_step_with_a_bug(source, settings, run_id=None, workers=None):
        calls.append(source.name)
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(flows.ingest_run, "crawl_source_process", crawl_step_with_a_bug)
    paths["registry"].write_text(demo_sources(site.base_url, "unnews"), encoding="utf-8")
    state, _ = run(paths, crawl_retries=2)
    assert state.is_failed()
    assert isinstance(state.result(raise_on_failure=False), TypeError)
    assert calls == ["unnews"]  # tried once: a retry would fail the same way
