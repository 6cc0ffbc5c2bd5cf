-- Site templates: a version records the article, not the site around it (warehouse/template.py).
-- A block is one line of an extracted text, named by left(md5(line), 16). A block that occurs in
-- many distinct articles of one source (a header or promo the extractor keeps, a "Related:" line)
-- is the site's: it is left out of the stored text, so it never makes a version, and its coming
-- or going is one template event for the source. Thresholds: the registry's template_min_articles
-- and template_share (warehouse/rules.py has the defaults).
--
--   SELECT * FROM site_template WHERE source = 'globaltimes';         -- what is stripped now
--   SELECT * FROM template_changes ORDER BY detected_at DESC;         -- when the template changed
--   SELECT version, text FROM stripped_blocks WHERE canonical_url = '...';   -- what a version lost

-- The blocks of each live article's latest capture (its extracted text before stripping), one row
-- per distinct block: what the model counts. Rebuilt per source from the stored texts the first
-- time a source is loaded after this migration.
CREATE TABLE article_blocks (
    source      VARCHAR NOT NULL,
    article_id  VARCHAR NOT NULL,
    block       VARCHAR NOT NULL
);

-- The model: each span during which a block was the site's (until_event NULL: it still is).
CREATE TABLE template_blocks (
    source       VARCHAR NOT NULL,
    block        VARCHAR NOT NULL,
    text         VARCHAR,                 -- the line itself
    since_event  INTEGER NOT NULL,        -- the template event that made it the site's
    site_since   TIMESTAMP NOT NULL,
    until_event  INTEGER,                 -- the event that saw it go: no live article carries it any more
    site_until   TIMESTAMP,
    articles     INTEGER                  -- distinct articles carrying it when it became the site's
);

-- One row per change of a source's model: the blocks that appeared or went, when, on how many pages.
CREATE TABLE template_events (
    source       VARCHAR NOT NULL,
    event        INTEGER NOT NULL,        -- 1, 2, 3... per source
    detected_at  TIMESTAMP NOT NULL,
    batch_id     VARCHAR,                 -- the load that saw it (NULL: learned by `presswatch upgrade`)
    initial      BOOLEAN NOT NULL,        -- the source's first count (its first load, or `upgrade`)
    appeared     VARCHAR[] NOT NULL,      -- the lines that became the site's
    went         VARCHAR[] NOT NULL,      -- the lines no live article of the source carries any more
    pages        INTEGER,                 -- the source's articles carrying an appeared line
    articles     INTEGER,                 -- the source's articles the model counts over
    example_url  VARCHAR                  -- one page that shows the change
);

-- The thresholds each source's model was last counted with (others make the next load recount it).
CREATE TABLE template_state (
    source        VARCHAR NOT NULL,
    min_articles  INTEGER NOT NULL,
    share         DOUBLE NOT NULL,
    learned_at    TIMESTAMP NOT NULL
);

-- The blocks left out of a version's stored text, in their order (the lines are in template_blocks,
-- the whole page in the WARC archive: `presswatch capture`). Versions recorded before this
-- migration, or before the model knew a block, keep their text as it was extracted.
ALTER TABLE article_versions ADD COLUMN site_blocks VARCHAR[];

-- The site's blocks of each source now, with how many of its live articles carry each.
CREATE VIEW site_template AS
SELECT b.source, b.text, b.block, b.site_since, b.since_event,
       (SELECT count(*) FROM article_blocks a WHERE a.source = b.source AND a.block = b.block) AS articles
FROM template_blocks b
WHERE b.until_event IS NULL;

-- What each version's stored text lost to the site template, line by line.
CREATE VIEW stripped_blocks AS
WITH lines AS (
    SELECT v.article_id, v.version, v.source, v.canonical_url,
           unnest(v.site_blocks) AS block, generate_subscripts(v.site_blocks, 1) AS position
    FROM article_versions v
    WHERE v.site_blocks IS NOT NULL
), texts AS (
    SELECT t.source, t.block, any_value(t.text) AS text FROM template_blocks t GROUP BY t.source, t.block
)
SELECT l.article_id, l.version, l.source, l.canonical_url, l.position, l.block, x.text
FROM lines l LEFT JOIN texts x ON x.source = l.source AND x.block = l.block;

-- Template events in the shape of article_changes (one row per event, change_kind 'template'), so
-- `presswatch changes`, alerts, feeds and the change report list them beside the articles' changes.
CREATE VIEW template_changes AS
SELECT 'template:' || e.source AS article_id,
       coalesce(e.example_url, 'template:' || e.source) AS canonical_url,
       e.source,
       'site template ' || CASE WHEN e.initial THEN 'learned' ELSE 'changed' END || ': '
           || concat_ws(', ',
                        CASE WHEN len(e.appeared) > 0 THEN len(e.appeared) || ' line(s) appeared on '
                             || coalesce(e.pages, 0) || ' of ' || coalesce(e.articles, 0) || ' articles' END,
                        CASE WHEN len(e.went) > 0 THEN len(e.went) || ' line(s) went' END) AS title,
       'template' AS change_kind,
       true AS publisher_change,
       NULL::BOOLEAN AS silent,
       CASE WHEN e.event > 1 THEN e.event - 1 END AS from_version,
       e.event AS to_version,
       e.detected_at,
       NULL::INTEGER AS words_added,
       NULL::INTEGER AS words_removed,
       e.appeared[1] AS changed_sentence,
       e.went[1] AS previous_sentence,
       NULL::VARCHAR[] AS changed_fields,
       NULL::VARCHAR AS previous_title,
       NULL::INTEGER AS http_status,
       e.example_url AS url,
       array_to_string(e.went, chr(10)) AS old_text,
       array_to_string(e.appeared, chr(10)) AS new_text
FROM template_events e;
