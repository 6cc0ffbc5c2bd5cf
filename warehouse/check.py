"""Verify the warehouse's invariants, read-only: what `presswatch check` reports.

Every load is one transaction and a batch leaves the staging folder only after its transaction
committed, so whatever moment a crawl or a load was killed at, these hold:

* history: each article has exactly one current version (valid_to NULL); version numbers run
  1, 2, 3... without gaps or repeats; each version's valid_to is the next one's valid_from
  (never before its own valid_from); version 1 is `new`, `restored` follows `deleted`, and a
  tombstone never follows a tombstone.
* whole versions: a non-tombstone version has its text, content hash and extractor; every
  version, fetch and run row belongs to a batch recorded in `loaded_batches`; each loaded batch
  has as many `fetches` rows as it declared records, and one `crawl_runs` row; every versioned
  article has its `article_state` row.
* batches: every folder under the staging folder is loadable (it has a manifest, or a writer
  that is alive or can be salvaged); every folder moved to the loaded folder is recorded in
  `loaded_batches`. A batch that is both recorded as loaded and still pending is *not* a
  violation: a load killed between its COMMIT and moving the folder leaves exactly that, and the
  next load skips it (loading twice is a no-op) and moves it. It is reported as a note.
* templates: a source's template events are numbered once, each block is counted once per article
  and is in at most one open span of its source's model (part of `unique_keys`).
* archive: each version's WARC file exists under the archive folder and its record
  (offset + length) lies within the file; with `deep`, each record is read back and its bytes
  hash to the version's raw_hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from warehouse.archive_store import capture_file_size, is_url
from warehouse.db import connect
from warehouse.search_index import METHOD
from warehouse.staging import MANIFEST, RECORDS, WRITER, writer_alive

EXAMPLES = 5


@dataclass
class Check:
    """One invariant: its name, what it says, how many rows break it and a few of them."""

    name: str
    title: str
    checked: int = 0
    violations: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.violations == 0

    def add(self, example: str, limit: int) -> None:
        self.violations += 1
        if len(self.examples) < limit:
            self.examples.append(example)


@dataclass
class CheckReport:
    """Every invariant checked, and notes on legitimate states worth knowing about."""

    db: str
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def violations(self) -> int:
        return sum(c.violations for c in self.checks)

    def as_dict(self) -> dict:
        return {
            "db": self.db,
            "ok": self.ok,
            "violations": self.violations,
            "notes": self.notes,
            "checks": [
                {
                    "name": c.name,
                    "title": c.title,
                    "ok": c.ok,
                    "checked": c.checked,
                    "violations": c.violations,
                    "examples": c.examples,
                }
                for c in self.checks
            ],
        }


def check_warehouse(
    db,
    staging: Path | None = None,
    loaded: Path | None = None,
    archive: Path | str | None = None,
    examples: int = EXAMPLES,
    deep: bool = False,
    wait: float = 5.0,
) -> CheckReport:
    """Check every invariant of the warehouse at `db` (and of the batch and archive folders given)."""
    report = CheckReport(str(db))
    with connect(db, read_only=True, wait=wait) as con:
        for spec in _SQL_CHECKS:
            report.checks.append(_sql_check(con, *spec, limit=examples))
        for spec in _INDEX_CHECKS:
            report.checks.append(_sql_check(con, *spec, limit=examples))
        loaded_ids = {row[0] for row in con.execute("SELECT batch_id FROM loaded_batches").fetchall()}
        if staging is not None or loaded is not None:
            report.checks.append(
                _batch_check(
                    Path(staging) if staging else None,
                    Path(loaded) if loaded else None,
                    loaded_ids,
                    report.notes,
                    examples,
                )
            )
        if archive is not None:
            captures = con.execute(
                "SELECT canonical_url, version, warc_file, warc_offset, warc_length, raw_hash FROM article_versions "
                "WHERE warc_file IS NOT NULL ORDER BY canonical_url, version"
            ).fetchall()
            report.checks.append(
                _archive_check(archive if is_url(archive) else Path(archive), captures, examples, deep)
            )
    return report


# The keys a DuckLake cannot declare (no PRIMARY KEY or UNIQUE): the loader keeps them unique.
_KEYS = (
    ("sources", "name"),
    ("crawl_runs", "batch_id"),
    ("loaded_batches", "batch_id"),
    ("article_state", "article_id"),
    ("article_versions", "article_id, version"),
    ("story_signatures", "article_id"),
    ("story_members", "article_id"),
    ("schema_migrations", "version"),
    ("search_docs", "doc"),
    ("search_docs", "article_id, version"),
    ("search_live", "article_id"),
    ("search_blocks", "block"),
    ("search_blocks", "hash, hash2"),
    ("search_terms", "term, block"),
    ("search_lines", "doc, line"),
    ("article_blocks", "article_id, block"),
    ("template_events", "source, event"),
    ("template_state", "source"),
    ("site_template", "source, block"),  # one open span per block of a source's model
)

# Each: (name, title, SQL counting what is checked, SQL of the rows that break it, example format).
_SQL_CHECKS = [
    (
        "unique_keys",
        "keys are unique: " + "; ".join(f"{t}({k})" for t, k in _KEYS),
        "SELECT " + " + ".join(f"(SELECT count(*) FROM {t})" for t, _ in _KEYS),
        " UNION ALL ".join(
            f"SELECT '{t}', concat_ws(', ', {k}), count(*) FROM {t} GROUP BY {k} HAVING count(*) > 1" for t, k in _KEYS
        )
        + " ORDER BY 1, 2",
        "{0}: key ({1}) appears {2} times",
    ),
    (
        "current_version",
        "one current version per article",
        "SELECT count(DISTINCT article_id) FROM article_versions",
        """
        SELECT article_id, any_value(canonical_url), count(*) FILTER (WHERE valid_to IS NULL) AS current
        FROM article_versions GROUP BY article_id HAVING current <> 1 ORDER BY 2
        """,
        "{1}: {2} current versions (article {0})",
    ),
    (
        "version_numbers",
        "version numbers run 1, 2, 3... without gaps or repeats",
        "SELECT count(DISTINCT article_id) FROM article_versions",
        """
        SELECT article_id, any_value(canonical_url), list(version ORDER BY version)
        FROM article_versions GROUP BY article_id
        HAVING min(version) <> 1 OR max(version) <> count(*) OR count(DISTINCT version) <> count(*) ORDER BY 2
        """,
        "{1}: versions {2} (article {0})",
    ),
    (
        "validity",
        "each version's valid_to is the next one's valid_from, never before its own valid_from",
        "SELECT count(*) FROM article_versions",
        """
        SELECT canonical_url, version, valid_from, valid_to, next_from FROM (
            SELECT *, lead(valid_from) OVER (PARTITION BY article_id ORDER BY version) AS next_from,
                      lead(version) OVER (PARTITION BY article_id ORDER BY version) AS next_version
            FROM article_versions)
        WHERE valid_to IS DISTINCT FROM next_from OR valid_to < valid_from
        ORDER BY canonical_url, version
        """,
        "{0} v{1}: valid {2} to {3}, next version from {4}",
    ),
    (
        "change_kinds",
        "version 1 is new, restored follows deleted, no tombstone follows a tombstone",
        "SELECT count(*) FROM article_versions",
        """
        SELECT canonical_url, version, change_kind, previous FROM (
            SELECT *, lag(change_kind) OVER (PARTITION BY article_id ORDER BY version) AS previous
            FROM article_versions)
        WHERE (version = 1 AND change_kind <> 'new')
           OR (change_kind = 'restored' AND previous IS DISTINCT FROM 'deleted')
           OR (change_kind = 'deleted' AND previous = 'deleted')
           OR (version > 1 AND change_kind = 'new')
        ORDER BY canonical_url, version
        """,
        "{0} v{1}: {2} after {3}",
    ),
    (
        "previous_version",
        "each change records its previous version's title and extractor version (article_changes shows them)",
        "SELECT count(*) FROM article_versions WHERE version > 1",
        """
        SELECT canonical_url, version, previous_title, title_before FROM (
            SELECT *, lag(title) OVER (PARTITION BY article_id ORDER BY version) AS title_before,
                      lag(extractor_version) OVER (PARTITION BY article_id ORDER BY version) AS extractor_before
            FROM article_versions)
        WHERE previous_title IS DISTINCT FROM title_before OR previous_extractor_version IS DISTINCT FROM extractor_before
        ORDER BY canonical_url, version
        """,
        "{0} v{1}: records the previous title {2!r}, the previous version's is {3!r}",
    ),
    (
        "whole_versions",
        "every version is whole: text, hashes and extractor (tombstones: none needed)",
        "SELECT count(*) FROM article_versions",
        """
        SELECT canonical_url, version, change_kind FROM article_versions
        WHERE change_kind <> 'deleted'
          AND (text IS NULL OR content_hash IS NULL OR extractor IS NULL OR raw_hash IS NULL OR batch_id IS NULL)
        ORDER BY canonical_url, version
        """,
        "{0} v{1} ({2}) lacks its text, hashes, extractor or batch",
    ),
    (
        "versions_loaded",
        "every version, fetch and run belongs to a batch recorded as loaded",
        "SELECT (SELECT count(*) FROM article_versions) + (SELECT count(*) FROM fetches) + (SELECT count(*) FROM crawl_runs)",
        """
        SELECT 'article_versions', batch_id, count(*) FROM article_versions
        WHERE batch_id NOT IN (SELECT batch_id FROM loaded_batches) GROUP BY batch_id
        UNION ALL
        SELECT 'fetches', batch_id, count(*) FROM fetches
        WHERE batch_id NOT IN (SELECT batch_id FROM loaded_batches) GROUP BY batch_id
        UNION ALL
        SELECT 'crawl_runs', batch_id, count(*) FROM crawl_runs
        WHERE batch_id NOT IN (SELECT batch_id FROM loaded_batches) GROUP BY batch_id
        ORDER BY 1, 2
        """,
        "{2} row(s) of {0} from batch {1}, which loaded_batches does not hold",
    ),
    (
        "batches_whole",
        "each loaded batch has all its fetch records and exactly one run row",
        "SELECT count(*) FROM loaded_batches",
        """
        SELECT b.batch_id, b.records, coalesce(f.n, 0), coalesce(r.n, 0) FROM loaded_batches b
        LEFT JOIN (SELECT batch_id, count(*) AS n FROM fetches GROUP BY batch_id) f USING (batch_id)
        LEFT JOIN (SELECT batch_id, count(*) AS n FROM crawl_runs GROUP BY batch_id) r USING (batch_id)
        WHERE b.records IS DISTINCT FROM coalesce(f.n, 0) OR coalesce(r.n, 0) <> 1
        ORDER BY b.batch_id
        """,
        "batch {0}: {1} records declared, {2} in fetches, {3} crawl_runs row(s)",
    ),
    (
        "article_state",
        "every versioned article has its article_state row",
        "SELECT count(DISTINCT article_id) FROM article_versions",
        """
        SELECT DISTINCT v.article_id, v.canonical_url FROM article_versions v
        ANTI JOIN article_state s ON s.article_id = v.article_id ORDER BY 2
        """,
        "{1} (article {0}) has versions but no article_state row",
    ),
]


# The term index (migration 006) against the texts: it must find exactly what a scan finds.
_INDEXED = "SELECT * FROM article_versions WHERE change_kind <> 'deleted'"
_INDEX_CHECKS = [
    (
        "search_docs",
        "the term index has one document per version with text, with that version's source, dates and title",
        f"SELECT count(*) FROM ({_INDEXED})",
        f"""
        WITH v AS ({_INDEXED}), firsts AS (
            SELECT article_id, min(valid_from) AS first_seen FROM article_versions GROUP BY article_id
        )
        SELECT coalesce(v.canonical_url, d.canonical_url, d.article_id), coalesce(v.version, d.version),
               CASE WHEN d.doc IS NULL THEN 'has no document' WHEN v.article_id IS NULL THEN 'is indexed but has no text'
                    ELSE 'is indexed with other fields' END
        FROM v FULL JOIN search_docs d ON d.article_id = v.article_id AND d.version = v.version
        LEFT JOIN firsts f ON f.article_id = coalesce(v.article_id, d.article_id)
        WHERE d.doc IS NULL OR v.article_id IS NULL
           OR v.source IS DISTINCT FROM d.source OR v.published_at IS DISTINCT FROM d.published_at
           OR v.valid_from IS DISTINCT FROM d.valid_from OR f.first_seen IS DISTINCT FROM d.first_seen
           OR v.title IS DISTINCT FROM d.title OR v.canonical_url IS DISTINCT FROM d.canonical_url
        ORDER BY 1, 2
        """,
        "{0} v{1} {2}",
    ),
    (
        "search_lines",
        "each indexed version's lines, joined, are its title and text (article_body)",
        "SELECT count(*) FROM search_docs",
        f"""
        WITH bodies AS (
            SELECT l.doc, string_agg(b.text, chr(10) ORDER BY l.line) AS body, count(*) AS lines,
                   count(b.block) AS found, max(l.line) AS last
            FROM search_lines l LEFT JOIN search_blocks b ON b.block = l.block GROUP BY l.doc
        )
        SELECT v.canonical_url, v.version FROM ({_INDEXED}) v
        JOIN search_docs d ON d.article_id = v.article_id AND d.version = v.version
        LEFT JOIN bodies x ON x.doc = d.doc
        WHERE x.body IS DISTINCT FROM article_body(v.title, v.text) OR x.lines <> d.lines OR x.found <> x.lines
           OR x.last <> x.lines
        ORDER BY 1, 2
        """,
        "{0} v{1}: its indexed lines are not its text",
    ),
    (
        "search_lines_dated",
        "each indexed line carries its document's article, version, source and dates (phrase_spread reads them)",
        "SELECT count(*) FROM search_lines",
        """
        SELECT d.canonical_url, d.version, count(*) FROM search_lines l JOIN search_docs d ON d.doc = l.doc
        WHERE l.art IS DISTINCT FROM d.art OR l.version IS DISTINCT FROM d.version
           OR l.source IS DISTINCT FROM d.source OR l.valid_from IS DISTINCT FROM d.valid_from
           OR l.said_on IS DISTINCT FROM pw_said_on(d.version, d.published_at, d.first_seen, d.valid_from)
        GROUP BY ALL ORDER BY 1, 2
        """,
        "{0} v{1}: {2} indexed lines carry other values than their document (an older presswatch writes none: "
        "`presswatch reindex` fills them)",
    ),
    (
        "search_terms",
        "each indexed line's terms are the tokeniser's (pw_terms), with their counts; titles are indexed",
        "SELECT count(*) FROM search_blocks",
        """
        WITH want AS (
            SELECT block, term, count(*)::INTEGER AS n FROM (SELECT block, unnest(pw_terms(text)) AS term FROM search_blocks)
            GROUP BY ALL
        ), wrong AS (
            (SELECT block, term, n FROM want EXCEPT ALL SELECT block, term, n FROM search_terms)
            UNION ALL
            (SELECT block, term, n FROM search_terms EXCEPT ALL SELECT block, term, n FROM want)
        )
        SELECT b.block, left(b.text, 60), count(*) FROM wrong w LEFT JOIN search_blocks b USING (block)
        GROUP BY ALL
        UNION ALL
        SELECT b.block, left(b.text, 60), -1 FROM search_blocks b
        WHERE b.hash <> md5_number_lower(b.text) OR b.hash2 <> md5_number_upper(b.text)
        UNION ALL
        SELECT d.title_block, left(d.title, 60), -2 FROM search_docs d LEFT JOIN search_blocks b ON b.block = d.title_block
        WHERE b.text IS DISTINCT FROM d.title
        ORDER BY 1
        """,
        "block {0} ({1!r}): {2} index rows differ from its text (-1: its hash, -2: a title's block)",
    ),
    (
        "search_live",
        "the index's live set is each live article's current version",
        "SELECT count(*) FROM articles",
        """
        SELECT coalesce(a.canonical_url, l.article_id), coalesce(a.version, l.version) FROM articles a
        FULL JOIN (SELECT l.*, d.version AS doc_version, d.title AS doc_title FROM search_live l
                   LEFT JOIN search_docs d ON d.doc = l.doc) l ON l.article_id = a.article_id
        WHERE a.article_id IS NULL OR l.article_id IS NULL OR l.version <> a.version OR l.doc_version <> a.version
           OR l.source <> a.source OR l.published_at IS DISTINCT FROM a.published_at OR l.title IS DISTINCT FROM a.title
        ORDER BY 1
        """,
        "{0} v{1}: live in the warehouse and in the index differ",
    ),
    (
        "search_settings",
        "the index was built by this presswatch's method",
        "SELECT 1",
        "SELECT coalesce((SELECT string_agg(method, ', ') FROM search_settings), 'nothing') WHERE "
        f"(SELECT list(method) FROM search_settings) IS DISTINCT FROM ['{METHOD}']",
        "built by {0}: `presswatch reindex` rebuilds it",
    ),
]


def _sql_check(con, name: str, title: str, count_sql: str, sql: str, template: str, limit: int) -> Check:
    check = Check(name, title, checked=con.execute(count_sql).fetchall()[0][0])
    for row in con.execute(sql).fetchall():
        check.add(template.format(*row), limit)
    return check


def _batch_check(
    staging: Path | None, loaded: Path | None, loaded_ids: set[str], notes: list[str], limit: int
) -> Check:
    """Staged folders are loadable; folders moved to `loaded` are recorded in loaded_batches."""
    check = Check("batches", "every staged batch is pending (loadable) or loaded, none lost")
    for root in (staging, loaded):
        if root is not None and root.exists() and not root.is_dir():
            check.add(
                f"{root} is a file, not a folder: crawls cannot stage batches there (move it away, "
                "or point --data elsewhere)",
                limit,
            )
    pending_and_loaded = []
    pending = empty = 0
    for folder in _folders(staging):
        check.checked += 1
        state, batch_id = _staged_state(folder)
        if state == "stuck":
            check.add(
                f"{folder}: neither a manifest nor a writer to salvage, yet {RECORDS} holds records: "
                "it will never load",
                limit,
            )
        elif state == "unreadable":
            check.add(f"{folder}: its {MANIFEST} cannot be read: the loader skips it", limit)
        elif state == "empty":
            empty += 1
        elif state in ("pending", "crawling"):
            pending += 1
            if batch_id in loaded_ids:
                pending_and_loaded.append(batch_id)
    for folder in _folders(loaded):
        check.checked += 1
        batch_id = _batch_id(folder)
        if batch_id not in loaded_ids:
            check.add(f"{folder}: moved out of staging but batch {batch_id} is not in loaded_batches", limit)
    if pending:
        notes.append(f"{pending} batch(es) pending under {staging}: the next load merges them")
    if empty:
        notes.append(
            f"{empty} empty folder(s) under {staging}: a crawl stopped before it staged anything; safe to delete"
        )
    if pending_and_loaded:
        notes.append(
            f"{len(pending_and_loaded)} batch(es) already loaded but still under {staging} (a load stopped "
            f"after its commit): the next load skips and moves them, e.g. {', '.join(pending_and_loaded[:limit])}"
        )
    return check


def _folders(root: Path | None) -> list[Path]:
    if root is None or not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir())


def _staged_state(folder: Path) -> tuple[str, str]:
    """(pending | crawling | empty | stuck | unreadable, batch id) of one folder under staging."""
    manifest = folder / MANIFEST
    if manifest.exists():
        try:
            return "pending", json.loads(manifest.read_text(encoding="utf-8"))["batch_id"]
        except (OSError, ValueError, KeyError):
            return "unreadable", folder.name
    writer = folder / WRITER
    if writer.exists():
        try:
            info = json.loads(writer.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
        # a live writer is a crawl in progress; a dead one is salvaged by the next load
        return ("crawling" if writer_alive(folder) else "pending"), info.get("batch_id", folder.name)
    records = folder / RECORDS
    if records.exists() and records.stat().st_size:
        return "stuck", folder.name
    return "empty", folder.name  # killed before its writer started: nothing was staged


def _batch_id(folder: Path) -> str:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["batch_id"]
    except (OSError, ValueError, KeyError):
        return folder.name


def _archive_check(root, captures: list[tuple], limit: int, deep: bool) -> Check:
    title = "each version's WARC record is in its file" + (" and hashes to its raw_hash" if deep else "")
    check = Check("archive", title, checked=len(captures))
    if not is_url(root) and Path(root).exists() and not Path(root).is_dir():
        check.add(f"{root} is a file, not the archive folder", limit)
        return check
    sizes: dict[str, int | None] = {}
    for url, version, warc_file, offset, length, raw_hash in captures:
        if warc_file not in sizes:
            sizes[warc_file] = capture_file_size(root, warc_file)
        size = sizes[warc_file]
        if size is None:
            check.add(f"{url} v{version}: {warc_file} is not under {root}", limit)
        elif offset is None or offset < 0 or offset + (length or 0) > size or (length is not None and length <= 0):
            check.add(
                f"{url} v{version}: record at {offset} (+{length}) lies outside {warc_file} ({size} bytes)", limit
            )
        elif deep:
            problem = _read_back(root, warc_file, offset, raw_hash)
            if problem:
                check.add(f"{url} v{version}: {problem}", limit)
    return check


def _read_back(root: Path, warc_file: str, offset: int, raw_hash: str | None) -> str | None:
    from warehouse.archive import CaptureCorrupt, CaptureMissing, read_capture

    try:
        capture = read_capture(root, warc_file, offset)
    except (CaptureMissing, CaptureCorrupt) as exc:
        return str(exc)
    if raw_hash and capture.sha256 != raw_hash:
        return f"the record at {warc_file}:{offset} does not hash to the version's raw_hash"
    return None
