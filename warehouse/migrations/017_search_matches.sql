-- search_matches(query, source, since, until, versions): every match of a search as search()
-- finds it, without its title, URL or snippet: its source, its publication date (NULL when
-- unknown) and `day`, the date search() orders by (published, else first seen). For counting
-- matches by anything: search() reads every match's title and snippet line, so `count(*)` of it
-- costs the lookups of rows nobody shows (`police` at a million versions: 0.12 s against 0.08 s).
-- Its body is search()'s up to its `kept`, without the first matching line; it is written out
-- rather than shared, because search() calling a table macro of its own plans 5 ms slower
-- (measured); so is the parse in search() (pw_clauses_facts, 2-4 ms there).
-- tests/test_search.py checks that both find the same matches.
--
-- Both parse once with each term's facts (015's pw_term_facts, now also giving the term's runs,
-- whether it has a letter or digit, and whether it is CJK), and the query's check and the counting
-- read them there. 012's check (pw_query_problem) and the candidate lines' counters (pw_mentions
-- through mention_count) asked the same questions of the term again with their own regular
-- expressions: whether it has a letter or digit ([\pL\pN], twice in the check and once per
-- counter), whether it is one word ([\pL\pN\pM]+), whether it is CJK. A regular expression with
-- a Unicode class is compiled where the query is planned and again in every thread that runs it
-- (1-2 ms each for \pL), whichever branch of a CASE a row takes, so those questions cost
-- `search('police', newest := 20)` some 5 ms of planning and 5-10 ms of running at a million
-- versions, for answers the facts hold:
-- * no letter or digit: NOT facts.ln (tests/test_search_property.py checks ln against [\pL\pN]);
-- * one word: its runs are the term itself (a `word*` token holds no white space);
-- * CJK: facts.cjk, pw_is_cjk(term) itself.
-- The messages, their order and every answer are 012's and 015's (tests/test_search_property.py
-- compares the two parses on generated queries). term_trend and phrase_spread keep
-- pw_counted_all, which ignores the new fields. search() is written out whole again (a macro is
-- replaced whole).

CREATE OR REPLACE MACRO pw_term_facts(term, prefix) AS
    list_transform(
        [{'lt': lower(trim(term)), 'words': regexp_extract_all(lower(trim(term)), '[\pL\pN\pM]+'),
          'cjk': pw_is_cjk(term)}],
        f -> list_transform(
            [{'ln': regexp_replace(array_to_string(f.words, ''), '\pM', '', 'g') <> '',
              'chars': array_to_string(f.words, '')}],
            w -> {
                'exact': coalesce(prefix, false)
                         OR (NOT f.cjk AND len(f.words) = 1 AND f.words[1] = f.lt AND w.ln),
                'keys': CASE
                    WHEN coalesce(prefix, false) THEN [{'lo': f.lt, 'hi': f.lt || chr(1114111)}]
                    WHEN f.cjk THEN flatten(list_transform(
                        regexp_extract_all(f.lt, pw_cjk_chars() || '+'),
                        r -> CASE WHEN length(r) = 1 THEN [{'lo': r, 'hi': r || chr(1114111)}]
                                  ELSE list_transform(range(1, length(r)),
                                                      i -> {'lo': substr(r, i, 2), 'hi': substr(r, i, 2)}) END))
                    ELSE list_transform(f.words, x -> {'lo': x, 'hi': x}) END,
                'literal': NOT coalesce(prefix, false) AND NOT f.cjk AND w.ln
                           AND len(list_filter(
                                   list_transform([pw_literal_guards(pw_literal(term))],
                                                  g -> list_transform(range(1, length(g) + 1), k -> substr(g, k, 1)))[1],
                                   c -> NOT contains(w.chars, c))) = 0,
                'ln': w.ln,
                'words': f.words,
                'cjk': f.cjk
            })[1])[1];

-- pw_counted_all's counting (migration 015) for clauses that carry their facts; a candidate line's
-- mentions are mention_count's, with its tests of the term taken from the facts.
CREATE OR REPLACE MACRO pw_counted_facts(queries) AS TABLE
WITH q AS (
    SELECT x.i, x.term, coalesce(x.prefix, false) AS prefix, x.facts.exact AS exact, x.facts.keys AS keys,
           x.facts.literal AS literal, x.facts.cjk AS cjk, x.facts.ln AS ln
    FROM (SELECT unnest(queries) AS x)
), k AS (
    SELECT q.i, len(q.keys) AS nkeys, j, q.keys[j].lo AS lo, q.keys[j].hi AS hi
    FROM q, range(1, len(q.keys) + 1) r(j)
), found AS (
    SELECT k.i, k.nkeys, k.j, t.block, t.n FROM k JOIN search_terms t ON t.term = k.lo WHERE k.lo = k.hi
    UNION ALL
    SELECT r.i, r.nkeys, r.j, t.block, t.n FROM (SELECT * FROM k WHERE k.lo <> k.hi) r
    JOIN search_terms t ON t.term >= r.lo AND t.term <= r.hi
), cand AS (
    SELECT f.i, f.block, sum(f.n) AS n FROM found f
    GROUP BY f.i, f.block HAVING count(DISTINCT f.j) = max(f.nkeys)
), texts AS MATERIALIZED (  -- the candidates' texts first: a filter on the count must not reach the scan
    SELECT v.i, b.block, b.text
    FROM (SELECT c.i, c.block FROM cand c SEMI JOIN q ON q.i = c.i AND NOT q.exact) v
    JOIN search_blocks b ON b.block = v.block
)
SELECT c.i, c.block, c.n FROM cand c SEMI JOIN q ON q.i = c.i AND q.exact
UNION ALL
SELECT t.i, t.block,
       CASE WHEN q.literal THEN pw_literal_mentions(t.text, q.term)
            WHEN q.prefix THEN pw_prefix_count(t.text, q.term)
            WHEN q.cjk THEN CASE WHEN contains(q.term, chr(10)) THEN 0 ELSE pw_count(lower(t.text), lower(trim(q.term))) END
            WHEN NOT q.ln THEN 0
            ELSE len(regexp_extract_all(lower(t.text), pw_pattern(q.term)))
                 - len(regexp_extract_all(lower(t.text), pw_pattern(q.term) || '[\pL\pN\pM]')) END AS n
FROM texts t JOIN q ON q.i = t.i;

-- pw_query_problem (migration 012) over the facts.
CREATE OR REPLACE MACRO pw_facts_problem(query, tokens, clauses) AS
    CASE WHEN (length(query) - length(replace(query, '"', ''))) % 2 = 1
              THEN 'the query has an unbalanced " (at character ' || (length(query) - strpos(reverse(query), '"') + 1) || ')'
         WHEN len(clauses) = 0 THEN 'the query is empty: give a word or a "phrase"'
         WHEN pw_is_op(tokens[-1]) THEN 'the query ends with ' || tokens[-1] || ': give what follows it'
         WHEN list_contains(tokens, 'AND') AND list_contains(tokens, 'OR')
              THEN 'AND and OR together need parentheses, which presswatch search takes: (a AND b) OR c'
         WHEN tokens[1] IN ('OR', 'AND') THEN 'the query starts with ' || tokens[1] || ': give what comes before it'
         WHEN len(list_filter(clauses, x -> x.field <> 'source' AND NOT x.facts.ln)) > 0
              THEN 'nothing to search for in ' || list_filter(clauses, x -> x.field <> 'source' AND NOT x.facts.ln)[1].term
                   || ': give words with letters or digits'
         WHEN len(list_filter(clauses, x -> x.field = 'source' AND x.term = '')) > 0
              THEN 'source: needs a source name, as in source:xinhua'
         WHEN len(list_filter(clauses, x -> x.prefix AND NOT (len(x.facts.words) = 1 AND x.facts.words[1] = lower(x.term)))) > 0
              THEN 'a * may only end a single word, as in vaccin*'
         WHEN len(list_filter(clauses, x -> x.prefix AND x.facts.cjk)) > 0
              THEN 'a * cannot end Chinese, Japanese or Korean: those match anywhere already'
    END;

-- The clauses of a query, each with its term's facts, or an error saying why there are none.
CREATE OR REPLACE MACRO pw_clauses_facts(query) AS (
    SELECT CASE WHEN problem IS NULL THEN clauses ELSE error(problem) END
    FROM (SELECT clauses, pw_facts_problem(query, tokens, clauses) AS problem
          FROM (SELECT tokens, list_transform(pw_clauses_of(tokens),
                                              x -> struct_insert(x, facts := pw_term_facts(x.term, x.prefix))) AS clauses
                FROM (SELECT pw_tokens(query) AS tokens))));

-- search() as migration 015 wrote it, the parse and counting above in place of 006's and 015's.
CREATE OR REPLACE MACRO search(query, source := '', since := '', until := '', versions := false, newest := 0) AS TABLE
WITH parsed AS (
    SELECT clauses,
           list_transform(range(1, coalesce(list_max(list_transform(clauses, x -> x.grp)), 0) + 1),
                          g -> list_filter(clauses, x -> x.grp = g)) AS groups
    -- pw_clauses_facts written out: as a scalar subquery here it cost search() 2-4 ms (measured)
    FROM (SELECT CASE WHEN problem IS NULL THEN clauses ELSE error(problem) END AS clauses
          FROM (SELECT clauses, pw_facts_problem(query, tokens, clauses) AS problem
                FROM (SELECT tokens, list_transform(pw_clauses_of(tokens),
                                                    x -> struct_insert(x, facts := pw_term_facts(x.term, x.prefix))) AS clauses
                      FROM (SELECT pw_tokens(query) AS tokens))))
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
    FROM pw_counted_facts((SELECT list_transform(list_filter(clauses, x -> x.field <> 'source'),
                                                 x -> {'i': x.i, 'term': x.term, 'prefix': x.prefix, 'facts': x.facts}) FROM parsed)) c
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
), shown_count AS (SELECT count(*) AS n FROM chosen
), described AS (  -- the rows shown: looked up in search_docs (sorted by doc) when they are few, read
    -- from the live set when they are many (a scan whose join finds no keys reads no file)
    SELECT d.doc, d.article_id, d.version, d.source, d.published_at, d.title, d.canonical_url FROM search_docs d
    WHERE coalesce(newest, 0) > 0 AND d.doc IN (SELECT doc FROM chosen)
    UNION ALL
    SELECT d.doc, d.article_id, d.version, d.source, d.published_at, d.title, d.canonical_url FROM search_docs d
    WHERE coalesce(newest, 0) <= 0 AND d.doc IN (SELECT doc FROM chosen, shown_count s WHERE s.n <= 1000 OR versions)
    UNION ALL
    SELECT l.doc, l.article_id, l.version, l.source, l.published_at, l.title, l.canonical_url FROM search_live l
    WHERE coalesce(newest, 0) <= 0 AND NOT versions AND l.doc IN (SELECT doc FROM chosen, shown_count s WHERE s.n > 1000)
)
SELECT d.article_id, d.version, d.source, d.published_at, d.title, d.canonical_url,
       coalesce(pw_snippet(b.text, pw_snippet_start(b.text, h.needle)), CASE WHEN h.titled THEN d.title END) AS snippet
FROM shown h JOIN described d ON d.doc = h.doc LEFT JOIN lines b ON b.block = h.first_block
ORDER BY h.day DESC, h.doc DESC;

-- search_matches(): search()'s matching, as above.
CREATE OR REPLACE MACRO search_matches(query, source := '', since := '', until := '', versions := false) AS TABLE
WITH parsed AS (
    SELECT clauses,
           list_transform(range(1, coalesce(list_max(list_transform(clauses, x -> x.grp)), 0) + 1),
                          g -> list_filter(clauses, x -> x.grp = g)) AS groups
    FROM (SELECT pw_clauses_facts(query) AS clauses)  -- the parse, each clause with its term's facts
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
    FROM pw_counted_facts((SELECT list_transform(list_filter(clauses, x -> x.field <> 'source'),
                                                 x -> {'i': x.i, 'term': x.term, 'prefix': x.prefix, 'facts': x.facts}) FROM parsed)) c
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
