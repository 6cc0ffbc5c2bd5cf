"""A crawl's staged batch outlives its crawl: killed, its batch is salvaged and loaded even when its
PID was given to another process since; several loaders salvaging it at once leave one whole
manifest; and a batch that closed had its WARC files fsynced before the manifest was written.

Real crawls (`python -m crawlers.run`, in its own session as the flows start it) of a loopback site
whose second article the test holds, so the crawl is killed mid-way for certain.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.servers import Route, StaticSite, article_html, registry_entry, rss_feed
from warehouse.loader import load_pending
from warehouse.staging import MANIFEST, WRITER, pending_batches

PARAGRAPHS = [
    "The regional government announced new measures for vocational training and employment on Monday.",
    "Officials said the programme would reach every county of the region before the end of the year.",
    "Observers noted that the announcement followed months of criticism from several foreign governments.",
    "A spokesperson declined to say how many people had taken part in the earlier rounds of the scheme.",
]
BATCH = "20260101T000000-held-000001"


def crawl_command(registry: Path, data: Path, batch_id: str = BATCH) -> list[str]:
    (data / "work").mkdir(parents=True, exist_ok=True)
    known = data / "work" / "known.jsonl"
    known.touch()
    return [
        sys.executable,
        "-m",
        "crawlers.run",
        "--source",
        "held",
        "--registry",
        str(registry),
        "--known",
        str(known),
        "--staging",
        str(data / "staging"),
        "--archive",
        str(data / "archive"),
        "--batch-id",
        batch_id,
        "--workers",
        "1",
    ]


def crawl_env(**extra: str) -> dict:
    path = os.pathsep.join(filter(None, [extra.pop("PYTHONPATH", None), str(ROOT)]))
    return {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawlers.settings", "PYTHONPATH": path, **extra}


def wait_for(condition, what: str, deadline: float = 60.0):
    end = time.monotonic() + deadline
    while not (found := condition()):
        assert time.monotonic() < end, f"gave up waiting for {what}"
        time.sleep(0.05)
    return found


def _records(folder: Path) -> list[dict]:
    try:
        lines = (folder / "records.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    return [json.loads(line) for line in lines if line.endswith("}")]


@contextmanager
def two_articles(held: threading.Event | None = None) -> Iterator[StaticSite]:
    """A site with two articles in its feed; with `held`, the second answers only once it is set."""
    routes = {f"/a/{i}.html": Route(article_html(f"Story {i}", [p + f" {i}." for p in PARAGRAPHS])) for i in (0, 1)}
    routes["/a/1.html"].hold = held
    with StaticSite(routes) as static:
        static.routes["/feed.xml"] = rss_feed(static.url, ["/a/0.html", "/a/1.html"])
        try:
            yield static
        finally:
            if held is not None:
                held.set()


def registry_for(site: StaticSite, folder: Path) -> Path:
    path = folder / "sources.toml"
    path.write_text(
        registry_entry(
            "held", site.url, feeds=[site.url + "/feed.xml"], article_pattern=r"/a/\d+\.html$", concurrency=1
        )
    )
    return path


@pytest.fixture(scope="module")
def site():
    """The two articles, the second held until the module is done."""
    with two_articles(threading.Event()) as static:
        yield static


@pytest.fixture(scope="module")
def registry(site, tmp_path_factory) -> Path:
    return registry_for(site, tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="module")
def killed_crawl(site, registry, tmp_path_factory) -> tuple[Path, int]:
    """The data folder of a crawl SIGKILLed (its whole process group) while the server held its second
    article, and the PID it had: its batch holds the first article's records and no manifest."""
    data = tmp_path_factory.mktemp("killed")
    crawl = subprocess.Popen(
        crawl_command(registry, data),
        env=crawl_env(),
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    folder = data / "staging" / BATCH
    try:
        wait_for(
            lambda: any(r.get("warc_file") and r["url"].endswith("/a/0.html") for r in _records(folder)),
            "the first article's staged record",
        )
        wait_for(lambda: "/a/1.html" in site.paths(), "the crawl's request for the held article")
    finally:
        os.killpg(crawl.pid, signal.SIGKILL)
        crawl.wait()  # reaped: its PID is free for the next process to take
    assert (folder / WRITER).exists() and not (folder / MANIFEST).exists()
    return data, crawl.pid


def _still_named(pid: int) -> bool:
    """Whether `pid` is still a process, process group or session (the kernel reuses none of them then)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat.parent.name) == pid or int(fields[2]) == pid or int(fields[3]) == pid:
            return True
    return False


def _reuse_pid(pid: int) -> subprocess.Popen:
    """A new, unrelated process with the PID `pid` (the kernel hands out the PID after ns_last_pid)."""
    wait_for(lambda: not _still_named(pid), f"the killed crawl's process group {pid} to be gone")
    for _ in range(2000):  # other test workers start processes too, and may take it first
        try:
            Path("/proc/sys/kernel/ns_last_pid").write_text(str(pid - 1))
        except OSError as exc:
            pytest.skip(f"choosing a PID needs root (CAP_SYS_ADMIN) to write /proc/sys/kernel/ns_last_pid: {exc}")
        process = subprocess.Popen(["sleep", "120"])
        if process.pid == pid:
            return process
        process.kill()
        process.wait()
    pytest.fail(f"another process kept taking PID {pid}")


def test_a_killed_crawls_batch_is_salvaged_and_loaded_even_when_its_pid_was_reused(killed_crawl, tmp_path):
    data, pid = killed_crawl
    staging = tmp_path / "staging"
    shutil.copytree(data / "staging", staging)
    impostor = _reuse_pid(pid)  # alive, and not the crawl
    try:
        [batch] = pending_batches(staging)
        assert batch.manifest["status"] == "interrupted"
        [result] = load_pending(tmp_path / "warehouse", staging, tmp_path / "loaded", wait=5)
    finally:
        impostor.kill()
        impostor.wait()
    assert result.counts["new"] == 1  # the article fetched before the kill is not lost
    assert pending_batches(staging) == []


def _salvage_at_once(staging: str, start, failures) -> None:
    start.wait()
    try:
        pending_batches(Path(staging))
    except Exception as exc:  # noqa: BLE001 - what went wrong is the test's answer
        failures.put(f"{type(exc).__name__}: {exc}")


def test_loaders_salvaging_one_dead_batch_at_once_leave_one_whole_manifest(killed_crawl, tmp_path):
    data, _ = killed_crawl
    context = multiprocessing.get_context("fork")
    failures = context.Queue()
    for round_ in range(12):
        staging = tmp_path / f"round{round_}"
        shutil.copytree(data / "staging", staging)
        start = context.Barrier(6)
        loaders = [context.Process(target=_salvage_at_once, args=(str(staging), start, failures)) for _ in range(6)]
        for loader in loaders:
            loader.start()
        for loader in loaders:
            loader.join(60)
        assert not failures.qsize(), [failures.get() for _ in range(failures.qsize())]
        folder = staging / BATCH
        assert json.loads((folder / MANIFEST).read_text())["status"] == "interrupted"
        assert sorted(p.name for p in folder.iterdir()) == [MANIFEST, "records.jsonl"]  # no stray temporary file


FSYNC_SPY = """
import os
_fsync = os.fsync
def fsync(fd):
    _fsync(fd)
    with open(os.environ["PW_FSYNC_LOG"], "a") as log:
        log.write(os.readlink(f"/proc/self/fd/{fd}") + "\\n")
os.fsync = fsync
"""


def test_a_closed_batchs_warc_files_are_fsynced_before_its_records_and_manifest(tmp_path):
    spy = tmp_path / "spy"
    spy.mkdir()
    (spy / "sitecustomize.py").write_text(FSYNC_SPY)  # records each real fsync's file, in order
    log = tmp_path / "fsync.log"
    data = tmp_path / "data"
    with two_articles() as site:  # nothing held: the crawl closes its batch
        done = subprocess.run(
            crawl_command(registry_for(site, tmp_path), data, "20260101T000000-held-000002"),
            env=crawl_env(PYTHONPATH=str(spy), PW_FSYNC_LOG=str(log)),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    synced = log.read_text().splitlines()
    warcs = sorted(str(p) for p in (data / "archive").rglob("*.warc.gz"))
    assert warcs and set(warcs) <= set(synced), synced
    records = synced.index(str(data / "staging" / "20260101T000000-held-000002" / "records.jsonl"))
    manifest = next(i for i, name in enumerate(synced) if "manifest" in Path(name).name)
    assert max(synced.index(w) for w in warcs) < records < manifest


def test_a_crawl_whose_known_articles_stop_before_their_end_stages_nothing(registry, tmp_path):
    """The flow hands the known articles over on stdin while the crawl process starts; if the flow
    dies half-way, the crawl must not run as if the rest of them were new."""
    data = tmp_path / "data"
    command = crawl_command(registry, data)
    command[command.index("--known") + 1] = "-"
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=crawl_env()
    )
    entry = {"url": "http://127.0.0.1:1/a/1.html", "article_id": "a1", "etag": '"x"', "due": True}
    output, _ = process.communicate(json.dumps(entry).encode() + b"\n", timeout=120)  # then EOF, no end line
    assert b"the known articles ended before their end line" in output
    assert not (data / "staging" / BATCH / MANIFEST).exists()
    assert not _records(data / "staging" / BATCH)  # not a single request was made
