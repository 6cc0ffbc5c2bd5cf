"""Site templates: a version records the article, not the site around it (migration 007).

Each load, before any version is decided, runs three steps on the batch's captures (the temp table
`staged`), all set-based SQL; the per-page work (splitting a text into lines and hashing them) was
done by the extraction workers (`blocks` in each record, warehouse/blocks.py):

1. `flag_extraction_failure`: when most known articles the load re-read lost their text (no
   article any more, or few of their stored lines left), the site's new layout broke extraction:
   those captures become `extract_failed` and their versions stay current.
2. `learn`: the blocks of each changed capture replace its article's rows in `article_blocks`,
   the blocks this touched are recounted, and the source's model (`template_blocks`) gains the
   blocks now carried by enough distinct articles (warehouse/rules.py) and loses those no live
   article carries any more. A change of the model is one `template_events` row.
3. `strip`: captures carrying site blocks get their text and content hash without them (and the
   stripped hashes in `site_blocks`); current versions stored before the model knew a block are
   compared without it too (`cur_art`), so a model change never turns into edits. Stored versions
   are never rewritten: `presswatch reextract` records `reextracted` versions without the blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from warehouse.blocks import (
    HASH_CHARS,
    INLINE_MIN_CHARS,
    article_hash_sql,
    blocks_sql,
    inline_sql,
    inline_texts,
    strip_blocks,
)
from warehouse.db import connect
from warehouse.rules import FAILURE_RETAINED, FAILURE_SHARE, TEMPLATE_MIN_ARTICLES, TEMPLATE_SHARE

TEMP_TABLES = ("known", "batch_caps", "batch_blocks", "touched", "art", "cur_art", "flip_lines", "explained")
_CAPTURE_BLOCKS = f"coalesce(t.blocks, {blocks_sql('t.text')})"


@dataclass(frozen=True)
class Thresholds:
    """When a block is the site's: in at least `min_articles` distinct articles and `share` of them."""

    min_articles: int = TEMPLATE_MIN_ARTICLES
    share: float = TEMPLATE_SHARE

    @classmethod
    def from_settings(cls, settings: dict) -> Thresholds:
        """The thresholds a batch's loader settings carry (the registry's), else the defaults."""
        return cls(
            max(2, int(settings.get("template_min_articles") or TEMPLATE_MIN_ARTICLES)),
            float(settings.get("template_share", TEMPLATE_SHARE)),
        )


@dataclass
class TemplateEvent:
    """One change of a source's model: the lines that became the site's, and those that went."""

    source: str
    event: int
    initial: bool
    appeared: list[str] = field(default_factory=list)
    went: list[str] = field(default_factory=list)
    pages: int = 0
    articles: int = 0
    example_url: str | None = None
    detected_at: datetime | None = None

    @property
    def title(self) -> str:
        """What the change is, in the words of the `template_changes` view."""
        parts = []
        if self.appeared:
            parts.append(f"{len(self.appeared)} line(s) appeared on {self.pages} of {self.articles} articles")
        if self.went:
            parts.append(f"{len(self.went)} line(s) went")
        return f"site template {'learned' if self.initial else 'changed'}: {', '.join(parts)}"


# ------------------------------------------------------------------------ 1. extraction failure


def flag_extraction_failure(con, source: str, thresholds: Thresholds) -> tuple[int, str | None]:
    """Mark the captures of a source-wide extraction failure `extract_failed`; (their count, why).

    A known article lost its text when the page now holds no article (a 200 answer) or keeps
    under FAILURE_RETAINED of the lines its previous capture had (`article_blocks`). One or a few
    such pages are the publisher's doing (rewrites, soft 404s, handled as usual); most of the
    load's at once is the extractor failing on a new layout.
    """
    # Narrow rows (no text, no blocks: those only when the failure check below runs), and only the
    # articles article_state knows (it has a row for each with a version), so a batch of new
    # articles reads no file of article_versions (a scan of every article id otherwise).
    con.execute(
        """
        CREATE TEMP TABLE known AS
        SELECT t.rowid AS rec, t.article_id, t.outcome,
               t.outcome = 'no_article' OR t.content_hash <> v.content_hash AS differs
        FROM staged t JOIN (
            SELECT v.article_id, v.content_hash, v.valid_from FROM article_versions v
            SEMI JOIN (SELECT c.article_id FROM staged c SEMI JOIN article_state s ON s.article_id = c.article_id) k
                 ON v.article_id = k.article_id
            WHERE v.valid_to IS NULL AND v.change_kind <> 'deleted'
        ) v ON v.article_id = t.article_id
        WHERE t.type = 'capture' AND t.kind IS DISTINCT FROM 'reextract' AND t.fetched_at > v.valid_from
          AND (t.outcome = 'article' OR (t.outcome = 'no_article' AND t.status = 200))
        QUALIFY row_number() OVER (PARTITION BY t.article_id ORDER BY t.fetched_at DESC) = 1
        """
    )
    seen, differing = con.execute("SELECT count(*), count(*) FILTER (WHERE differs) FROM known").fetchall()[0]
    if differing < thresholds.min_articles or differing < FAILURE_SHARE * seen:
        return 0, None  # too few pages changed at all for most of them to have lost their text
    lost = [
        rec
        for (rec,) in con.execute(
            f"""
            WITH before AS (
                SELECT article_id, list(block) AS blocks FROM article_blocks
                WHERE source = ? AND article_id IN (SELECT article_id FROM known WHERE differs) GROUP BY article_id
            )
            SELECT k.rec FROM known k JOIN staged t ON t.rowid = k.rec LEFT JOIN before b ON b.article_id = k.article_id
            WHERE k.differs AND (k.outcome = 'no_article'
                  OR len(list_intersect(b.blocks, {_CAPTURE_BLOCKS})) < {FAILURE_RETAINED} * len(b.blocks))
            """,
            [source],
        ).fetchall()
    ]
    if len(lost) < thresholds.min_articles or len(lost) < FAILURE_SHARE * seen:
        return 0, None
    why = (
        f"extraction failed: {len(lost)} of the {seen} known articles this crawl read again lost their "
        f"article text (no article found, or under {FAILURE_RETAINED:.0%} of their lines left), most likely a "
        "new page layout; their previous versions stay current until a crawl extracts them again"
    )
    con.execute(
        "UPDATE staged SET outcome = 'extract_failed', reason = ? WHERE list_contains(?::BIGINT[], rowid)",
        [f"{source}: {why}", lost],
    )
    return len(lost), why


# ---------------------------------------------------------------------------------- 2. learning


def learn(con, source: str, thresholds: Thresholds, batch_id: str | None, now: datetime) -> TemplateEvent | None:
    """Update the source's blocks and model from the batch's article captures; the event if the model changed."""
    existed = _prepare(con, source)
    con.execute(
        f"""
        CREATE TEMP TABLE batch_caps AS
        WITH caps AS (
            SELECT t.rowid AS rec, t.article_id, t.canonical_url, list_distinct({_CAPTURE_BLOCKS}) AS blocks
            FROM staged t
            WHERE t.type = 'capture' AND t.outcome = 'article' AND t.article_id IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY t.article_id ORDER BY t.fetched_at DESC) = 1
        ), counted AS (
            SELECT article_id, list_sort(list(block)) AS blocks FROM article_blocks
            WHERE source = ? AND article_id IN (SELECT article_id FROM caps) GROUP BY article_id
        )
        SELECT c.rec, c.article_id, c.canonical_url, c.blocks, k.article_id IS NOT NULL AS counted,
               k.blocks IS DISTINCT FROM list_sort(c.blocks) AS changed
        FROM caps c LEFT JOIN counted k ON k.article_id = c.article_id
        """,
        [source],
    )
    con.execute("CREATE TEMP TABLE batch_blocks AS SELECT article_id, unnest(blocks) AS block FROM batch_caps")
    return _learn(con, source, thresholds, batch_id, now, existed)


def learn_stored(con, source: str, thresholds: Thresholds, now: datetime) -> TemplateEvent | None:
    """Count the source's model from its stored texts alone (`presswatch upgrade`); no batch."""
    existed = _prepare(con, source)
    con.execute(
        "CREATE TEMP TABLE batch_caps (rec BIGINT, article_id VARCHAR, canonical_url VARCHAR, blocks VARCHAR[], "
        "counted BOOLEAN, changed BOOLEAN)"
    )
    con.execute("CREATE TEMP TABLE batch_blocks (article_id VARCHAR, block VARCHAR)")
    try:
        return _learn(con, source, thresholds, None, now, existed)
    finally:
        for table in TEMP_TABLES:  # inside `upgrade`'s transaction
            con.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _prepare(con, source: str) -> tuple | None:
    """The thresholds the source's model was counted with; None (after counting its stored texts' blocks) if never."""
    state = con.execute("SELECT min_articles, share FROM template_state WHERE source = ?", [source]).fetchall()
    if state:
        return tuple(state[0])
    _rebuild_from_stored(con, source)
    return None


def _learn(
    con, source: str, thresholds: Thresholds, batch_id: str | None, now: datetime, existed: tuple | None
) -> TemplateEvent | None:
    recount_all = existed != (thresholds.min_articles, thresholds.share)
    changed, counted = con.execute(
        "SELECT count(*) FILTER (WHERE changed), count(*) FILTER (WHERE changed AND counted) FROM batch_caps"
    ).fetchall()[0]
    if not recount_all and not changed:
        return None  # nothing the model counts moved
    con.execute(
        """
        CREATE TEMP TABLE touched AS
        SELECT block FROM batch_blocks WHERE article_id IN (SELECT article_id FROM batch_caps WHERE changed)
        UNION
        SELECT block FROM article_blocks
        WHERE source = ? AND article_id IN (SELECT article_id FROM batch_caps WHERE changed AND counted)
        """,
        [source],
    )
    if counted:
        con.execute(
            "DELETE FROM article_blocks WHERE source = ? AND article_id IN "
            "(SELECT article_id FROM batch_caps WHERE changed AND counted)",
            [source],
        )
    con.execute(
        "INSERT INTO article_blocks (source, article_id, block) SELECT ?, article_id, block FROM batch_blocks "
        "WHERE article_id IN (SELECT article_id FROM batch_caps WHERE changed)",
        [source],
    )
    appeared, went, articles = _model_change(con, source, thresholds, recount_all)
    if recount_all:
        _save_state(con, source, thresholds, now, existed is not None)
    if not appeared and not went:
        return None
    return _record_event(con, source, appeared, went, articles, batch_id, now, initial=existed is None)


def _rebuild_from_stored(con, source: str) -> None:
    """A source loaded for the first time since migration 007: its live articles' blocks, from their stored texts.

    It has no rows yet: they are written in the transaction that writes its `template_state` row.
    """
    con.execute(
        f"""
        INSERT INTO article_blocks (source, article_id, block)
        SELECT DISTINCT source, article_id, block FROM (
            SELECT v.source, v.article_id, unnest({blocks_sql("v.text")}) AS block
            FROM article_versions v
            WHERE v.source = ? AND v.valid_to IS NULL AND v.change_kind <> 'deleted')
        """,
        [source],
    )


def _model_change(con, source: str, thresholds: Thresholds, recount_all: bool) -> tuple[dict, list[str], int]:
    """({block: articles carrying it} that became the site's, blocks that went, the source's articles)."""
    considered = "" if recount_all else "AND a.block IN (SELECT block FROM touched)"
    least, share = thresholds.min_articles, thresholds.share
    rows = con.execute(
        f"""
        WITH sizes AS (
            SELECT (SELECT count(DISTINCT article_id) FROM article_blocks WHERE source = ?) AS articles,
                   (SELECT count(*) FROM batch_caps) AS loaded
        ), counted AS (
            SELECT a.block, count(*) AS articles FROM article_blocks a
            WHERE a.source = ? {considered} GROUP BY a.block HAVING count(*) >= {least}
        ), in_load AS (SELECT block, count(*) AS pages FROM batch_blocks GROUP BY block)
        SELECT z.articles, c.block, c.articles
        FROM sizes z LEFT JOIN (counted c LEFT JOIN in_load l ON l.block = c.block)
          ON c.articles >= {share} * z.articles OR (coalesce(l.pages, 0) >= {least} AND l.pages >= {share} * z.loaded)
        """,
        [source, source],
    ).fetchall()
    articles = rows[0][0]
    candidates = [(block, count) for _, block, count in rows if block is not None]
    active = {
        b
        for (b,) in con.execute(
            "SELECT block FROM template_blocks WHERE source = ? AND until_event IS NULL", [source]
        ).fetchall()
    }
    appeared = {block: count for block, count in candidates if block not in active}
    if not active:
        return appeared, [], int(articles)
    went = [
        b
        for (b,) in con.execute(
            """
            SELECT b.block FROM template_blocks b
            WHERE b.source = ? AND b.until_event IS NULL
              AND b.block NOT IN (SELECT DISTINCT a.block FROM article_blocks a
                                  WHERE a.source = ? AND a.block IN (SELECT block FROM template_blocks
                                                                     WHERE source = ? AND until_event IS NULL))
            ORDER BY b.block
            """,
            [source, source, source],
        ).fetchall()
    ]
    return appeared, went, int(articles)


def _save_state(con, source: str, thresholds: Thresholds, now: datetime, existed: bool) -> None:
    values = [thresholds.min_articles, thresholds.share, now, source]
    if existed:
        con.execute("UPDATE template_state SET min_articles = ?, share = ?, learned_at = ? WHERE source = ?", values)
    else:
        con.execute("INSERT INTO template_state (min_articles, share, learned_at, source) VALUES (?, ?, ?, ?)", values)


def _record_event(
    con,
    source: str,
    appeared: dict[str, int],
    went: list[str],
    articles: int,
    batch_id: str | None,
    now: datetime,
    initial: bool,
) -> TemplateEvent:
    number = con.execute(
        "SELECT coalesce(max(event), 0) + 1 FROM template_events WHERE source = ?", [source]
    ).fetchall()[0][0]
    texts = _block_texts(con, source, list(appeared) + went)
    order = sorted(appeared, key=lambda b: (-appeared[b], texts.get(b) or ""))
    pages = con.execute(
        "SELECT count(DISTINCT article_id) FROM article_blocks WHERE source = ? AND list_contains(?, block)",
        [source, order],
    ).fetchall()[0][0]
    event = TemplateEvent(
        source,
        int(number),
        initial=initial,
        appeared=[texts.get(b) or b for b in order],
        went=[texts.get(b) or b for b in went],
        pages=int(pages),
        articles=articles,
        example_url=_example_url(con, source, order),
        detected_at=now,
    )
    if appeared:
        con.executemany(
            "INSERT INTO template_blocks (source, block, text, since_event, site_since, articles) VALUES (?, ?, ?, ?, ?, ?)",
            [[source, b, texts.get(b), event.event, now, appeared[b]] for b in order],
        )
    if went:
        con.execute(
            "UPDATE template_blocks SET until_event = ?, site_until = ? "
            "WHERE source = ? AND until_event IS NULL AND list_contains(?, block)",
            [event.event, now, source, went],
        )
    con.execute(
        "INSERT INTO template_events (source, event, detected_at, batch_id, initial, appeared, went, pages, articles, "
        "example_url) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            source,
            event.event,
            now,
            batch_id,
            event.initial,
            event.appeared,
            event.went,
            event.pages,
            event.articles,
            event.example_url,
        ],
    )
    return event


def _block_texts(con, source: str, blocks: list[str]) -> dict[str, str]:
    """The line each block stands for: from the batch's texts, else the stored ones, else the model's."""
    if not blocks:
        return {}
    found = dict(
        con.execute(
            """
            SELECT left(md5(line), 16), any_value(line) FROM (
                SELECT unnest(string_split(t.text, chr(10))) AS line FROM staged t
                WHERE t.rowid IN (SELECT rec FROM batch_caps WHERE list_has_any(blocks, ?)))
            WHERE list_contains(?, left(md5(line), 16)) GROUP BY 1
            """,
            [blocks, blocks],
        ).fetchall()
    )
    missing = [b for b in blocks if b not in found]
    if missing:
        found.update(
            con.execute(
                """
                SELECT left(md5(line), 16), any_value(line) FROM (
                    SELECT unnest(string_split(v.text, chr(10))) AS line FROM article_versions v
                    WHERE v.source = ? AND v.valid_to IS NULL AND v.change_kind <> 'deleted'
                      AND v.article_id IN (SELECT article_id FROM article_blocks
                                           WHERE source = ? AND list_contains(?, block)))
                WHERE list_contains(?, left(md5(line), 16)) GROUP BY 1
                """,
                [source, source, missing, missing],
            ).fetchall()
        )
    missing = [b for b in blocks if b not in found]
    if missing:
        found.update(
            con.execute(
                "SELECT block, any_value(text) FROM template_blocks WHERE source = ? AND list_contains(?, block) "
                "GROUP BY 1",
                [source, missing],
            ).fetchall()
        )
    return found


def _example_url(con, source: str, blocks: list[str]) -> str | None:
    """A page showing the change: the batch's first capture carrying a new block, else any of its captures."""
    rows = con.execute(
        """
        SELECT canonical_url FROM batch_caps WHERE canonical_url IS NOT NULL
        ORDER BY NOT list_has_any(blocks, ?), canonical_url LIMIT 1
        """,
        [blocks],
    ).fetchall()
    if rows:
        return rows[0][0]
    rows = con.execute(
        """
        SELECT v.canonical_url FROM article_versions v
        WHERE v.source = ? AND v.valid_to IS NULL
          AND v.article_id IN (SELECT article_id FROM article_blocks WHERE source = ? AND list_contains(?, block))
        ORDER BY v.canonical_url LIMIT 1
        """,
        [source, source, blocks],
    ).fetchall()
    return rows[0][0] if rows else None


# ---------------------------------------------------------------------------------- 3. stripping


def strip(con, source: str) -> None:
    """Take the source's site blocks out of the batch's captures, and out of the current versions they meet.

    `staged` gains `site_blocks` (the hashes taken out); `cur_art` holds, for current versions
    whose stored text still carries a site block (stored before the model knew it), that text
    without it, which the loader compares and diffs against instead.
    """
    con.execute("ALTER TABLE staged ADD COLUMN site_blocks VARCHAR[]")
    con.execute("CREATE TEMP TABLE cur_art (article_id VARCHAR, text VARCHAR, content_hash VARCHAR)")
    active = "SELECT count(*) FROM template_blocks WHERE source = ? AND until_event IS NULL"
    if not con.execute(active, [source]).fetchall()[0][0]:
        return
    captures = f"""
        SELECT t.rowid AS rec, t.title, t.text, string_split(t.text, chr(10)) AS lines, {_CAPTURE_BLOCKS} AS blocks
        FROM staged t WHERE t.type = 'capture' AND t.outcome = 'article' AND t.text IS NOT NULL
    """
    con.execute(f"CREATE TEMP TABLE art AS {_stripped_sql(captures, 'rec')}", [source])
    con.execute(
        "UPDATE staged SET text = a.text, content_hash = a.content_hash, site_blocks = a.stripped "
        "FROM art a WHERE staged.rowid = a.rec"
    )
    con.execute("DROP TABLE art")
    stored = f"""
        WITH latest AS (
            SELECT t.article_id, t.content_hash FROM staged t
            WHERE t.type = 'capture' AND t.outcome = 'article' AND t.kind IS DISTINCT FROM 'reextract'
            QUALIFY row_number() OVER (PARTITION BY t.article_id ORDER BY t.fetched_at DESC) = 1
        )
        SELECT v.article_id, v.title, v.text, string_split(v.text, chr(10)) AS lines, {blocks_sql("v.text")} AS blocks
        FROM article_versions v JOIN latest l ON l.article_id = v.article_id
        WHERE v.valid_to IS NULL AND v.change_kind <> 'deleted' AND v.content_hash <> l.content_hash
    """
    con.execute(
        f"INSERT INTO cur_art SELECT rec, text, content_hash FROM ({_stripped_sql(stored, 'article_id')})", [source]
    )


# The source's model as the strippers read it: whole-line block hashes, and the long site lines
# that are also taken out of the lines a page merged them into (warehouse/blocks.py).
_MODEL = f"""
    SELECT coalesce(list(block ORDER BY block), []::VARCHAR[]) AS blocks,
           coalesce(list(text ORDER BY text) FILTER (WHERE length(text) >= {INLINE_MIN_CHARS}), []::VARCHAR[]) AS texts
    FROM template_blocks WHERE source = ? AND until_event IS NULL
"""


def _stripped_sql(rows: str, key: str) -> str:
    """(rec, text, content_hash, stripped) of the `rows` (key, title, text, lines, blocks) carrying site text."""
    kept_text = "array_to_string(kept, chr(10))"
    return f"""
        WITH site AS ({_MODEL}), whole AS (
            SELECT r.{key} AS rec, r.title, s.texts,
                   list_filter(r.lines, lambda l, i: NOT list_contains(s.blocks, r.blocks[i])) AS whole_kept,
                   list_filter(r.blocks, lambda b: list_contains(s.blocks, b)) AS whole_stripped
            FROM ({rows}) r, site s
            WHERE list_has_any(r.blocks, s.blocks) OR len(list_filter(s.texts, lambda x: contains(r.text, x))) > 0
        ), cleaned AS (
            SELECT rec, title,
                   list_filter(list_transform(whole_kept, lambda l: {inline_sql("l", "texts")}), lambda l: l <> '') AS kept,
                   whole_stripped || list_transform(
                       list_filter(texts, lambda x: len(list_filter(whole_kept, lambda l: contains(l, x))) > 0),
                       lambda x: left(md5(x), {HASH_CHARS})) AS stripped
            FROM whole
        )
        SELECT rec, {kept_text} AS text, {article_hash_sql("title", kept_text)} AS content_hash, stripped
        FROM cleaned WHERE len(stripped) > 0
    """


def explain(con, flips: dict[str, list[str]] | None) -> None:
    """`explained`: the captures whose every line differing from their current version (both without
    the site's blocks) is an extraction flip found before the lock (warehouse/flips.py): the same article."""
    con.execute("CREATE TEMP TABLE explained (article_id VARCHAR)")
    if not flips:
        return
    con.execute("CREATE TEMP TABLE flip_lines (article_id VARCHAR, blocks VARCHAR[])")
    con.executemany("INSERT INTO flip_lines VALUES (?, ?)", list(flips.items()))
    new_blocks, old_blocks = blocks_sql("l.text"), blocks_sql("coalesce(a.text, v.text)")
    con.execute(
        f"""
        INSERT INTO explained
        WITH latest AS (
            SELECT t.article_id, t.title, t.text, t.content_hash FROM staged t
            WHERE t.type = 'capture' AND t.outcome = 'article' AND t.kind IS DISTINCT FROM 'reextract'
            QUALIFY row_number() OVER (PARTITION BY t.article_id ORDER BY t.fetched_at DESC) = 1
        ), pairs AS (
            SELECT l.article_id, f.blocks AS flips, list_distinct({new_blocks}) AS n, list_distinct({old_blocks}) AS o
            FROM latest l JOIN flip_lines f ON f.article_id = l.article_id
            JOIN article_versions v ON v.article_id = l.article_id AND v.valid_to IS NULL AND v.change_kind <> 'deleted'
            LEFT JOIN cur_art a ON a.article_id = l.article_id
            WHERE l.title IS NOT DISTINCT FROM v.title AND l.content_hash <> coalesce(a.content_hash, v.content_hash)
        ), differing AS (
            SELECT article_id, flips,
                   list_filter(n, lambda x: NOT list_contains(o, x)) || list_filter(o, lambda x: NOT list_contains(n, x))
                     AS lines
            FROM pairs
        )
        SELECT article_id FROM differing
        WHERE len(lines) > 0 AND len(list_filter(lines, lambda x: NOT list_contains(flips, x))) = 0
        """
    )


def forget_deleted(con) -> None:
    """Articles tombstoned by this load leave the counts: the model counts live articles."""
    if con.execute("SELECT count(*) FROM decided WHERE final = 'deleted'").fetchall()[0][0]:
        con.execute(
            "DELETE FROM article_blocks WHERE article_id IN (SELECT article_id FROM decided WHERE final = 'deleted')"
        )


# ------------------------------------------------------------------------------------ reading


_EVENT_COLUMNS = "source, event, initial, appeared, went, pages, articles, example_url, detected_at"


def events_of(con, sources: Sequence[str]) -> dict[str, list[TemplateEvent]]:
    """Every template event of `sources`, by source, in order, on an open connection."""
    if not sources:
        return {}
    rows = con.execute(
        f"SELECT {_EVENT_COLUMNS} FROM template_events WHERE source IN ({', '.join('?' for _ in sources)}) "
        "ORDER BY source, event",
        list(sources),
    ).fetchall()
    events: dict[str, list[TemplateEvent]] = {}
    for row in rows:
        events.setdefault(row[0], []).append(TemplateEvent(*row))
    return events


@dataclass(frozen=True)
class SiteModel:
    """What the loader strips from a source's texts now: whole lines by hash, long site lines inside others too."""

    blocks: frozenset[str] = frozenset()
    inline: tuple[str, ...] = ()

    def strip(self, text: str | None) -> str:
        """`text` as the loader stores it (warehouse/blocks.py strip_blocks)."""
        return strip_blocks(text, self.blocks, self.inline)[0]


def site_models(db, sources, wait: float = 10.0) -> dict[str, SiteModel]:
    """Each of `sources`' model now (what `reextract` compares re-extracted texts without)."""
    if not sources:
        return {}
    with connect(db, read_only=True, wait=wait) as con:
        rows = con.execute(
            "SELECT source, list(block), list(text) FROM template_blocks "
            "WHERE until_event IS NULL AND list_contains(?, source) GROUP BY source",
            [list(sources)],
        ).fetchall()
    found = {source: SiteModel(frozenset(blocks), tuple(inline_texts(texts))) for source, blocks, texts in rows}
    return {source: found.get(source, SiteModel()) for source in sources}
