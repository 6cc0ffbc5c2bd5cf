"""Merge staged batches into the warehouse: one transaction per batch, versions as type-2 history.

A batch already loaded is skipped, so loading twice is a no-op; a batch is moved out of the
pending folder only after its transaction committed, so a kill at any moment loses nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.change_kinds import PUBLISHER_KINDS, REEXTRACTED
from warehouse.change_kinds import VERSIONED_KINDS as VERSIONED
from warehouse.clusters import presign, refresh_clusters
from warehouse.clusters.neighbours import NEIGHBOURS, Neighbours, read_neighbours, settle
from warehouse.current import known_captured_articles
from warehouse.db import confirm_write_lock, connect, drop_temp_tables, rollback
from warehouse.errors import BatchError, LoadConflict, SharedPartUnavailable
from warehouse.flips import extraction_flips
from warehouse.load_apart import load_in_own_process, wants_own_process
from warehouse.load_memory import LOAD_MEMORY_ENV, load_memory_limit, memory_bound
from warehouse.outcomes import crawl_outcome
from warehouse.prediffs import Diff, diff, prepare_diffs, version_key
from warehouse.rules import CONFIRM_DELETION, DELETION_GRACE
from warehouse.search_index import TOKENS_FOLDER, Prepared, index_batch, prepare_batch, remove_token_scratch
from warehouse.staging import StagedBatch, mark_loaded, pending_batches
from warehouse.template import (
    TEMP_TABLES as TEMPLATE_TEMP_TABLES,
)
from warehouse.template import (
    TemplateEvent,
    Thresholds,
    explain,
    flag_extraction_failure,
    forget_deleted,
    learn,
    strip,
)

# Every field a staged record may carry, with its type in the warehouse.
STAGED_COLUMNS = {
    "type": "VARCHAR",
    "batch_id": "VARCHAR",
    "source": "VARCHAR",
    "url": "VARCHAR",
    "final_url": "VARCHAR",
    "kind": "VARCHAR",
    "status": "INTEGER",
    "bytes": "BIGINT",
    "duration_ms": "INTEGER",
    "error": "VARCHAR",
    "reason": "VARCHAR",
    "outcome": "VARCHAR",
    "fetched_at": "TIMESTAMP",
    "via": "VARCHAR",
    "raw_hash": "VARCHAR",
    "etag": "VARCHAR",
    "last_modified": "VARCHAR",
    "sitemap_lastmod": "VARCHAR",
    "article_id": "VARCHAR",
    "canonical_url": "VARCHAR",
    "warc_file": "VARCHAR",
    "warc_offset": "BIGINT",
    "warc_length": "BIGINT",
    "title": "VARCHAR",
    "text": "VARCHAR",
    "author": "VARCHAR",
    "published_at": "VARCHAR",
    "site_name": "VARCHAR",
    "language": "VARCHAR",
    "tags": "VARCHAR[]",
    "description": "VARCHAR",
    "modified_at": "VARCHAR",
    "updated_label": "VARCHAR",
    "content_hash": "VARCHAR",
    "extractor": "VARCHAR",
    "extractor_version": "VARCHAR",
    "blocks": "VARCHAR[]",  # the text's line hashes (warehouse/blocks.py); absent from older batches
}
COMMIT_ATTEMPTS = 3
# The optimizer step that asks each table for its statistics: DuckLake 1.5.5 looks them up in its
# catalog again, for every column of every statement, while a table has never held a row
# (ducklake#1313), and in a new warehouse every table is empty until its first load commits. A
# first load of 10,000 articles held the lock 2.06-2.14 s with it, 1.92-1.99 s without; a recrawl
# and a load into a million-version warehouse were as fast or faster, and its peak memory the same.
LOAD_DISABLED_OPTIMIZERS = "statistics_propagation"
SMALL_BATCH_BYTES = 4 << 20  # records.jsonl below this loads on one thread (see _threads_for)
COUNTED = (*PUBLISHER_KINDS, REEXTRACTED, "same", "missing")
TEMPLATE_KIND = "template"  # a change of a source's site template: one per load at most (warehouse/template.py)

log = logging.getLogger(__name__)


@dataclass
class Change:
    source: str
    kind: str
    title: str | None
    url: str
    version: int
    silent: bool | None = None
    previous_sentence: str | None = None
    changed_sentence: str | None = None


@dataclass
class LoadResult:
    """What one batch did to the warehouse."""

    batch_id: str
    source: str
    status: str
    skipped: bool = False
    error: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    template: TemplateEvent | None = None
    extraction_failure: str | None = None  # why this load is an extraction failure for the source


def load_pending(
    db, staging: Path, loaded: Path, wait: float = 10.0, keep=None, archive: str | Path | None = None
) -> list[LoadResult]:
    """Load every pending batch under `staging` (those `keep(batch)` accepts) in one session.

    Raises DatabaseLocked after `wait` s. Batches are listed once the lock is held, so two
    loaders never take the same batch; an unreadable batch stays staged and is reported. With the
    WARC `archive` the captures were written to, lines the extractor alone gained or lost are not
    edits (warehouse/flips.py). When one of the batches is big, they load in a process of their own
    held to PRESSWATCH_LOAD_MEMORY (warehouse/load_apart.py).
    """
    wanted = [b for b in pending_batches(staging) if keep is None or keep(b)]
    if not wanted:
        return []
    memory = load_memory_limit()
    if memory is not None and wants_own_process(wanted):  # every batch, so they still load in order
        apart = load_in_own_process(db, staging, loaded, wait, [b.batch_id for b in wanted], archive, memory)
        if apart is not None:
            return apart
    return load_pending_here(db, staging, loaded, wait, keep, archive)


def load_pending_here(
    db, staging: Path, loaded: Path, wait: float = 10.0, keep=None, archive=None, memory: str | None = None
) -> list[LoadResult]:
    """load_pending in this process, DuckDB held to `memory` during each batch's load (None: unbounded)."""
    wanted = [b for b in pending_batches(staging) if keep is None or keep(b)]
    if not wanted:
        return []
    presigned = {b.batch_id: presign(b.records) for b in wanted if b.records.exists()}  # before the lock
    scratch = Path(staging).parent / TOKENS_FOLDER
    prepared = {b.batch_id: prepare_batch(b.records, scratch) for b in wanted}  # the term index's tokens, likewise
    # the bands in the signatures' buckets, likewise, beside the tokens (brought up to date in the lock)
    neighbours = {
        batch_id: read_neighbours(db, presigned.get(batch_id) or {}, tokens.folder)
        for batch_id, tokens in prepared.items()
        if tokens is not None
    }
    known = {b.batch_id: known_captured_articles(db, b.records) for b in wanted}  # whose texts to compare
    # per article, the lines the extractor alone gained or lost (warehouse/flips.py), likewise
    flips = {b.batch_id: extraction_flips(db, b, archive, known[b.batch_id]) for b in wanted if archive is not None}
    diffs = {b.batch_id: prepare_diffs(db, b.records, known[b.batch_id]) for b in wanted}  # word diffs, likewise
    results: list[LoadResult] = []
    try:
        with connect(db, wait=wait) as con:
            for batch in pending_batches(staging):
                if keep is not None and not keep(batch):
                    continue
                try:
                    results.append(
                        _load_with_retries(
                            con,
                            batch,
                            presigned.get(batch.batch_id),
                            prepared.get(batch.batch_id),
                            flips.get(batch.batch_id),
                            diffs.get(batch.batch_id),
                            memory,
                            neighbours.get(batch.batch_id),
                        )
                    )
                except BatchError as exc:  # one unreadable batch stays staged; the others still load
                    source = batch.manifest.get("source") or "unknown"
                    results.append(LoadResult(batch.batch_id, source, "failed", skipped=True, error=str(exc)))
                    continue
                mark_loaded(batch, loaded)
    except SharedPartUnavailable as exc:  # the batches left stay staged; say which ones did load
        exc.loaded = results
        raise
    finally:
        for tokens in prepared.values():
            if tokens is not None:
                tokens.discard()
        remove_token_scratch(scratch)
    return results


def _load_with_retries(
    con,
    batch: StagedBatch,
    presigned: dict | None,
    prepared: Prepared | None,
    flips: dict | None = None,
    diffs: dict[bytes, Diff] | None = None,
    memory: str | None = None,
    neighbours: Neighbours | None = None,
) -> LoadResult:
    """load_batch, retried whole when its commit conflicts with a writer that skipped the lock."""
    for attempt in range(1, COMMIT_ATTEMPTS + 1):
        try:
            return load_batch_bounded(memory, con, batch, presigned, prepared, flips, diffs, neighbours)
        except duckdb.TransactionException as exc:
            if "conflict" not in str(exc).lower():
                raise
            if attempt == COMMIT_ATTEMPTS:
                raise LoadConflict(
                    f"batch {batch.batch_id}: its commit conflicted {attempt} times: {str(exc).splitlines()[0]}"
                ) from None
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


def load_batch_bounded(memory: str | None, con, batch: StagedBatch, *work) -> LoadResult:
    """load_batch(con, batch, *work) with DuckDB held to `memory` (warehouse/load_memory.py); a batch
    that does not fit is rolled back and loaded again without the bound."""
    with memory_bound(con, memory) as bounded:
        try:
            return load_batch(con, batch, *work)
        except duckdb.OutOfMemoryException:
            if not bounded:
                raise
    log.warning(
        "batch %s did not fit in %s=%s of DuckDB memory: loading it again without the bound",
        batch.batch_id,
        LOAD_MEMORY_ENV,
        memory,
    )
    return load_batch(con, batch, *work)


def load_batch(
    con,
    batch: StagedBatch,
    presigned: dict | None = None,
    prepared: Prepared | None = None,
    flips: dict | None = None,
    diffs: dict[bytes, Diff] | None = None,
    neighbours: Neighbours | None = None,
) -> LoadResult:
    """Merge one staged batch in one transaction; a batch already loaded changes nothing.

    `presigned` and `prepared` are the batch's story signatures and index tokens computed before the
    lock (presign, prepare_batch); without them that work is done here. `flips`: per article, the
    lines of its new text that are the extractor's doing (warehouse/flips.py). `diffs`: the edits'
    word diffs computed before the lock (warehouse/prediffs.py); any other edit is diffed here.
    `neighbours`: the bands in the presigned articles' buckets, read before the lock (read_neighbours)."""
    manifest = batch.manifest
    result = LoadResult(batch.batch_id, manifest.get("source") or "unknown", manifest.get("status", "complete"))
    already = con.execute("SELECT count(*) FROM loaded_batches WHERE batch_id = ?", [batch.batch_id]).fetchall()
    if already[0][0]:
        result.skipped = True
        return result
    settings = manifest.get("loader_settings") or {}
    thresholds = Thresholds.from_settings(settings)
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    try:
        _threads_for(con, batch.records)  # the instance's settings from here: given back in `finally`
        con.execute(f"SET disabled_optimizers = '{LOAD_DISABLED_OPTIMIZERS}'")
        settled = settle(con, neighbours)  # before the transaction: it reads the change feed
        con.execute("BEGIN TRANSACTION")
        _stage(con, batch.records)
        _upsert_source(con, result.source, settings)
        failed, result.extraction_failure = flag_extraction_failure(con, result.source, thresholds)
        _insert_fetches(con)
        now = datetime.now(UTC).replace(tzinfo=None)
        result.template = learn(con, result.source, thresholds, batch.batch_id, now)
        strip(con, result.source)
        explain(con, flips)
        _decide(
            con,
            int(settings.get("confirm_deletion", CONFIRM_DELETION)),
            float(settings.get("deletion_grace", DELETION_GRACE)),
        )
        _attach_diffs(con, diffs)
        _write_versions(con)
        forget_deleted(con)
        index_batch(con, batch.batch_id, prepared)
        _update_state(con)
        refresh_clusters(
            con,
            _changed_articles(con),
            presigned,
            scan_threads=int(threads),
            neighbours=settled,
            live=f"SELECT article_id, source, content_hash FROM decided WHERE final IN {VERSIONED}",  # just written
        )
        dropped = _track_discovery(con, result.source, manifest)
        result.counts = _counts(con)
        result.counts["dropped_from_discovery"] = dropped
        result.counts["extract_failed"] = failed
        result.changes = _changes(con) + _template_changes(result.template)
        _record_run(con, batch, result)
        con.execute(
            "INSERT INTO loaded_batches (batch_id, source, records, loaded_at) VALUES (?, ?, ?, now()::TIMESTAMP)",
            [batch.batch_id, result.source, result.counts.get("records", 0)],
        )
        confirm_write_lock(con)  # a shared catalog that restarted freed the lock: another load may hold it now
        con.execute("COMMIT")
    except BaseException:
        rollback(con)
        raise
    finally:
        drop_temp_tables(con, ("staged", "cap", "decided", "diffs", "state_new", NEIGHBOURS, *TEMPLATE_TEMP_TABLES))
        con.execute(f"SET threads = {int(threads)}")  # the setting is the instance's: give readers theirs back
        con.execute("RESET disabled_optimizers")  # likewise
    return result


def _threads_for(con, records: Path) -> None:
    """One thread for a small batch: its ~50 statements each touch a few rows, and DuckDB's threads
    would spend more time handing them over than working (half the CPU of a 10-article load)."""
    try:
        small = records.stat().st_size < SMALL_BATCH_BYTES
    except OSError:
        small = True
    if small:
        con.execute("SET threads = 1")


def _stage(con, records: Path) -> None:
    if not records.exists():
        raise BatchError(f"{records.parent.name}: records file is missing")
    columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in STAGED_COLUMNS.items()) + "}"
    if records.stat().st_size == 0:
        con.execute(
            f"CREATE TEMP TABLE staged AS SELECT * FROM (SELECT {', '.join(f'NULL::{k} AS {n}' for n, k in STAGED_COLUMNS.items())}) WHERE false"
        )
        return
    try:
        con.execute(
            f"CREATE TEMP TABLE staged AS SELECT * FROM read_json(?, format='newline_delimited', columns={columns})",
            [str(records)],
        )
    except duckdb.OutOfMemoryException:
        raise  # not the file's fault: load_batch_bounded loads it again without the memory bound
    except duckdb.Error as exc:
        raise BatchError(f"{records}: cannot be read: {str(exc).splitlines()[0]}") from None


def _upsert_source(con, name: str, settings: dict) -> None:
    values = [settings.get("label"), settings.get("language"), settings.get("allowed_domains")]
    registry = settings.get("registry")  # absent from batches staged before presswatch recorded it
    con.execute(
        "UPDATE sources SET label = ?, language = ?, allowed_domains = ?, updated_at = now()::TIMESTAMP, "
        "registry = coalesce(?, registry) WHERE name = ?",
        [*values, registry, name],
    )
    con.execute(
        "INSERT INTO sources (name, label, language, allowed_domains, first_seen_at, updated_at, registry) "
        "SELECT ?, ?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP, ? WHERE NOT EXISTS (SELECT 1 FROM sources WHERE name = ?)",
        [name, *values, registry, name],
    )


def _insert_fetches(con) -> None:
    con.execute(
        """
        INSERT INTO fetches (batch_id, source, kind, url, final_url, status, bytes, duration_ms, outcome, error,
                             article_id, fetched_at)
        SELECT batch_id, source, kind, url, final_url, status, bytes, duration_ms,
               CASE WHEN type = 'fetch' THEN (CASE WHEN error IS NULL THEN 'ok' ELSE 'failed' END) ELSE outcome END,
               coalesce(error, reason), article_id, fetched_at
        FROM staged WHERE type IN ('fetch', 'capture')
        """
    )


# The texts stay in `staged` alone: `cap` and `decided` point at their record by `rec` (its rowid)
# and the current version's text is read where it is compared, so a batch's texts are held once.
_CAP_COLUMNS = ", ".join(name for name in STAGED_COLUMNS if name not in ("text", "blocks"))


def _decide(con, confirm: int, grace: float) -> None:
    """Classify each article capture against the article's current version.

    Both sides are the article without the site's blocks: the capture's text was stripped in
    `staged`, and `cur_art` holds the current versions stored before the model knew a block.
    """
    con.execute(
        f"""
        CREATE TEMP TABLE cap AS
        SELECT rowid AS rec, {_CAP_COLUMNS} FROM staged
        WHERE type = 'capture' AND article_id IS NOT NULL
          AND outcome IN ('article', 'not_modified', 'unchanged_body', 'gone', 'no_article', 'skipped')
        QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY fetched_at DESC) = 1
        """
    )
    con.execute(
        f"""
        CREATE TEMP TABLE decided AS
        WITH cur AS (
            SELECT v.article_id, v.version, v.change_kind, v.title, coalesce(a.text, v.text) AS text,
                   v.canonical_url, v.source, v.valid_from, coalesce(a.content_hash, v.content_hash) AS content_hash,
                   v.raw_hash, v.modified_at, v.updated_label, v.last_modified, v.sitemap_lastmod, v.extractor_version
            FROM article_versions v
            SEMI JOIN (SELECT c.article_id FROM cap c SEMI JOIN article_state s ON s.article_id = c.article_id) k
                 ON v.article_id = k.article_id  -- articles with a version: none reads no file of article_versions
            LEFT JOIN cur_art a ON a.article_id = v.article_id
            WHERE v.valid_to IS NULL
        ), joined AS (
            SELECT c.*,
                   v.version AS cur_version, v.change_kind AS cur_kind, v.title AS cur_title,
                   v.extractor_version AS cur_extractor_version,
                   v.canonical_url AS cur_canonical, v.source AS cur_source,
                   s.missing_count AS prev_missing, s.missing_since AS prev_missing_since,
                   s.missing_reason AS prev_missing_reason, s.no_article_extractor AS prev_no_article_extractor,
                   s.etag AS prev_etag, s.last_modified AS prev_last_modified, s.raw_hash AS prev_raw_hash,
                   CASE
                     WHEN c.fetched_at <= v.valid_from THEN 'ignored'  -- older than what is stored: a late batch
                     WHEN c.outcome = 'article' THEN CASE
                       WHEN v.article_id IS NULL THEN 'new'
                       WHEN v.change_kind = 'deleted' THEN 'restored'
                       WHEN v.content_hash = c.content_hash OR c.article_id IN (SELECT article_id FROM explained)
                         THEN 'same'
                       WHEN v.raw_hash = c.raw_hash THEN 'reextracted'
                       WHEN v.text = t.text OR replace(v.text, v.title, '') = replace(t.text, c.title, '') THEN 'retitled'
                       ELSE 'edited' END
                     -- the page as the last visit left it: an article still there, or still none
                     WHEN c.outcome IN ('not_modified', 'unchanged_body') THEN
                       CASE WHEN v.article_id IS NULL OR v.change_kind = 'deleted' THEN
                              CASE WHEN s.missing_reason IS NOT NULL THEN 'still_gone' ELSE 'ignored' END
                            WHEN s.missing_count > 0 THEN 'missing'
                            ELSE 'same' END
                     ELSE
                       CASE WHEN v.article_id IS NULL OR v.change_kind = 'deleted' THEN 'still_gone' ELSE 'missing' END
                   END AS decision,
                   list_filter([CASE WHEN v.title IS DISTINCT FROM c.title THEN 'title' END,
                                CASE WHEN replace(v.text, coalesce(v.title, ''), '')
                                          IS DISTINCT FROM replace(t.text, coalesce(c.title, ''), '') THEN 'text' END],
                               lambda x: x IS NOT NULL) AS changed_fields,
                   coalesce(v.modified_at = c.modified_at, true) AND coalesce(v.updated_label = c.updated_label, true)
                     AND coalesce(v.last_modified = c.last_modified, true)
                     AND coalesce(v.sitemap_lastmod = c.sitemap_lastmod, true) AS signals_same
            FROM cap c
            JOIN staged t ON t.rowid = c.rec
            LEFT JOIN cur v ON v.article_id = c.article_id
            LEFT JOIN article_state s ON s.article_id = c.article_id
        )
        SELECT *,
               CASE WHEN decision = 'missing'
                     AND coalesce(prev_missing, 0) + 1 >= {confirm}
                     AND date_diff('second', coalesce(prev_missing_since, fetched_at), fetched_at) >= {grace}
                    THEN 'deleted' ELSE decision END AS final
        FROM joined
        """
    )


def _attach_diffs(con, prepared: dict[bytes, Diff] | None = None) -> None:
    """Words added and removed and the first changed sentence, for each edit: diffed before the lock
    when that edit of that stored version was (prepare_diffs), else here."""
    rows = con.execute(
        """
        SELECT d.article_id, d.cur_version, a.text, t.text
        FROM decided d JOIN staged t ON t.rowid = d.rec
        LEFT JOIN cur_art a ON a.article_id = d.article_id
        WHERE d.final IN ('edited', 'retitled', 'reextracted')
        """
    ).fetchall()
    con.execute(
        "CREATE TEMP TABLE diffs (article_id VARCHAR, words_added INTEGER, words_removed INTEGER,"
        " previous_sentence VARCHAR, changed_sentence VARCHAR)"
    )
    prepared = prepared or {}
    values, unread = [], []
    for article, version, restripped, new in rows:
        found = prepared.get(version_key(article, version, new)) if restripped is None and prepared else None
        if found is not None:
            values.append((article, *found))
        elif restripped is not None:  # the stored text as the site template strips it now (cur_art)
            values.append((article, *diff(restripped, new)))
        else:
            unread.append((article, version, new))
    if unread:  # the stored texts of the edits not diffed before the lock
        stored = dict(
            con.execute(
                "SELECT v.article_id, v.text FROM article_versions v "
                "JOIN (SELECT unnest(?::VARCHAR[]) AS article_id, unnest(?::INTEGER[]) AS version) w "
                "ON w.article_id = v.article_id AND w.version = v.version",
                [[a for a, _, _ in unread], [v for _, v, _ in unread]],
            ).fetchall()
        )
        values += [(article, *diff(stored.get(article), new)) for article, _, new in unread]
    if values:  # one statement (executemany runs one insert a row)
        con.execute(
            "INSERT INTO diffs SELECT unnest(?::VARCHAR[]), unnest(?::INTEGER[]), unnest(?::INTEGER[]),"
            " unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
            [list(column) for column in zip(*values, strict=True)],
        )


def _write_versions(con) -> None:
    # An UPDATE of the lake costs ~0.15 s even when it matches nothing: run each only when it has rows.
    closing, seen, deleted = con.execute(
        """
        SELECT count(*) FILTER (WHERE final IN ('edited', 'retitled', 'restored', 'reextracted', 'deleted')),
               count(*) FILTER (WHERE final = 'same' AND kind IS DISTINCT FROM 'reextract'),
               count(*) FILTER (WHERE final = 'deleted')
        FROM decided
        """
    ).fetchall()[0]
    if closing:
        _close_versions(con)
    if seen:
        _mark_seen(con)
    _insert_versions(con)
    if deleted:
        _insert_tombstones(con)


def _close_versions(con) -> None:
    con.execute(
        """
        UPDATE article_versions v SET valid_to = d.fetched_at
        FROM decided d
        WHERE v.article_id = d.article_id AND v.valid_to IS NULL
          AND d.final IN ('edited', 'retitled', 'restored', 'reextracted', 'deleted')
        """
    )


def _mark_seen(con) -> None:
    con.execute(
        """
        UPDATE article_versions v SET last_seen_at = d.fetched_at
        FROM decided d
        WHERE v.article_id = d.article_id AND v.valid_to IS NULL AND d.final = 'same' AND d.kind IS DISTINCT FROM 'reextract'
        """
    )


def _insert_versions(con) -> None:
    con.execute(
        f"""
        INSERT INTO article_versions BY NAME
        SELECT d.article_id, coalesce(d.cur_version, 0) + 1 AS version,
               coalesce(d.canonical_url, d.cur_canonical) AS canonical_url, d.source,
               d.final AS change_kind,
               CASE WHEN d.final IN ('edited', 'retitled', 'reextracted') THEN d.changed_fields END AS changed_fields,
               CASE WHEN d.final IN ('edited', 'retitled') THEN d.signals_same END AS silent,
               x.words_added, x.words_removed, x.changed_sentence, x.previous_sentence,
               d.title, t.text, t.site_blocks, d.author, try_cast(left(d.published_at, 10) AS DATE) AS published_at,
               d.modified_at, d.updated_label, d.language, d.site_name, d.tags, d.description,
               d.content_hash, d.extractor, d.extractor_version, d.raw_hash, d.url, d.status AS http_status,
               d.last_modified, d.sitemap_lastmod, d.warc_file, d.warc_offset, d.warc_length,
               d.fetched_at AS valid_from, NULL AS valid_to, d.fetched_at AS last_seen_at, d.batch_id,
               d.cur_title AS previous_title, d.cur_extractor_version AS previous_extractor_version
        FROM decided d JOIN staged t ON t.rowid = d.rec LEFT JOIN diffs x ON x.article_id = d.article_id
        WHERE d.final IN {VERSIONED}
        """
    )


def _insert_tombstones(con) -> None:
    con.execute(
        """
        INSERT INTO article_versions BY NAME
        SELECT d.article_id, d.cur_version + 1 AS version, d.cur_canonical AS canonical_url, d.cur_source AS source,
               'deleted' AS change_kind, d.cur_title AS title, d.url, d.status AS http_status,
               d.fetched_at AS valid_from, d.fetched_at AS last_seen_at, d.batch_id,
               d.cur_title AS previous_title, d.cur_extractor_version AS previous_extractor_version
        FROM decided d WHERE d.final = 'deleted'
        """
    )


def _update_state(con) -> None:
    """Each visited article's state row: updated where it exists, inserted where it is new."""
    con.execute(
        """
        CREATE TEMP TABLE state_new AS
        SELECT article_id, source, url, fetched_at AS first_seen_at, fetched_at AS last_checked_at,
               CASE WHEN final IN ('new', 'edited', 'retitled', 'restored', 'deleted') THEN fetched_at END AS last_changed_at,
               CASE WHEN final = 'missing' THEN coalesce(prev_missing, 0) + 1 ELSE 0 END AS missing_count,
               CASE WHEN final = 'missing' THEN coalesce(prev_missing_since, fetched_at) END AS missing_since,
               CASE WHEN final IN ('missing', 'still_gone', 'deleted')
                    THEN CASE WHEN repeat THEN prev_missing_reason ELSE coalesce(reason, outcome) END END AS missing_reason,
               CASE WHEN keeps THEN CASE WHEN repeat OR final NOT IN ('missing', 'still_gone') THEN coalesce(etag, prev_etag)
                                         ELSE etag END END AS etag,
               CASE WHEN keeps THEN CASE WHEN repeat OR final NOT IN ('missing', 'still_gone')
                                         THEN coalesce(last_modified, prev_last_modified) ELSE last_modified END END AS last_modified,
               CASE WHEN keeps THEN CASE WHEN repeat OR final NOT IN ('missing', 'still_gone') THEN coalesce(raw_hash, prev_raw_hash)
                                         ELSE raw_hash END END AS raw_hash,
               CASE WHEN outcome = 'no_article' THEN extractor_version
                    WHEN repeat AND final IN ('missing', 'still_gone') THEN prev_no_article_extractor END AS no_article_extractor
        FROM (SELECT *, outcome IN ('not_modified', 'unchanged_body') AS repeat,
                     -- validators describe the page as it is; a tombstone's, or a page gone (404), have none
                     final <> 'deleted' AND NOT (final = 'still_gone' AND outcome NOT IN ('no_article', 'not_modified',
                                                                                          'unchanged_body')) AS keeps
              FROM decided)
        WHERE final <> 'ignored' AND kind IS DISTINCT FROM 'reextract'  -- re-reading an archived capture is not a visit
        """
    )
    con.execute(
        """
        UPDATE article_state s SET
            url = n.url,
            last_checked_at = n.last_checked_at,
            last_changed_at = coalesce(n.last_changed_at, s.last_changed_at),
            missing_count = n.missing_count,
            missing_since = n.missing_since,
            missing_reason = n.missing_reason,
            etag = n.etag,
            last_modified = n.last_modified,
            raw_hash = n.raw_hash,
            no_article_extractor = n.no_article_extractor
        FROM state_new n
        WHERE s.article_id = n.article_id
        """
    )
    con.execute(
        """
        INSERT INTO article_state (article_id, source, url, first_seen_at, last_checked_at, last_changed_at,
                                   missing_count, missing_since, missing_reason, etag, last_modified, raw_hash,
                                   no_article_extractor)
        SELECT n.* FROM state_new n ANTI JOIN article_state s ON s.article_id = n.article_id
        """
    )


def _track_discovery(con, source: str, manifest: dict) -> int:
    """Note which known articles discovery linked to; flag live ones it no longer does."""
    seen_at = _naive(manifest.get("started_at"))
    con.execute(
        """
        UPDATE article_state s SET last_discovered_at = try_cast(? AS TIMESTAMP), discovered_via = d.via,
               dropped_from_discovery_at = NULL
        FROM (SELECT url, any_value(via) AS via FROM staged WHERE type = 'discovered' GROUP BY url) d
        WHERE s.url = d.url AND s.source = ?
        """,
        [seen_at, source],
    )
    found = con.execute("SELECT count(*) FROM staged WHERE type = 'discovered'").fetchall()[0][0]
    if manifest.get("status") != "complete" or not found:
        return 0  # an interrupted or failed discovery proves nothing about what dropped out
    dropped_filter = """
        source = ? AND last_discovered_at < try_cast(? AS TIMESTAMP) AND dropped_from_discovery_at IS NULL
        AND missing_count = 0 AND article_id IN (SELECT article_id FROM articles)
    """
    dropped = con.execute(f"SELECT count(*) FROM article_state WHERE {dropped_filter}", [source, seen_at]).fetchall()[
        0
    ][0]
    if dropped:  # DuckLake's UPDATE has no RETURNING: count first, in the same transaction
        con.execute(
            f"UPDATE article_state SET dropped_from_discovery_at = try_cast(? AS TIMESTAMP) WHERE {dropped_filter}",
            [seen_at, source, seen_at],
        )
    return int(dropped)


def _changed_articles(con) -> list[str]:
    rows = con.execute(f"SELECT article_id FROM decided WHERE final IN {VERSIONED + ('deleted',)}").fetchall()
    return [article for (article,) in rows]


def _counts(con) -> dict[str, int]:
    decided = dict(con.execute("SELECT final, count(*) FROM decided GROUP BY final").fetchall())
    row = con.execute(
        """
        SELECT count(*) FILTER (WHERE type IN ('fetch', 'capture')) AS records,
               count(*) FILTER (WHERE status IS NOT NULL AND kind IS DISTINCT FROM 'reextract') AS pages_fetched,
               count(*) FILTER (WHERE error IS NOT NULL AND type = 'fetch' AND error <> 'forbidden by robots.txt') AS errors,
               count(*) FILTER (WHERE outcome IN ('not_modified', 'unchanged_body')) AS not_modified,
               coalesce(sum(warc_length), 0) AS archive_bytes,
               count(*) FILTER (WHERE warc_length IS NOT NULL) AS captures_archived
        FROM staged
        """
    ).fetchall()[0]
    names = ("records", "pages_fetched", "errors", "not_modified", "archive_bytes", "captures_archived")
    counts = {name: int(value) for name, value in zip(names, row)}
    for kind in COUNTED:
        counts[kind] = int(decided.get(kind, 0))
    return counts


def _changes(con) -> list[Change]:
    rows = con.execute(
        """
        SELECT d.source, d.final, coalesce(d.title, d.cur_title), coalesce(d.canonical_url, d.cur_canonical),
               coalesce(d.cur_version, 0) + 1,
               CASE WHEN d.final IN ('edited', 'retitled') THEN d.signals_same END,
               x.previous_sentence, x.changed_sentence
        FROM decided d LEFT JOIN diffs x ON x.article_id = d.article_id
        WHERE d.final IN ('edited', 'retitled', 'deleted', 'restored', 'reextracted', 'new')
        ORDER BY d.final, 3
        """
    ).fetchall()
    return [Change(*row) for row in rows]


def _template_changes(event: TemplateEvent | None) -> list[Change]:
    """The run summary's line for a change of the source's template: one, never one per page."""
    if event is None:
        return []
    return [
        Change(
            event.source,
            TEMPLATE_KIND,
            event.title,
            event.example_url or "",
            event.event,
            previous_sentence=event.went[0] if event.went else None,
            changed_sentence=event.appeared[0] if event.appeared else None,
        )
    ]


def _record_run(con, batch: StagedBatch, result: LoadResult) -> None:
    m, c = batch.manifest, result.counts
    error = m.get("error") or result.extraction_failure
    con.execute(
        """
        INSERT INTO crawl_runs (batch_id, run_id, source, status, started_at, finished_at, loaded_at,
                                pages_fetched, new_articles, edited, retitled, deleted, restored, reextracted,
                                unchanged, not_modified, missing, errors, archive_bytes, error, outcome)
        VALUES (?, ?, ?, ?, try_cast(? AS TIMESTAMP), try_cast(? AS TIMESTAMP),
                now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            batch.batch_id,
            m.get("run_id"),
            result.source,
            result.status,
            _naive(m.get("started_at")),
            _naive(m.get("finished_at")),
            c["pages_fetched"],
            c["new"],
            c["edited"],
            c["retitled"],
            c["deleted"],
            c["restored"],
            c["reextracted"],
            c["same"],
            c["not_modified"],
            c["missing"],
            c["errors"],
            c["archive_bytes"],
            error,
            crawl_outcome(result.status, error),
        ],
    )


def _naive(stamp: str | None) -> str | None:
    return stamp[:26] if stamp else None
