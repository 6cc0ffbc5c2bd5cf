"""Which staged batches may be loaded now, and loading them: what every loader of a data folder (a
crawl's run, `presswatch reextract`) does the same way.

A batch loads when it belongs to the loading run, to no run, or to a run that is over (a run holds
`work/run-ID.lock` while it lives), so every run's report describes its own crawl; and, with a
shared archive, only once its WARC files are there, so no version points at a capture that only
this machine has. One loader at a time per data folder (`load.lock`).
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from typing import TYPE_CHECKING

from flows.settings import Settings
from warehouse.archive_store import publish as publish_archive
from warehouse.errors import DatabaseLocked
from warehouse.locks import flock_within
from warehouse.staging import StagedBatch

if TYPE_CHECKING:
    from warehouse.loader import LoadResult


def load_staged(settings: Settings, run_id: str | None = None, flips: bool = True) -> list[LoadResult]:
    """Load the batches that may load now (see the module), under the data folder's load lock.

    `flips`: read the archive for lines the extractor alone gained or lost (warehouse/flips.py);
    a re-extraction's own batches need not.

    Raises DatabaseLocked after `settings.load_wait`; ArchiveUnavailable, CatalogUnreachable or
    StorageUnavailable when a shared part is down (their `loaded`: what loaded before it).
    """
    from warehouse.loader import load_pending

    published: set[str] = set()  # load_pending asks twice (before and under the lock): publish once

    def keep(batch: StagedBatch) -> bool:
        if not loadable_batch(settings, batch, run_id):
            return False
        if batch.batch_id not in published:
            publish(settings, batch)
            published.add(batch.batch_id)
        return True

    with load_lock(settings):
        return load_pending(
            settings.db,
            settings.staging,
            settings.loaded,
            wait=settings.load_wait,
            keep=keep,
            archive=settings.archive_root if flips else None,
        )


def publish(settings: Settings, batch: StagedBatch) -> None:
    """With a shared archive (PRESSWATCH_ARCHIVE), copy the batch's WARC files there (ArchiveUnavailable if it cannot)."""
    shared = settings.archive_root
    if shared != settings.archive:
        publish_archive(settings.archive, str(shared), batch.batch_id)


def loadable_batch(settings: Settings, batch: StagedBatch, run_id: str | None) -> bool:
    """A batch of this run, of no run, or of a run that is over."""
    owner = batch.manifest.get("run_id")
    return owner in (None, run_id) or not run_in_progress(settings, owner)


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
