"""The term index of migration 006, written in the transaction of every load (and rebuilt whole by
`presswatch reindex`, `presswatch upgrade` and the migration itself).

1. Before the write lock (`prepare_batch`): the batch's titles and texts are cut into lines, and
   each distinct line is tokenised by the index's own SQL macros (pw_terms, taken from the
   migration, so there is one tokeniser) in a private in-memory DuckDB. That is the slow part
   (regular expressions over every word); it writes two small Parquet files.
2. Under the lock (`index_versions`, called with the batch's id by the loader): the versions the
   batch wrote are read back from article_versions (so the index covers the text recorded, whatever
   it is), their lines are hashed and matched against the stored blocks, new blocks get ids and
   their prepared terms (any line the preparation did not see is tokenised here), and the
   documents, their lines and the live set are written.

A rebuild runs step 2 over every version, a slice of articles at a time; the synthetic bench
warehouse is built the same way.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.staging import sweep_abandoned

SEARCH_TABLES = ("search_terms", "search_lines", "search_blocks", "search_docs", "search_live")
MIGRATION = 6
# What the index's content depends on: the tokeniser (migration 006) and the regular-expression
# engine's Unicode tables, which come with DuckDB. Another method makes the next writer rebuild.
METHOD = f"lines-v1 tokeniser=006 duckdb={duckdb.__version__}"
TOKENISER_MACROS = ("pw_cjk_chars", "pw_is_cjk", "pw_terms")
REBUILD_SLICE = 400_000  # versions per slice of a rebuild: bounds its memory
TOKENS_PREFIX = "presswatch-index-"  # then the preparing process's id: a dead one's folder is swept
TOKENS_FOLDER = "index-tokens"  # beside a data folder's staging folder: the loads' prepared tokens
# A line's md5 as the two 64-bit halves search_blocks keys it by (md5_number_lower and _upper), hashed
# once: DuckDB's common-subexpression step computes md5_number(text) a single time.
HASH_PAIR = (
    "(md5_number({text}) >> 64)::UBIGINT AS hash,"
    " (md5_number({text}) & 18446744073709551615::UHUGEINT)::UBIGINT AS hash2"
)


@dataclass
class Prepared:
    """A batch's lines, tokenised before the lock: Parquet files in `folder` (removed by `discard`)."""

    folder: Path
    lines: int

    @property
    def blocks(self) -> str:
        return str(self.folder / "blocks.parquet")

    @property
    def terms(self) -> str:
        return str(self.folder / "terms.parquet")

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def tokeniser_statements() -> list[str]:
    """The CREATE MACRO statements of the tokeniser, as migration 006 writes them."""
    from warehouse.db import migrations

    sql = next(text for number, _, text in migrations() if number == MIGRATION)
    wanted = re.compile(r"CREATE OR REPLACE MACRO (" + "|".join(TOKENISER_MACROS) + r")\b")
    return [s.query for s in duckdb.extract_statements(sql) if wanted.search(s.query)]


def prepare_batch(records: Path, scratch: Path | None = None) -> Prepared | None:
    """Tokenise the distinct lines of a staged batch's article captures (titles and bodies), outside
    the lock, into a folder under `scratch` (default: the system's temporary folder)."""
    if not records.exists() or records.stat().st_size == 0:
        return None
    sweep_abandoned_tokens(scratch)
    folder = _token_folder(scratch)
    try:
        with duckdb.connect() as con:
            for statement in tokeniser_statements():
                con.execute(statement)
            con.execute(
                """
                CREATE TEMP TABLE caps AS
                SELECT title, text FROM read_json(?, format = 'newline_delimited',
                                                  columns = {'type': 'VARCHAR', 'outcome': 'VARCHAR',
                                                             'title': 'VARCHAR', 'text': 'VARCHAR'})
                WHERE type = 'capture' AND outcome = 'article'
                """,
                [str(records)],
            )
            # The lines a version's body can have (article_body's two shapes) and its title.
            con.execute(
                f"""
                CREATE TEMP TABLE lines AS
                SELECT DISTINCT {HASH_PAIR.format(text="line")}, line AS text FROM (
                    SELECT unnest(string_split(coalesce(text, ''), chr(10))) AS line FROM caps
                    UNION ALL SELECT unnest(string_split(title, chr(10))) FROM caps WHERE title IS NOT NULL
                    UNION ALL SELECT title FROM caps WHERE title IS NOT NULL)
                """
            )
            con.execute(f"COPY (SELECT hash, hash2 FROM lines) TO '{folder / 'blocks.parquet'}'")
            con.execute(
                f"""
                COPY (SELECT hash, hash2, term, count(*)::INTEGER AS n
                      FROM (SELECT hash, hash2, unnest(pw_terms(text)) AS term FROM lines) GROUP BY ALL)
                TO '{folder / "terms.parquet"}'
                """
            )
            count = con.execute("SELECT count(*) FROM lines").fetchall()[0][0]
    except duckdb.Error:
        shutil.rmtree(folder, ignore_errors=True)
        return None  # an unreadable batch is the loader's to report; the lock step tokenises what it needs
    return Prepared(folder, int(count))


def _token_folder(scratch: Path | None) -> Path:
    for _ in range(3):  # another load may remove `scratch` when it empties it (remove_token_scratch)
        if scratch is not None:
            scratch.mkdir(parents=True, exist_ok=True)
        try:
            return Path(tempfile.mkdtemp(prefix=f"{TOKENS_PREFIX}{os.getpid()}-", dir=scratch))
        except FileNotFoundError:
            continue
    return Path(tempfile.mkdtemp(prefix=f"{TOKENS_PREFIX}{os.getpid()}-"))


def remove_token_scratch(scratch: Path) -> None:
    """Remove the loads' token folder when no load holds tokens in it."""
    try:
        scratch.rmdir()
    except OSError:
        pass


def sweep_abandoned_tokens(scratch: Path | None = None) -> None:
    """Remove the token folders of loads whose process is gone (killed before `discard`)."""
    sweep_abandoned(Path(scratch if scratch is not None else tempfile.gettempdir()), TOKENS_PREFIX)


def after_migrations(con, applied: list[int]) -> None:
    """Build the index in the transaction that creates its tables (migration 006), so no snapshot
    has versions without their index."""
    if MIGRATION in applied:
        rebuild(con)


def built(con) -> bool:
    """Whether this warehouse's index was built by the current method."""
    rows = con.execute("SELECT method FROM search_settings").fetchall()
    return [row[0] for row in rows] == [METHOD]


def index_batch(con, batch_id: str, prepared: Prepared | None = None) -> None:
    """Index the versions batch `batch_id` wrote, inside the caller's transaction; the first load of
    a warehouse whose index is missing or was built another way rebuilds it whole instead."""
    if not built(con):
        rebuild(con)
        return
    index_versions(con, "batch_id = ?", [batch_id], prepared)


def reindex(db, wait: float = 60.0) -> int:
    """Rebuild the term index of the warehouse at `db` in one transaction (under the write lock);
    returns the versions indexed."""
    from warehouse.db import connect

    with connect(db, wait=wait, create=False) as con:
        con.execute("BEGIN TRANSACTION")
        try:
            versions = rebuild(con)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return versions


def rebuild(con, slice_size: int = REBUILD_SLICE) -> int:
    """Rebuild the whole index inside the caller's transaction; returns the versions indexed."""
    for table in (*SEARCH_TABLES, "search_settings"):
        con.execute(f"DELETE FROM {table}")
    versions = con.execute("SELECT count(*) FROM article_versions").fetchall()[0][0]
    slices = max(1, -(-versions // slice_size))
    for part in range(slices):
        index_versions(con, f"hash(article_id) % {slices} = {part}", [])
    con.execute("INSERT INTO search_settings (method, built_at) VALUES (?, now()::TIMESTAMP)", [METHOD])
    return int(versions)


def index_versions(con, where: str, params: list, prepared: Prepared | None = None) -> int:
    """Index the article_versions rows `where` selects (all versions of each article they touch must
    be selected, or be indexed already); returns the documents written."""
    try:
        return _index(con, where, params, prepared)
    finally:
        for table in ("pw_new", "pw_docs", "pw_lines", "pw_hashes", "pw_blocks"):
            con.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _index(con, where: str, params: list, prepared: Prepared | None) -> int:
    con.execute(
        f"""
        CREATE TEMP TABLE pw_new AS
        SELECT article_id, version, source, published_at, valid_from, valid_to, change_kind, title, canonical_url,
               article_body(title, text) AS body
        FROM article_versions WHERE {where}
        """,
        params,
    )
    if not con.execute("SELECT count(*) FROM pw_new").fetchall()[0][0]:
        return 0
    later, earlier = con.execute(
        "SELECT count(*) FILTER (WHERE n.version > 1), count(*) FILTER (WHERE n.version > 1 AND NOT EXISTS "
        "(SELECT 1 FROM pw_new f WHERE f.article_id = n.article_id AND f.version = 1)) FROM pw_new n"
    ).fetchall()[0]
    if later:  # a new version or a tombstone ends the article's current live row
        con.execute("DELETE FROM search_live WHERE article_id IN (SELECT article_id FROM pw_new WHERE version > 1)")
    # Each article's number and first sighting: from the selection when it holds version 1, else
    # from the article's documents already indexed (an edit, a restoration).
    known = (
        """SELECT article_id, min(art) AS art, min(first_seen) AS first_seen FROM search_docs
           WHERE article_id IN (SELECT article_id FROM pw_new WHERE version > 1) GROUP BY article_id"""
        if earlier
        else "SELECT NULL::VARCHAR AS article_id, NULL::BIGINT AS art, NULL::TIMESTAMP AS first_seen WHERE false"
    )
    con.execute(
        f"""
        CREATE TEMP TABLE pw_docs AS
        WITH known AS ({known}),
        firsts AS (
            SELECT n.article_id, coalesce(any_value(k.art), -1) AS art,
                   least(min(n.valid_from), any_value(k.first_seen)) AS first_seen
            FROM pw_new n LEFT JOIN known k USING (article_id)
            GROUP BY n.article_id
        ), numbered AS (
            SELECT article_id, first_seen,
                   CASE WHEN art >= 0 THEN art
                        ELSE (SELECT coalesce(max(art), 0) FROM search_docs)
                             + row_number() OVER (PARTITION BY art >= 0 ORDER BY first_seen, article_id) END AS art
            FROM firsts
        )
        SELECT (SELECT coalesce(max(doc), 0) FROM search_docs)
                 + row_number() OVER (ORDER BY n.valid_from, n.article_id, n.version) AS doc,
               f.art, n.* EXCLUDE (body), f.first_seen, len(string_split(n.body, chr(10))) AS lines,
               {HASH_PAIR.format(text="n.title")}  -- the title's block key, hashed once
        FROM pw_new n JOIN numbered f USING (article_id)
        WHERE n.change_kind <> 'deleted'
        """
    )
    con.execute(
        f"""
        CREATE TEMP TABLE pw_lines AS  -- the texts split here, not kept in pw_docs: one copy fewer until commit
        SELECT doc, text, line, {HASH_PAIR.format(text="text")} FROM (
            SELECT d.doc, unnest(string_split(n.body, chr(10))) AS text, unnest(range(1, d.lines + 1)) AS line
            FROM pw_docs d JOIN pw_new n ON n.article_id = d.article_id AND n.version = d.version)
        """
    )
    # Every distinct line and title, the block it already is, or a new block's id.
    con.execute(
        """
        CREATE TEMP TABLE pw_hashes AS
        SELECT hash, hash2, any_value(text) AS text FROM (
            SELECT hash, hash2, text FROM pw_lines
            UNION ALL SELECT hash, hash2, title FROM pw_docs WHERE title IS NOT NULL)
        GROUP BY hash, hash2
        """
    )
    con.execute(
        """
        CREATE TEMP TABLE pw_blocks AS
        WITH known AS (SELECT b.hash, b.hash2, b.block FROM search_blocks b
                       SEMI JOIN pw_hashes h ON h.hash = b.hash AND h.hash2 = b.hash2)
        SELECT h.hash, h.hash2, h.text, k.block AS known,
               coalesce(k.block, (SELECT coalesce(max(block), 0) FROM search_blocks)
                                 + row_number() OVER (PARTITION BY k.block IS NULL ORDER BY h.hash, h.hash2)) AS block
        FROM pw_hashes h LEFT JOIN known k ON k.hash = h.hash AND k.hash2 = h.hash2
        """
    )
    _write_blocks(con, prepared)
    con.execute(
        """
        INSERT INTO search_lines (block, doc, line, art, version, source, said_on, valid_from)
        SELECT b.block, l.doc, l.line, d.art, d.version, d.source,
               pw_said_on(d.version, d.published_at, d.first_seen, d.valid_from), d.valid_from
        FROM pw_lines l JOIN pw_blocks b ON b.hash = l.hash AND b.hash2 = l.hash2 JOIN pw_docs d ON d.doc = l.doc
        """
    )
    con.execute(
        """
        INSERT INTO search_docs (doc, art, article_id, version, source, published_at, valid_from, first_seen, title,
                                 canonical_url, title_block, lines)
        SELECT d.doc, d.art, d.article_id, d.version, d.source, d.published_at, d.valid_from, d.first_seen, d.title,
               d.canonical_url, b.block, d.lines
        FROM pw_docs d LEFT JOIN pw_blocks b ON b.hash = d.hash AND b.hash2 = d.hash2
        """
    )
    con.execute(
        """
        INSERT INTO search_live (doc, article_id, version, source, published_at, first_seen, title, canonical_url,
                                 title_block)
        SELECT d.doc, d.article_id, d.version, d.source, d.published_at, d.first_seen, d.title, d.canonical_url, b.block
        FROM pw_docs d LEFT JOIN pw_blocks b ON b.hash = d.hash AND b.hash2 = d.hash2
        WHERE d.valid_to IS NULL
        """
    )
    return int(con.execute("SELECT count(*) FROM pw_docs").fetchall()[0][0])


def _write_blocks(con, prepared: Prepared | None) -> None:
    """The new blocks and their terms: prepared before the lock where it saw the line, else tokenised here.
    (No ORDER BY in these inserts: DuckLake sorts each table by its SORTED BY keys as it writes.)"""
    if prepared is not None:
        con.execute(
            """
            INSERT INTO search_blocks (block, hash, hash2, text)
            SELECT block, hash, hash2, text FROM pw_blocks WHERE known IS NULL
            """
        )
        con.execute(
            f"""
            INSERT INTO search_terms (term, block, n)
            SELECT term, block, n FROM (
                SELECT p.term, b.block, p.n FROM pw_blocks b
                JOIN read_parquet('{prepared.terms}') p ON p.hash = b.hash AND p.hash2 = b.hash2
                WHERE b.known IS NULL
                UNION ALL
                SELECT term, block, count(*)::INTEGER FROM (
                    SELECT b.block, unnest(pw_terms(b.text)) AS term FROM pw_blocks b
                    ANTI JOIN read_parquet('{prepared.blocks}') p ON p.hash = b.hash AND p.hash2 = b.hash2
                    WHERE b.known IS NULL)
                GROUP BY ALL)
            """
        )
        return
    con.execute(
        """
        INSERT INTO search_blocks (block, hash, hash2, text)
        SELECT block, hash, hash2, text FROM pw_blocks WHERE known IS NULL
        """
    )
    con.execute(
        """
        INSERT INTO search_terms (term, block, n)
        SELECT term, block, count(*)::INTEGER FROM (
            SELECT block, unnest(pw_terms(text)) AS term FROM pw_blocks WHERE known IS NULL)
        GROUP BY ALL
        """
    )


def scan_macros(original: bool = False) -> list[str]:
    """term_trend and phrase_spread as migration 003 wrote them, scanning every text, as temporary
    macros term_trend_scan and phrase_spread_scan: what the index's answers are compared with. They
    count with the current mention_count; `original` brings 003's own (which let a phrase run over
    a line break) as mention_count_003, pw_pattern_003 and pw_probe_003."""
    from warehouse.db import migrations

    sql = next(text for number, _, text in migrations() if number == 3)
    renamed = {"term_trend": "term_trend_scan", "phrase_spread": "phrase_spread_scan"}
    if original:
        renamed.update({name: f"{name}_003" for name in ("mention_count", "pw_pattern", "pw_probe")})
    found = []
    for statement in duckdb.extract_statements(sql):
        match = re.search(r"CREATE MACRO (\w+)\(", statement.query)
        if match and match.group(1) in renamed:
            text = re.sub(r"\b(" + "|".join(renamed) + r")\(", lambda m: renamed[m.group(1)] + "(", statement.query)
            found.append(text.replace("CREATE MACRO", "CREATE OR REPLACE TEMP MACRO", 1))
    return found
