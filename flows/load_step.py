"""The load step of an ingest run: merge the staged batches this run may take, publishing their
WARC files to the shared archive first."""

from __future__ import annotations

import logging

from flows.run_locks import load_lock, run_in_progress
from flows.settings import Settings
from warehouse.archive_store import ArchiveUnavailable
from warehouse.archive_store import publish as publish_archive
from warehouse.errors import DatabaseLocked
from warehouse.staging import StagedBatch


def load_staged(
    settings: Settings, run_id: str | None, log: logging.Logger | logging.LoggerAdapter
) -> tuple[list, str | None]:
    """Merge the pending batches, not those of other runs still going; when the warehouse stays
    locked, leave them staged and say why (the second value)."""
    from warehouse.loader import load_pending

    published: dict[str, bool] = {}  # load_pending asks twice (before and under the lock): publish once

    def keep(batch: StagedBatch) -> bool:
        if not loadable_batch(settings, batch, run_id):
            return False
        if batch.batch_id not in published:
            published[batch.batch_id] = _published(settings, batch, log)
        return published[batch.batch_id]

    try:
        with load_lock(settings):
            return load_pending(
                settings.db, settings.staging, settings.loaded, wait=settings.load_wait, keep=keep
            ), None
    except DatabaseLocked as exc:
        log.warning("load deferred: %s; batches stay staged for the next run", exc)
        return [], str(exc)


def loadable_batch(settings: Settings, batch: StagedBatch, run_id: str | None) -> bool:
    """A batch of this run, of no run, or of a run that is over.

    Served runs overlap: without this the first to load takes the others' batches, and each
    run's report would describe someone else's crawl.
    """
    owner = batch.manifest.get("run_id")
    return owner in (None, run_id) or not run_in_progress(settings, owner)


def _published(settings: Settings, batch: StagedBatch, log: logging.Logger | logging.LoggerAdapter) -> bool:
    """With a shared archive (PRESSWATCH_ARCHIVE), the batch's WARC files are copied there before it loads."""
    shared = settings.archive_root
    if shared == settings.archive:
        return True
    try:
        publish_archive(settings.archive, str(shared), batch.batch_id)
    except ArchiveUnavailable as exc:
        log.warning("batch %s stays staged: %s", batch.batch_id, exc)
        return False
    return True
