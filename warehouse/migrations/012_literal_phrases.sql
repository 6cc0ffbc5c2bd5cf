-- Counting a phrase in search()'s candidate lines without a regular expression of its own. There
-- the terms are not constants of the plan, so mention_count compiled two expressions with Unicode
-- classes for every candidate line (about 2.6 ms a line: 21 ms of a phrase search at a million
-- versions, seconds on an archive where a phrase's words share thousands of lines). For most terms
-- the count is a matter of strings: in the line with its runs of spaces and tabs made one space,
-- the term's occurrences with no letter, digit or mark just before or just after. That equals
-- mention_count when the term starts and ends with such a character and an occurrence overlapping
-- the one before it (the term's end is also its start: "the government") is preceded by one, so
-- it can never count; any other term ("x x x", "ab.") is counted by mention_count itself.
CREATE OR REPLACE MACRO pw_literal(term) AS lower(regexp_replace(trim(term), '\s+', ' ', 'g'));
CREATE OR REPLACE MACRO pw_plain_literal(t) AS
    regexp_full_match(t, '[\pL\pN\pM](?:.*[\pL\pN\pM])?')
    AND NOT coalesce(list_bool_or(list_transform(range(1, length(t)),
        k -> left(t, k::BIGINT) = right(t, k::BIGINT)
             AND NOT regexp_matches(substr(t, length(t) - k::BIGINT, 1), '[\pL\pN\pM]'))), false);
CREATE OR REPLACE MACRO pw_literal_count(pieces) AS   -- pieces: the line split at the term's occurrences
    len(list_filter(range(1, len(pieces)),
        i -> ((i = 1 AND pieces[1] = '') OR regexp_matches(pieces[i], '[^\pL\pN\pM]$'))
             AND CASE WHEN pieces[i + 1] = '' THEN i + 1 = len(pieces)
                      ELSE NOT regexp_matches(pieces[i + 1], '^[\pL\pN\pM]') END));
CREATE OR REPLACE MACRO pw_counted_mentions(body, term, prefix) AS
    CASE WHEN NOT prefix AND NOT pw_is_cjk(term) AND regexp_matches(term, '[\pL\pN]') AND pw_plain_literal(pw_literal(term))
         THEN pw_literal_count(string_split(regexp_replace(lower(body), '[\t\f\r ]+', ' ', 'g'), pw_literal(term)))
         ELSE pw_mentions(body, term, prefix) END;

CREATE OR REPLACE MACRO pw_counted_all(queries) AS TABLE
WITH q AS (
    SELECT x.i, x.term, coalesce(x.prefix, false) AS prefix, pw_exact(x.term, coalesce(x.prefix, false)) AS exact,
           pw_keys(x.term, coalesce(x.prefix, false)) AS keys
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
SELECT t.i, t.block, pw_counted_mentions(t.text, q.term, q.prefix) AS n FROM texts t JOIN q ON q.i = t.i;
