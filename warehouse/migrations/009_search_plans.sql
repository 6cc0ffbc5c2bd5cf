-- Faster planning and fewer reads for the search macros of migration 006 (same answers).
--
-- Planning: a constant regular expression with Unicode classes (\pL, \p{Han}) is compiled when a
-- query is planned, about 1.4 ms each, and a macro's body is copied wherever it is called, so
-- migration 006's pw_found (four copies of pw_keys) and pw_counted_one (two of pw_exact) compiled
-- some twenty of them for every term_trend or phrase_spread: 30 of their 80-150 ms at a million
-- versions. Here a term's keys are computed once, as rows.
-- search() counts its word and title clauses in one pass (006 planned pw_counted_all twice), and
-- reads the titles and URLs of the rows it shows from search_docs, which is sorted by doc, instead
-- of search_live, which is sorted by source and date, so finding 20 documents read most of it.

CREATE OR REPLACE MACRO pw_found(term, prefix) AS TABLE
WITH q AS (SELECT pw_keys(term, prefix) AS keys),
k AS (SELECT j, q.keys[j].lo AS lo, q.keys[j].hi AS hi, len(q.keys) AS nkeys FROM q, range(1, len(q.keys) + 1) r(j))
SELECT k.j, k.nkeys, t.block, t.n FROM k JOIN search_terms t ON t.term = k.lo WHERE k.lo = k.hi
UNION ALL
SELECT k.j, k.nkeys, t.block, t.n FROM k JOIN search_terms t ON t.term >= k.lo AND t.term <= k.hi
WHERE k.lo <> k.hi AND (prefix OR pw_is_cjk(term));   -- a constant: no range join for a plain word

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
), kept AS MATERIALIZED (
    SELECT s.doc, s.day, m.first_i, m.first_block
    FROM scoped s LEFT JOIN matched m ON m.doc = s.doc, plan p
    WHERE (m.doc IS NOT NULL OR NOT p.anchored)
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
