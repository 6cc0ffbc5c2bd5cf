-- Each indexed line carries what dates its document: the article, the version, the source, the day
-- it was said and the version's start. phrase_spread then reads the lines of the blocks that hold
-- the phrase and nothing else: migration 006's version joined every document using the phrase with
-- search_docs, whose rows for a common phrase are spread over the whole table (0.98 s at ten
-- million versions). A line's values are its document's, which never change (check verifies them).
CREATE OR REPLACE MACRO pw_said_on(version, published_at, first_seen, valid_from) AS
    CASE WHEN version = 1 THEN coalesce(published_at, first_seen::DATE) ELSE valid_from::DATE END;

ALTER TABLE search_lines ADD COLUMN art BIGINT;
ALTER TABLE search_lines ADD COLUMN version INTEGER;
ALTER TABLE search_lines ADD COLUMN source VARCHAR;
ALTER TABLE search_lines ADD COLUMN said_on DATE;
ALTER TABLE search_lines ADD COLUMN valid_from TIMESTAMP;

-- Written again rather than updated: an UPDATE's rows are not sorted by the table's SORTED BY
-- keys, an INSERT's are (a term's blocks must stay in few row groups).
CREATE TEMP TABLE pw_dated_lines AS
SELECT l.block, l.doc, l.line, d.art, d.version, d.source,
       pw_said_on(d.version, d.published_at, d.first_seen, d.valid_from) AS said_on, d.valid_from
FROM search_lines l JOIN search_docs d ON d.doc = l.doc;
DELETE FROM search_lines;
INSERT INTO search_lines (block, doc, line, art, version, source, said_on, valid_from)
SELECT block, doc, line, art, version, source, said_on, valid_from FROM pw_dated_lines;
DROP TABLE pw_dated_lines;

-- phrase_spread from the dated lines: for each outlet, the first article that used `phrase` (any
-- version, deleted articles included), ordered by date, with the lag in days behind the first.
CREATE OR REPLACE MACRO phrase_spread(phrase) AS TABLE
WITH hits AS (
    SELECT l.doc, l.art, l.version, l.source, l.valid_from, l.said_on
    FROM search_lines l JOIN pw_counted_one(1, phrase, false) c ON l.block = c.block
    WHERE c.n > 0
), undated AS MATERIALIZED (  -- lines an older presswatch wrote during a rolling upgrade carry no dates
    SELECT DISTINCT doc FROM hits WHERE art IS NULL
), lines AS (
    SELECT * FROM hits WHERE art IS NOT NULL
    UNION ALL
    SELECT d.doc, d.art, d.version, d.source, d.valid_from, pw_said_on(d.version, d.published_at, d.first_seen, d.valid_from)
    FROM search_docs d WHERE d.doc IN (SELECT unnest(list(doc)) FROM undated)
), dated AS (  -- each article's first version that used the phrase (an aggregate, not a window:
    -- DuckDB would read the window's other columns back by row number, from every file)
    SELECT unnest(arg_min({'doc': l.doc, 'art': l.art, 'version': l.version, 'source': l.source,
                           'valid_from': l.valid_from, 'said_on': l.said_on}, l.version))
    FROM lines l
    GROUP BY l.art
), per_source AS (
    SELECT d.*, count(*) OVER (PARTITION BY d.source) AS articles,
           min(d.said_on) OVER (PARTITION BY d.source) AS first_day
    FROM dated d
), tied AS MATERIALIZED (  -- each outlet's articles of its first day: their article_id breaks ties
    -- as 003's did, read from search_docs for these few documents only (asked as one list: the
    -- planner then knows the list is short, reads search_docs' matching row groups only, and does
    -- not build its hash table from the whole of search_docs)
    SELECT * FROM per_source WHERE said_on = first_day
), firsts AS (
    SELECT t.*, s.article_id FROM tied t
    JOIN (SELECT doc, article_id FROM search_docs WHERE doc IN (SELECT unnest(list(doc)) FROM tied)) s ON s.doc = t.doc
    QUALIFY row_number() OVER (PARTITION BY t.source ORDER BY t.said_on, t.valid_from, s.article_id) = 1
)
SELECT row_number() OVER (ORDER BY f.said_on, f.valid_from, f.source) AS rank,
       f.source AS source,
       f.said_on AS first_used,
       date_diff('day', min(f.said_on) OVER (), f.said_on) AS lag_days,
       f.articles AS articles,
       d.title AS title,
       d.canonical_url AS canonical_url,
       f.article_id AS article_id
FROM firsts f JOIN (SELECT doc, title, canonical_url FROM search_docs WHERE doc IN (SELECT unnest(list(doc)) FROM firsts)) d
     ON d.doc = f.doc
ORDER BY 1;

-- search() as migration 009 wrote it, but a query with a clause every answer must match (an
-- anchored one: most are) joins the live articles with the matched documents instead of testing
-- every live article against the clauses (a nested loop over all of them: 11 ms at a million
-- versions, ten times that at ten million).
CREATE OR REPLACE MACRO search(query, source := '', since := '', until := '', versions := false, newest := 0) AS TABLE
WITH parsed AS (
    SELECT clauses,
           list_transform(range(1, coalesce(list_max(list_transform(clauses, x -> x.grp)), 0) + 1),
                          g -> list_filter(clauses, x -> x.grp = g)) AS groups
    FROM (SELECT CASE WHEN problem IS NULL THEN clauses ELSE error(problem) END AS clauses
          FROM (SELECT clauses, pw_query_problem(query, tokens, clauses) AS problem
                FROM (SELECT tokens, pw_clauses_of(tokens) AS clauses FROM (SELECT pw_tokens(query) AS tokens))))
), plan AS (  -- a group of plain word or title clauses: every answer matches one of them
    SELECT clauses, groups,
           len(list_filter(groups, g -> len(list_filter(g, x -> x.neg OR x.field = 'source')) = 0)) > 0 AS anchored
    FROM parsed
), u AS (
    SELECT l.doc, l.source, coalesce(l.published_at, l.first_seen::DATE) AS day, l.title_block FROM search_live l WHERE NOT versions
    UNION ALL
    SELECT d.doc, d.source, coalesce(d.published_at, d.first_seen::DATE) AS day, d.title_block FROM search_docs d WHERE versions
), scoped AS (
    SELECT u.* FROM u
    WHERE (coalesce(source, '') = '' OR u.source = source)
      AND (pw_date(since) IS NULL OR u.day >= pw_date(since))
      AND (pw_date(until) IS NULL OR u.day <= pw_date(until))
), counted AS MATERIALIZED (  -- the blocks holding each word or title clause; materialized, so
    -- the joins below read search_lines only for word clauses and search_live's titles only for title clauses
    SELECT c.i, c.block, u.x.field AS field
    FROM pw_counted_all((SELECT list_transform(list_filter(clauses, x -> x.field <> 'source'),
                                               x -> {'i': x.i, 'term': x.term, 'prefix': x.prefix}) FROM parsed)) c
    JOIN (SELECT unnest(clauses) AS x FROM parsed) u ON u.x.i = c.i
    WHERE c.n > 0
), hits AS (
    SELECT l.doc, c.i, arg_min(l.block, l.line) AS first_block
    FROM counted c JOIN search_lines l ON l.block = c.block
    WHERE c.field = 'any'
    GROUP BY c.i, l.doc
    UNION ALL
    SELECT s.doc, c.i, NULL
    FROM counted c JOIN scoped s ON s.title_block = c.block
    WHERE c.field = 'title'
), matched AS (
    SELECT doc, list(i) AS matched, min(i) FILTER (WHERE first_block IS NOT NULL) AS first_i,
           arg_min(first_block, i) FILTER (WHERE first_block IS NOT NULL) AS first_block
    FROM hits GROUP BY doc
), kept AS MATERIALIZED (  -- an anchored query keeps matched documents only, and tests only them
    SELECT s.doc, s.day, m.first_i, m.first_block
    FROM scoped s JOIN matched m ON m.doc = s.doc, plan p
    WHERE p.anchored
      AND len(list_filter(p.groups, g -> len(list_filter(g,
              x -> (CASE WHEN x.field = 'source' THEN lower(s.source) = lower(x.term)
                         ELSE list_contains(m.matched, x.i) END) <> x.neg)) = 0)) = 0
    UNION ALL
    SELECT s.doc, s.day, m.first_i, m.first_block
    FROM scoped s LEFT JOIN matched m ON m.doc = s.doc, plan p
    WHERE NOT p.anchored
      AND len(list_filter(p.groups, g -> len(list_filter(g,
              x -> (CASE WHEN x.field = 'source' THEN lower(s.source) = lower(x.term)
                         ELSE list_contains(coalesce(m.matched, []), x.i) END) <> x.neg)) = 0)) = 0
), chosen AS (
    SELECT * FROM kept ORDER BY day DESC, doc DESC LIMIT CASE WHEN newest > 0 THEN newest END
), shown AS (
    SELECT k.*, pw_probe(list_filter(p.clauses, x -> x.i = k.first_i)[1].term) AS needle,
           len(list_filter(p.clauses, x -> x.field = 'title')) > 0 AS titled
    FROM chosen k, plan p
), lines AS (        -- the text of each first matching line (few distinct lines: read once each)
    SELECT b.block, b.text FROM search_blocks b WHERE b.block IN (SELECT DISTINCT first_block FROM chosen)
), described AS (  -- a live article's current version is one of search_docs' versions
    SELECT d.doc, d.article_id, d.version, d.source, d.published_at, d.title, d.canonical_url FROM search_docs d
    WHERE d.doc IN (SELECT doc FROM chosen)   -- search_docs is sorted by doc: a few row groups
)
SELECT d.article_id, d.version, d.source, d.published_at, d.title, d.canonical_url,
       coalesce(pw_snippet(b.text, pw_snippet_start(b.text, h.needle)), CASE WHEN h.titled THEN d.title END) AS snippet
FROM shown h JOIN described d ON d.doc = h.doc LEFT JOIN lines b ON b.block = h.first_block
ORDER BY h.day DESC, h.doc DESC;
