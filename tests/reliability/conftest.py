"""Helpers shared by the reliability tests: a pipeline per module, the real CLI, a warehouse scan."""

from __future__ import annotations

import fcntl
import gzip
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from flows.settings import Settings
from tests.cli_fork import run_presswatch
from tests.conftest import ROOT, Pipeline, cli_environment
from warehouse.loader import load_pending
from warehouse.staging import BatchWriter

# What /etc/passwd starts with on every Linux box: it must never reach the warehouse or a batch.
PASSWD_MARK = "root:x:0:0"


def shared_result(tmp_path_factory, name: str, compute: Callable[[Path], object]):
    """compute(folder) once per test session, whichever pytest-xdist worker asks first.

    The expensive crawls of these modules sit in module fixtures; with `-n 2` both workers would
    run them. The first worker to ask computes the result (under a file lock) and pickles it; the
    others wait for the lock and read it, so their tests check the very same crawl.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by every worker of this session
    folder = root / f"shared-{name}"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            done = folder / "result.pickle"
            if done.exists():
                return pickle.loads(done.read_bytes())
            folder.mkdir(exist_ok=True)
            result = compute(folder)
            done.write_bytes(pickle.dumps(result))
            return result
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def module_pipeline(tmp: Path) -> Pipeline:
    """A Pipeline writing into `tmp` (no crawl retries: each fault is seen once, as it happened)."""
    settings = Settings(
        db=tmp / "warehouse",
        data=tmp / "data",
        registry=tmp / "sources.toml",
        load_wait=5.0,
        crawl_retries=0,
        retry_delay=0.0,
    )
    return Pipeline(settings)


# flows.cli.check registers `check`; importing it here works before and after cli.py imports it too.
_MAIN = "import flows.cli.check; from flows.cli import main; main()"


def presswatch(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real `presswatch` in a process of its own, as its console script runs it (text output).

    (`python -m flows.cli` would run cli.py as __main__, where the commands that other modules
    register on `flows.cli.cli` are missing.) The process is a fork of one that has imported the CLI
    already (tests/cli_fork.py); with PW_TEST_CLI_EXEC set, `python -c` runs it instead.
    """
    return run_presswatch(
        args, cli_environment(args, env), ROOT, timeout, True, exec_command=[sys.executable, "-c", _MAIN]
    )


def warehouse_strings(pipeline: Pipeline) -> str:
    """Every value of every table of the warehouse, as one string, for "this must not appear" checks."""
    tables = [
        t
        for (t,) in pipeline.query(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_catalog = current_database()"
        )
    ]
    parts = []
    for table in tables:
        for row in pipeline.query(f'SELECT * FROM "{table}"'):
            parts.append(repr(row))
    return "\n".join(parts)


def data_contains(root: Path, needle: bytes) -> list[Path]:
    """Files under `root` (batches, archives, logs; WARC files read decompressed) holding `needle`."""
    found = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        try:
            data = gzip.open(path).read() if path.name.endswith(".gz") else path.read_bytes()
        except (OSError, EOFError):
            data = path.read_bytes()
        if needle in data:
            found.append(path)
    return found


def synthetic_capture(i: int, batch: str, warc: str, fetched_at: str, text: str | None = None) -> dict:
    """A staged `capture` record of article i, as the crawl's pipelines would write it."""
    url = f"http://127.0.0.1:9/news/{i}.html"
    text = text or f"Story {i} has a text long enough to be an article of its own in this synthetic batch."
    return {
        "type": "capture",
        "source": "synthetic",
        "kind": "article",
        "url": url,
        "final_url": url,
        "status": 200,
        "outcome": "article",
        "fetched_at": fetched_at,
        "article_id": f"a{i:04d}",
        "canonical_url": url,
        "title": f"Story {i}",
        "text": text,
        "content_hash": f"h{i}-{len(text)}",
        "raw_hash": f"r{i}-{len(text)}",
        "extractor": "trafilatura",
        "extractor_version": "test",
        "warc_file": warc,
        "warc_offset": 100 * i,
        "warc_length": 100,
        "batch_id": batch,
    }


def synthetic_warehouse(root: Path, articles: int = 8) -> tuple[Path, Path]:
    """A warehouse loaded by the real loader from two hand-written batches (no crawl): (db, data folder).

    Every other article is edited in the second batch; the WARC file is a placeholder of the
    right size (the records' bounds are right, their bytes are not a WARC: no `--deep` on it).
    """
    data, db = root / "data", root / "warehouse"
    (data / "archive" / "synthetic").mkdir(parents=True)
    (data / "archive" / "synthetic" / "one.warc.gz").write_bytes(b"\0" * (100 * (articles + 1)))
    for n, stamp in enumerate(("2024-01-01T00:00:00", "2024-01-02T00:00:00")):
        batch = f"2024010{n + 1}T000000-synthetic-00000{n}"
        writer = BatchWriter(data / "staging" / batch, batch, "synthetic", {"confirm_deletion": 1, "deletion_grace": 0})
        for i in range(articles):
            text = (
                None if n == 0 or i % 2 else f"Story {i} was edited on the second day; this text is its second version."
            )
            writer.write(synthetic_capture(i, batch, "synthetic/one.warc.gz", stamp, text))
        writer.close()
    load_pending(db, data / "staging", data / "loaded")
    return db, data
