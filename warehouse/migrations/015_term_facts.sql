-- What a search learns about each of its terms (whether the index counts it exactly, its keys,
-- whether a phrase is counted as a plain string), with each Unicode class
-- compiled once. A regular expression is compiled for every place it appears in the expanded
-- macros, by every thread that runs it (and by the planner when it folds a constant), whichever
-- branch of a CASE a row takes; with \pL that takes about 1.2 ms, and pw_exact, pw_keys and
-- pw_plain_literal held five of them between them (planning a one-word search: 33 -> 27 ms). The
-- facts are derived from one split of the term into runs of letters, digits and marks:
-- * it has a letter or digit (pw_exact's and pw_plain_literal's test) when its runs hold a
--   character that is not a mark (lower-casing maps letters to letters and digits to themselves);
-- * it is one whole word (regexp_full_match) when it is its only run;
-- * a character of the term is a letter, digit or mark when it occurs in one of its runs (what a
--   character is does not depend on where it stands), which decides pw_literal_guards.
-- pw_exact, pw_keys and pw_plain_literal stay the definitions: tests/test_search_property.py
-- checks that these facts agree with them.
-- (A lambda over a one-element list binds a value once: a macro's argument is copied wherever its
-- parameter appears.)
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
                                   c -> NOT contains(w.chars, c))) = 0
            })[1])[1];

-- pw_counted_all as migration 012 wrote it, with each term's facts computed once.
CREATE OR REPLACE MACRO pw_counted_all(queries) AS TABLE
WITH q AS (
    SELECT i, term, prefix, facts.exact AS exact, facts.keys AS keys, facts.literal AS literal
    FROM (SELECT x.i, x.term, coalesce(x.prefix, false) AS prefix, pw_term_facts(x.term, x.prefix) AS facts
          FROM (SELECT unnest(queries) AS x))
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
       CASE WHEN q.literal THEN pw_literal_mentions(t.text, q.term) ELSE pw_mentions(t.text, q.term, q.prefix) END AS n
FROM texts t JOIN q ON q.i = t.i;

-- search() as migration 011 wrote it, but when every match is wanted (no `newest`) and there are
-- more than a thousand, the rows shown take their article id, title and URL from the live set
-- instead of a lookup in search_docs: a few thousand documents spread over all of it, which the
-- lookup read whole. "police" (3,131 live articles) at ten million versions: count(*) 1.0 -> 0.40 s.
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
