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
-- The characters of a literal that must be letters, digits or marks for its count to be a matter of
-- strings: its first and last, and the one before each occurrence that would overlap the one before.
CREATE OR REPLACE MACRO pw_literal_guards(t) AS
    left(t, 1) || right(t, 1) || array_to_string(list_transform(
        list_filter(range(1, length(t)), k -> left(t, k::BIGINT) = right(t, k::BIGINT)),
        k -> substr(t, length(t) - k::BIGINT, 1)), '');
CREATE OR REPLACE MACRO pw_plain_literal(term, prefix) AS
    NOT prefix AND NOT pw_is_cjk(term) AND regexp_matches(term, '[\pL\pN]')
    AND regexp_full_match(pw_literal_guards(pw_literal(term)), '[\pL\pN\pM]+');
-- A plain literal's mentions in a line: split at its occurrences, those with neither a letter,
-- digit or mark just before (the start of the line is none) nor just after (nor is its end).
-- (Each test is one expression over the two characters: a Unicode class costs a compilation in
-- every thread of every query that holds it.)
CREATE OR REPLACE MACRO pw_literal_count(pieces) AS
    len(list_filter(range(1, len(pieces)), i -> regexp_full_match(
        CASE WHEN pieces[i] = '' THEN CASE WHEN i = 1 THEN ' ' ELSE 'a' END ELSE right(pieces[i], 1) END
        || CASE WHEN pieces[i + 1] = '' THEN CASE WHEN i + 1 = len(pieces) THEN ' ' ELSE 'a' END
                ELSE left(pieces[i + 1], 1) END,
        '[^\pL\pN\pM]{2}')));
CREATE OR REPLACE MACRO pw_literal_mentions(body, term) AS
    pw_literal_count(string_split(regexp_replace(lower(body), '[\t\f\r ]+', ' ', 'g'), pw_literal(term)));

CREATE OR REPLACE MACRO pw_counted_all(queries) AS TABLE
WITH q AS (
    SELECT x.i, x.term, coalesce(x.prefix, false) AS prefix, pw_exact(x.term, coalesce(x.prefix, false)) AS exact,
           pw_keys(x.term, coalesce(x.prefix, false)) AS keys, pw_plain_literal(x.term, coalesce(x.prefix, false)) AS literal
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
       CASE WHEN q.literal THEN pw_literal_mentions(t.text, q.term) ELSE pw_mentions(t.text, q.term, q.prefix) END AS n
FROM texts t JOIN q ON q.i = t.i;
