"""Re-extract archived captures with the registry's current extractor settings, stage the results, load them.

Extraction runs in a pool of worker processes (trafilatura is not thread-safe and grows in memory,
trafilatura#216). Only texts that came out different are staged (compared, as the loader stores them,
without the source's site blocks): a staged capture also tells the loader the page was just seen,
which a re-read of an old capture must not claim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from crawlers.extraction import ExtractionOptions
from crawlers.extraction_options import options_for
from crawlers.registry import load_registry
from crawlers.workerpool import WorkerPool, date_locales_pay_off
from flows.loadable import load_staged
from flows.reextract_worker import extract_capture
from flows.settings import Settings
from warehouse.blocks import article_hash
from warehouse.cores import available_cores
from warehouse.reextract import CurrentCapture, current_captures, reextract_record
from warehouse.staging import BatchWriter, new_batch_id
from warehouse.template import site_models


@dataclass
class SourceResult:
    """What re-extraction did for one source."""

    source: str
    captures: int = 0
    changed: int = 0
    reextracted: int = 0  # versions the loader wrote
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, reason)
    batch_id: str | None = None


def run_reextract(
    settings: Settings, names: list[str] | None = None, workers: int | None = None, dry_run: bool = False
) -> list[SourceResult]:
    """Re-extract every live article of the named sources (default: all in the registry) and load the changes."""
    sources = load_registry(settings.registry).select(names)
    settings.check_archive()
    # Load what crawls left staged first, so each capture is judged against the version it came from;
    # as a crawl's run does: never a batch of a run still going, never one whose captures are not
    # in the shared archive yet.
    if not dry_run:
        load_staged(settings)
    captures = current_captures(settings.db, [s.name for s in sources], wait=settings.load_wait)
    # Texts are compared as the loader stores them: without the site's blocks (warehouse/template.py).
    site = site_models(settings.db, [s.name for s in sources], wait=settings.load_wait)
    options = {s.name: options_for(s) for s in sources}
    results = {s.name: SourceResult(s.name) for s in sources}
    changed: dict[str, list[dict]] = {}
    fetched_at = datetime.now(UTC).replace(tzinfo=None).isoformat()
    languages = {s.name: s.language for s in sources}
    for capture, outcome in _extract_all(settings, captures, options, workers):
        result = results[capture.source]
        result.captures += 1
        if outcome["outcome"] != "article":
            result.failed.append((capture.canonical_url, outcome.get("reason") or outcome["outcome"]))
            continue
        article = site[capture.source].strip(outcome["fields"]["text"])
        if article_hash(outcome["fields"]["title"], article) == capture.content_hash:
            continue
        result.changed += 1
        fields = outcome["fields"]
        fields["language"] = fields.get("language") or languages[capture.source]
        record = reextract_record(capture, fields, outcome.get("final_url"), fetched_at)
        changed.setdefault(capture.source, []).append(record)
    if dry_run or not changed:
        return list(results.values())
    for source in sources:
        records = changed.get(source.name)
        if records:
            results[source.name].batch_id = _stage(settings, source, records)
    for loaded in load_staged(settings, flips=False):
        if loaded.source in results and loaded.batch_id == results[loaded.source].batch_id:
            results[loaded.source].reextracted = loaded.counts.get("reextracted", 0)
    return list(results.values())


def _stage(settings: Settings, source, records: list[dict]) -> str:
    batch_id = new_batch_id(source.name)
    writer = BatchWriter(settings.staging / batch_id, batch_id, source.name, source.loader_settings(settings.registry))
    for record in records:
        writer.write(record)
    writer.close(extra={"run_id": f"reextract-{batch_id}", "reextract": True})
    return batch_id


def _extract_all(
    settings: Settings, captures: list[CurrentCapture], options: dict[str, ExtractionOptions], workers: int | None
):
    if not captures:
        return
    workers = max(1, min(workers or available_cores(), len(captures)))
    tasks = ((str(settings.archive_root), c, options[c.source]) for c in captures)
    # Recycled by hand (crawlers/workerpool.py): max_tasks_per_child deadlocks (cpython gh-115634).
    preload = ["flows.reextract_worker"]
    if date_locales_pay_off(len(captures), workers):
        preload.append("crawlers.date_locales_preload")
    pool = WorkerPool(workers, preload=preload)
    try:
        yield from zip(captures, pool.map(extract_capture, tasks))
    finally:
        pool.shutdown()
