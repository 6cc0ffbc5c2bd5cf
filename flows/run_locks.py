"""File locks of the ingest runs of one data folder: which runs are alive, and one load at a time."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator

from flows.settings import Settings
from warehouse.errors import DatabaseLocked
from warehouse.locks import flock_within


@contextlib.contextmanager
def run_lock(settings: Settings, run_id: str) -> Iterator[None]:
    """Hold work/run-ID.lock while the run lives; the kernel lets go when its process dies."""
    settings.work.mkdir(parents=True, exist_ok=True)
    path = settings.work / f"run-{run_id}.lock"
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            path.unlink(missing_ok=True)
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_in_progress(settings: Settings, run_id: str) -> bool:
    """Whether the run `run_id` of this data folder still holds its lock."""
    try:
        handle = open(settings.work / f"run-{run_id}.lock")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


@contextlib.contextmanager
def load_lock(settings: Settings) -> Iterator[None]:
    """One load at a time per data folder, across processes (served runs overlap).

    Two loaders listing the same staged batch would both try to move it (the second fails), so
    the pending list must be read by one loader at a time; the warehouse's write lock alone is too late.
    """
    settings.data.mkdir(parents=True, exist_ok=True)
    with open(settings.data / "load.lock", "w") as handle:
        if not flock_within(handle, settings.load_wait):
            raise DatabaseLocked(
                f"another run's load still holds {settings.data / 'load.lock'}; waited {settings.load_wait:.0f}s"
            )
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
