"""`maintain` runs in a process of its own and outlives that process's death (warehouse/maintain.py).

DuckDB 1.5.5's DuckLake crashes the process in `ducklake_flush_inlined_data` about once in a
hundred to two hundred upkeeps. A crash cannot be had on demand, so these tests kill the upkeep's
process the way it dies, with SIGSEGV, from a `sitecustomize` that the process's Python imports at
start (the command's own process, forked from one already started, never runs it).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import Pipeline, run_cli
from warehouse.apart import FOLDER_PREFIX
from warehouse.maintain import maintain

CRASH = """\
import os, signal
if b"warehouse.apart" in open("/proc/self/cmdline", "rb").read():
    once = os.environ.get("CRASH_ONCE")
    if not once or not os.path.exists(once):
        if once:
            open(once, "w").close()
        os.kill(os.getpid(), signal.SIGSEGV)
"""

# DuckLake's flush also fails without killing the process, its commit's statement garbled:
# "Failed to commit DuckLake transaction. Failed to flush changes into DuckLake: syntax error ..."
COMMIT_FAILS_ONCE = """\
import os
if b"warehouse.apart" in open("/proc/self/cmdline", "rb").read() and not os.path.exists(os.environ["FAILED_ONCE"]):
    import duckdb
    import warehouse.maintain as upkeep

    def fail(*args):
        open(os.environ["FAILED_ONCE"], "w").close()
        raise duckdb.TransactionException("Failed to commit: Failed to commit DuckLake transaction. Failed to flush"
                                          " changes into DuckLake: syntax error at or near \\"<=\\"")

    upkeep.maintain_here = fail
"""


@pytest.fixture
def warehouse(tmp_path_factory, demo_story) -> Pipeline:
    """The demo story's warehouse after its three stages: many small files and inlined rows."""
    return demo_story.copy("stage3", tmp_path_factory.mktemp("maintain"))


@pytest.fixture
def crashing(tmp_path) -> dict:
    """The environment under which the upkeep's process dies at its start."""
    folder = tmp_path / "crashing"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(CRASH, encoding="utf-8")
    return {"PYTHONPATH": str(folder)}


def test_a_maintain_whose_process_dies_runs_once_more_and_the_warehouse_checks(
    warehouse, crashing, tmp_path, monkeypatch, caplog
):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = Path(tempfile.gettempdir()) / f"{FOLDER_PREFIX}{int(dead.stdout)}-k1ll"  # of a command killed outright
    left.mkdir()
    (left / "request.pickle").write_bytes(b"")
    for name, value in {**crashing, "CRASH_ONCE": str(tmp_path / "crashed")}.items():
        monkeypatch.setenv(name, value)
    upkeep = maintain(warehouse.db, retention=timedelta(0), grace=timedelta(0))
    assert not left.exists()  # swept by the next work done apart
    assert (tmp_path / "crashed").exists()  # the first process did die
    assert "its process died (warehouse.maintain:maintain_here ended with signal 11 (SIGSEGV)" in caplog.text
    assert "running it once more" in caplog.text
    assert upkeep.after.data_files < upkeep.before.data_files
    monkeypatch.delenv("PYTHONPATH")
    check = warehouse.cli("check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_presswatch_maintain_names_a_crash_every_time_and_leaves_the_warehouse_whole(warehouse, crashing):
    before = warehouse.scalar("SELECT count(*) FROM article_versions")
    done = run_cli("--db", str(warehouse.db), "maintain", "--retention", "0s", "--grace", "0s", env=crashing)
    assert done.returncode != 0
    assert "failed 3 times, the last: its process died" in done.stderr and "signal 11 (SIGSEGV)" in done.stderr
    assert "run maintain again" in done.stderr
    assert "Traceback" not in done.stderr
    assert warehouse.scalar("SELECT count(*) FROM article_versions") == before
    again = run_cli("--db", str(warehouse.db), "maintain", "--retention", "0s", "--grace", "0s")
    assert again.returncode == 0, again.stderr
    assert warehouse.cli("check").returncode == 0


def test_a_maintain_whose_ducklake_commit_fails_runs_once_more(warehouse, tmp_path, monkeypatch, caplog):
    folder = tmp_path / "failing"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(COMMIT_FAILS_ONCE, encoding="utf-8")
    monkeypatch.setenv("PYTHONPATH", str(folder))
    monkeypatch.setenv("FAILED_ONCE", str(tmp_path / "failed"))
    upkeep = maintain(warehouse.db, retention=timedelta(0), grace=timedelta(0))
    assert (tmp_path / "failed").exists()
    assert "its commit failed (Failed to commit: Failed to commit DuckLake transaction." in caplog.text
    assert upkeep.after.data_files < upkeep.before.data_files
