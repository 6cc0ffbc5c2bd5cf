"""A process's connections to one warehouse, opened by several threads at once.

`presswatch crawl --parallel N` reads the known articles of N sources at once, each in a thread of
the same process; the first of those connections create the process's DuckDB instance. They used
to race on it (the lock guarding it was replaced by the first caller): "database with name
presswatch already exists", "Catalog presswatch does not exist", or a segmentation fault.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT
from tests.reliability.conftest import synthetic_warehouse
from warehouse.db import connect

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


def test_presswatch_cores_caps_duckdbs_threads_and_a_load_gives_them_back(tmp_path):
    """PRESSWATCH_CORES (the suite sets it for its workers) bounds DuckDB's threads too; the loader's
    one thread for a small batch is undone after the load."""
    cores = "1"
    script = (
        "import sys; from warehouse.db import connect\n"
        "with connect(sys.argv[1], read_only=True) as con:\n"
        "    print(con.execute(\"SELECT current_setting('threads')\").fetchone()[0])\n"
    )
    db, _ = synthetic_warehouse(tmp_path)  # two loads by the real loader, in this process
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT current_setting('threads')").fetchone()[0] == int(os.environ["PRESSWATCH_CORES"])
    env = {**os.environ, "PRESSWATCH_CORES": cores}
    done = subprocess.run([sys.executable, "-c", script, str(db)], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0 and done.stdout.strip() == cores, done.stderr
    env.pop("PRESSWATCH_CORES")
    done = subprocess.run([sys.executable, "-c", script, str(db)], capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 0 and int(done.stdout) == len(os.sched_getaffinity(0)), done.stderr
