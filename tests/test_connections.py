"""A process's connections to one warehouse, opened by several threads at once.

`presswatch crawl --parallel N` reads the known articles of N sources at once, each in a thread of
the same process; the first of those connections create the process's DuckDB instance. They used
to race on it (the lock guarding it was replaced by the first caller): "database with name
presswatch already exists", "Catalog presswatch does not exist", or a segmentation fault.
"""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT
from tests.reliability.conftest import synthetic_warehouse

FIRST_READS_AT_ONCE = """
import sys, threading
from warehouse.db import connect

errors, counts = [], []
start = threading.Barrier(8)

def read():
    start.wait()
    try:
        with connect(sys.argv[1], read_only=True) as con:
            counts.append(con.execute("SELECT count(*) FROM article_versions").fetchone()[0])
    except Exception as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=read) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(errors or sorted(set(counts)))
"""


def test_the_first_connections_of_a_process_opened_by_threads_at_once_all_read(tmp_path):
    db, _ = synthetic_warehouse(tmp_path)
    for _ in range(3):  # a fresh process each time: its first connections are the ones that raced
        done = subprocess.run(
            [sys.executable, "-c", FIRST_READS_AT_ONCE, str(db)], capture_output=True, text=True, cwd=ROOT, timeout=120
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "[12]", done.stdout
