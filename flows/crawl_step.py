"""Crawl one source in its own process, with a time limit; its staged batch survives any ending."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from crawlers.known import KNOWN_END
from crawlers.registry import Source
from flows.forked_crawl import ForkedCrawl, start_crawl, stop_servers
from flows.settings import Settings
from warehouse.cores import available_cores
from warehouse.errors import WarehouseError
from warehouse.revisits import BUSY_OR_UNREACHABLE, DUE_PREFIX, SourceSchedule
from warehouse.staging import new_batch_id, note_error, salvage, update_manifest

logger = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Crawl processes of this process still running; each has its own session, so a signal to the
# flow's process group does not reach them, and `stop_crawls` must.
_RUNNING: set[subprocess.Popen | ForkedCrawl] = set()
_RUNNING_LOCK = threading.Lock()


class CrawlFailed(Exception):
    """The crawl process ended badly; what it staged is kept and loaded all the same."""


class KnownArticlesUnreadable(WarehouseError):
    """The warehouse could not be read for the crawl's known articles (not busy, not unreachable:
    broken or misconfigured); the source fails without crawling, and is not retried."""


class HostUnreachable(CrawlFailed):
    """Every request failed because the host does not resolve or refuses connections: a retry
    seconds later would fail the same way, so the flow does not retry it (the next run will)."""


_HOST_DOWN = re.compile(r"^host \S+ (does not resolve|refused the connection on port \d+)$")


@dataclass
class CrawlOutcome:
    source: str
    batch_id: str
    due_revisits: int
    returncode: int
    error: str | None = None


def extraction_workers(parallel: int, cores: int | None = None) -> int:
    """Extraction processes per crawl when `parallel` crawls run at once: the cores shared out, at least one."""
    return max(1, (cores or available_cores()) // max(1, parallel))


def crawl_source_process(
    source: Source, settings: Settings, run_id: str | None = None, workers: int | None = None
) -> CrawlOutcome:
    """Export known articles, run `python -m crawlers.run` for one source, wait up to its crawl_timeout.

    `workers` extraction processes (default: one per core; the ingest flow shares the cores among
    the crawls it runs at once).
    """
    workers = workers or extraction_workers(1)
    batch_id = new_batch_id(source.name)
    arguments = crawl_arguments(source, settings, "-", batch_id, workers, run_id)
    env = crawl_environment()
    settings.work.mkdir(parents=True, exist_ok=True)
    log_path = settings.work / f"{batch_id}.log"
    with open(log_path, "wb") as log:
        # Started before the known articles are read, which it takes on stdin: Scrapy's start and the
        # warehouse's read overlap.
        process = start_crawl(arguments, env, log)
        with _RUNNING_LOCK:
            _RUNNING.add(process)
        try:
            try:
                due = _hand_over_known(process, source, settings)
            except BaseException:  # the export failed: the crawl must not run without its known articles
                _signal_group(process, signal.SIGKILL)
                process.wait()
                raise
            code = process.wait(timeout=source.crawl_timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
            _fail(settings.staging / batch_id, f"crawl timed out after {source.crawl_timeout:.0f}s", run_id)
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(process)
    if code != 0:
        _fail(settings.staging / batch_id, f"crawl process exited with status {code}: {_tail(log_path)}", run_id)
    if not (settings.staging / batch_id / "manifest.json").exists():
        _fail(
            settings.staging / batch_id, f"the crawl process ended without closing its batch: {_tail(log_path)}", run_id
        )
    log_path.unlink(missing_ok=True)
    down = unreachable(settings.staging / batch_id)
    if down:
        note_error(settings.staging / batch_id, down)
        raise (HostUnreachable if _host_down(settings.staging / batch_id) else CrawlFailed)(down)
    return CrawlOutcome(source.name, batch_id, due, code)


def _hand_over_known(process: subprocess.Popen | ForkedCrawl, source: Source, settings: Settings) -> int:
    """Pipe the source's known articles into the crawl process's stdin, then KNOWN_END; how many are due.

    `python -m warehouse.revisits` reads them, so DuckDB never opens in this process while the
    crawl runs. A warehouse that is busy or unreachable leaves the crawl to discover only; one
    that cannot be read for any other reason raises KnownArticlesUnreadable.
    """
    assert process.stdin is not None
    reader = subprocess.run(
        [
            sys.executable,
            "-m",
            "warehouse.revisits",
            *SourceSchedule.of(source).arguments(settings.db, settings.load_wait),
        ],
        stdin=subprocess.DEVNULL,
        stdout=process.stdin,
        stderr=subprocess.PIPE,
        env=crawl_environment(),
        text=True,
        check=False,
    )
    said = reader.stderr.strip()
    due = 0
    if reader.returncode == BUSY_OR_UNREACHABLE:
        logger.warning("%s: no revisits this run, the warehouse is busy or unreachable (%s)", source.name, said)
    elif reader.returncode != 0:
        raise KnownArticlesUnreadable(
            f"{source.name}: its known articles could not be read: {said or reader.returncode}"
        )
    elif (last := said.rpartition("\n")[2]).startswith(DUE_PREFIX):
        due = int(last.removeprefix(DUE_PREFIX))
    try:
        process.stdin.write((KNOWN_END + "\n").encode())
        process.stdin.close()
    except BrokenPipeError:  # the crawl process ended already: its exit status and log say why
        with contextlib.suppress(OSError):
            process.stdin.close()
    return due


def crawl_arguments(
    source: Source, settings: Settings, known: Path | str, batch_id: str, workers: int, run_id: str | None = None
) -> list[str]:
    """The arguments of `python -m crawlers.run` for one crawl of `source` into `batch_id`."""
    return [
        "--source",
        source.name,
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
        settings.log_level,
        "--workers",
        str(workers),
        *(["--run-id", run_id] if run_id else []),
    ]


def crawl_environment() -> dict[str, str]:
    """The crawl process's environment: this one's, with Scrapy's settings module and the project importable."""
    return {
        **os.environ,
        "SCRAPY_SETTINGS_MODULE": "crawlers.settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")])),
    }


def _host_down(folder: Path) -> bool:
    """Every failure of the crawl says the host does not resolve or refuses connections."""
    errors = [str(r["error"]) for r in _records(folder) if r.get("error")]
    return bool(errors) and all(_HOST_DOWN.search(error) for error in errors)


def _records(folder: Path) -> list[dict]:
    found = []
    try:
        with open(folder / "records.jsonl", encoding="utf-8") as records:
            for line in records:
                try:
                    found.append(json.loads(line))
                except ValueError:
                    continue
    except OSError:
        pass
    return found


def unreachable(folder: Path) -> str | None:
    """Why no request of a finished crawl got an answer (the site is down), or None when one did.

    The crawl process exits 0 when every request failed, so without this a dead site would look healthy.
    """
    first_error, failures = None, 0
    try:
        with open(folder / "records.jsonl", encoding="utf-8") as records:
            for line in records:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if record.get("status") is not None:
                    return None
                if record.get("error"):
                    failures += 1
                    first_error = first_error or f"{record.get('url')}: {record['error']}"
    except OSError:
        return None
    if not failures:
        return None
    more = f" (and {failures - 1} more)" if failures > 1 else ""
    return f"every request failed: {first_error}{more}"[:500]


def stop_idle_fork_servers() -> None:
    """Stop the crawl fork servers when no crawl of this process runs: a run's load does not need
    their Scrapy (~70 MB) beside it; a later crawl starts a server again."""
    with _RUNNING_LOCK:
        if not _RUNNING:
            stop_servers()


def stop_crawls(grace: float = 10.0) -> int:
    """Stop every crawl this process started: SIGTERM to its group, SIGKILL after `grace` s; returns how many.

    For a run that is being cancelled or terminated: its crawls must not outlive it. A crawl that
    stops gracefully closes its batch; a killed one is salvaged; the next run loads either.
    """
    with _RUNNING_LOCK:
        running = [p for p in _RUNNING if p.poll() is None]
    for process in running:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            # Scrapy's graceful stop waits for requests in flight, up to download_timeout.
            _signal_group(process, signal.SIGKILL)
    return len(running)


def _signal_group(process: subprocess.Popen | ForkedCrawl, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def _fail(folder: Path, reason: str, run_id: str | None = None):
    """Keep what the dead crawl staged, note why it died, and raise."""
    salvage(folder)
    note_error(folder, reason)
    _keep_run_id(folder, run_id)
    raise CrawlFailed(reason)


def _keep_run_id(folder: Path, run_id: str | None) -> None:
    """A salvaged manifest does not know its run (writer.json lacks it): add it, so crawl_runs
    groups the dead crawl with its run and that run, not another one, loads it."""
    path = folder / "manifest.json"
    if not run_id or not path.exists():
        return
    if not json.loads(path.read_text(encoding="utf-8")).get("run_id"):
        update_manifest(folder, run_id=run_id)


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " | ".join(text[-lines:])[:500] or "no output"
