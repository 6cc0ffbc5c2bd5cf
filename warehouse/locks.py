"""The warehouse's write lock: one writer at a time, waited for a bounded time.

Readers never take it: DuckLake gives each reader its own snapshot. Writers (loads, migrations,
upkeep, rebuilds) take it so that two commits never conflict. For the embedded warehouse it is an
advisory file lock beside the catalog, released by the kernel when its process dies.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from warehouse.errors import DatabaseLocked
from warehouse.location import Location

if TYPE_CHECKING:
    from warehouse.pglock import HeldLock

LOCK_FILE = "write.lock"


class FileLock:
    """The embedded warehouse's lock while it is held: the kernel keeps it for as long as the process lives."""

    def __init__(self, waited: float):
        self.waited = waited

    def check(self) -> None:
        """Nothing can take a held flock away."""


@contextmanager
def write_lock(location: Location, wait: float) -> Iterator[FileLock | HeldLock]:
    """Hold the warehouse's write lock; yields it (`waited`: the seconds spent waiting, `check()`:
    raises if the lock was lost, which only a shared warehouse's dropped connection does)."""
    if location.shared:
        from warehouse.pglock import advisory_lock

        with advisory_lock(location, wait) as held:
            yield held
        return
    assert location.folder is not None
    location.folder.mkdir(parents=True, exist_ok=True)
    path = location.folder / LOCK_FILE
    started = time.monotonic()
    with open(path, "a+") as handle:
        if not flock_within(handle, wait):
            raise DatabaseLocked(f"another load{_holder(path)} is writing to {location}; waited {wait:.0f}s")
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield FileLock(time.monotonic() - started)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def flock_within(handle, wait: float) -> bool:
    """Take an exclusive flock on the open file `handle`, trying for up to `wait` s; False if it stayed held."""
    deadline = time.monotonic() + max(wait, 0.0)
    delay = 0.02
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _holder(path) -> str:
    try:
        pid = path.read_text().strip()
    except OSError:
        return ""
    return f" (process {pid})" if pid.isdigit() else ""
