-- search_matches(query, source, since, until, versions): every match of a search as search()
-- finds it, without its title, URL or snippet: its source, its publication date (NULL when
-- unknown) and `day`, the date search() orders by (published, else first seen). For counting
-- matches by anything: search() reads every match's title and snippet line, so `count(*)` of it
-- costs the lookups of rows nobody shows (`police` at a million versions: 0.12 s against 0.08 s).
-- The body is search()'s (migration 015) up to its `kept`, without the first matching line; it is
-- written out rather than shared, because search() calling a table macro of its own plans 5 ms
-- slower (measured; the parse, a scalar macro, costs nothing to share: pw_clauses).
-- tests/test_search.py checks that both find the same matches.
CREATE OR REPLACE MACRO search_matches(query, source := '', since := '', until := '', versions := false) AS TABLE
WITH parsed AS (
    SELECT clauses,
           list_transform(range(1, coalesce(list_max(list_transform(clauses, x -> x.grp)), 0) + 1),
                          g -> list_filter(clauses, x -> x.grp = g)) AS groups
    FROM (SELECT pw_clauses(query) AS clauses)  -- 006's parse (its error when the query cannot be read)
), plan AS (
    SELECT groups,
           len(list_filter(groups, g -> len(list_filter(g, x -> x.neg OR x.field = 'source')) = 0)) > 0 AS anchored
    FROM parsed
), u AS (
    SELECT l.doc, l.source, l.published_at, coalesce(l.published_at, l.first_seen::DATE) AS day, l.title_block
    FROM search_live l WHERE NOT versions
    UNION ALL
    SELECT d.doc, d.source, d.published_at, coalesce(d.published_at, d.first_seen::DATE) AS day, d.title_block
    FROM search_docs d WHERE versions
), scoped AS (
    SELECT u.* FROM u
    WHERE (coalesce(source, '') = '' OR u.source = source)
      AND (pw_date(since) IS NULL OR u.day >= pw_date(since))
      AND (pw_date(until) IS NULL OR u.day <= pw_date(until))
), counted AS MATERIALIZED (
    SELECT c.i, c.block, u.x.field AS field
    FROM pw_counted_all((SELECT list_transform(list_filter(clauses, x -> x.field <> 'source'),
                                               x -> {'i': x.i, 'term': x.term, 'prefix': x.prefix}) FROM parsed)) c
    JOIN (SELECT unnest(clauses) AS x FROM parsed) u ON u.x.i = c.i
    WHERE c.n > 0
), hits AS (
    SELECT DISTINCT l.doc, c.i
    FROM counted c JOIN search_lines l ON l.block = c.block
    WHERE c.field = 'any'
    UNION ALL
    SELECT s.doc, c.i
    FROM counted c JOIN scoped s ON s.title_block = c.block
    WHERE c.field = 'title'
), matched AS (
    SELECT doc, list(i) AS matched FROM hits GROUP BY doc
)
SELECT s.source, s.published_at, s.day
FROM scoped s JOIN matched m ON m.doc = s.doc, plan p
WHERE p.anchored
  AND len(list_filter(p.groups, g -> len(list_filter(g,
          x -> (CASE WHEN x.field = 'source' THEN lower(s.source) = lower(x.term)
                     ELSE list_contains(m.matched, x.i) END) <> x.neg)) = 0)) = 0
UNION ALL
SELECT s.source, s.published_at, s.day
FROM scoped s LEFT JOIN matched m ON m.doc = s.doc, plan p
WHERE NOT p.anchored
  AND len(list_filter(p.groups, g -> len(list_filter(g,
          x -> (CASE WHEN x.field = 'source' THEN lower(s.source) = lower(x.term)
                     ELSE list_contains(coalesce(m.matched, []), x.i) END) <> x.neg)) = 0)) = 0;
