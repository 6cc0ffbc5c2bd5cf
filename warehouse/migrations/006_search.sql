-- Search and trends from a term index that lives in the lake, kept by every load in the same
-- transaction as the versions it covers (warehouse/search_index.py writes it; any DuckDB client
-- reads it through the macros below). The scan is the definition of a match (mention_count), the
-- index is the speed: the index names candidates, and every candidate that the index alone cannot
-- decide is counted by mention_count itself, so the answers equal a scan of the texts.
--
--   SELECT * FROM term_trend('police');                    -- per week and source, with share
--   SELECT * FROM phrase_spread('according to the');       -- who said it first
--   SELECT * FROM search('"prime minister" police -football', since := DATE '2024-01-01');
--
-- Layout. What is indexed is each version's body (article_body(title, text)), cut into its lines:
-- versions of one article share most lines, wire copy shares them across outlets, boilerplate
-- repeats, so each distinct line (a block) is tokenised and stored once.
--   search_blocks  one row per distinct line (and per distinct title): its text, by a dense id
--   search_terms   (term, block, n): the block holds the term n times; sorted by term, so a term
--                  reads a few row groups
--   search_lines   (block, doc, line): version `doc`'s line `line` is that block; sorted by block
--   search_docs    one row per indexed version (tombstones have no text and no row)
--   search_live    the current version of every live article (what `articles` shows)

-- Chinese, Japanese and Korean: the one definition of which characters are CJK (pw_is_cjk below
-- replaces migration 003's own copy). Those scripts have no spaces between words.
CREATE OR REPLACE MACRO pw_cjk_chars() AS '[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]';
CREATE OR REPLACE MACRO pw_is_cjk(term) AS regexp_matches(term, pw_cjk_chars());

-- The index terms of one line: every maximal run of letters, digits and marks, lower-cased (the
-- word boundaries mention_count uses), except runs made only of CJK characters; and for each run
-- of CJK characters, its character bigrams and its last character alone, so that a CJK term is
-- found by its bigrams and a one-character term by the terms that start with it.
CREATE OR REPLACE MACRO pw_terms(line) AS
    CASE WHEN regexp_matches(line, pw_cjk_chars()) THEN list_concat(
             list_filter(regexp_extract_all(lower(line), '[\pL\pN\pM]+'),
                         w -> NOT regexp_full_match(w, pw_cjk_chars() || '+')),
             flatten(list_transform(regexp_extract_all(lower(line), pw_cjk_chars() || '+'),
                     r -> list_concat(list_transform(range(1, length(r)), i -> substr(r, i, 2)), [right(r, 1)]))))
         ELSE regexp_extract_all(lower(line), '[\pL\pN\pM]+') END;

-- The definition of a mention, as migration 003 wrote it, with two corrections that make it the
-- same line by line as over a whole text (so that counting each distinct line once is exact):
-- * a phrase does not run over a line break: a text's lines are its paragraphs (and its title), and
--   "...the prime" ending one paragraph and "Minister..." opening the next are not a mention of
--   "prime minister"; the white space inside a phrase matches spaces and tabs, not line breaks;
-- * every white-space run of a term is one space (003 collapsed only the first run, so "a  b  c"
--   needed two spaces between b and c), and the probe is the term's first word.
CREATE OR REPLACE MACRO pw_pattern(term) AS
    '(?:^|[^\pL\pN\pM])'
    || replace(regexp_escape(lower(regexp_replace(trim(term), '\s+', ' ', 'g'))), '\ ', '[\t\f\r ]+');
CREATE OR REPLACE MACRO pw_probe(term) AS
    CASE WHEN pw_is_cjk(term) THEN lower(trim(term))
         ELSE lower(split_part(regexp_replace(trim(term), '\s+', ' ', 'g'), ' ', 1)) END;
CREATE OR REPLACE MACRO mention_count(body, term) AS
    CASE WHEN pw_is_cjk(term) THEN CASE WHEN contains(term, chr(10)) THEN 0 ELSE pw_count(lower(body), lower(trim(term))) END
         WHEN NOT regexp_matches(term, '[\pL\pN]') THEN 0
         ELSE len(regexp_extract_all(lower(body), pw_pattern(term)))
              - len(regexp_extract_all(lower(body), pw_pattern(term) || '[\pL\pN\pM]')) END;

-- What the index must find for a term: one key per word of a non-CJK term (whole words), or per
-- CJK bigram of a CJK term, a lone CJK character and a `word*` prefix being ranges of terms.
-- A line that mentions the term holds a term in every key's range.
CREATE OR REPLACE MACRO pw_keys(term, prefix) AS
    CASE WHEN prefix THEN [{'lo': lower(trim(term)), 'hi': lower(trim(term)) || chr(1114111)}]
         WHEN pw_is_cjk(term) THEN flatten(list_transform(
             regexp_extract_all(lower(trim(term)), pw_cjk_chars() || '+'),
             r -> CASE WHEN length(r) = 1 THEN [{'lo': r, 'hi': r || chr(1114111)}]
                       ELSE list_transform(range(1, length(r)), i -> {'lo': substr(r, i, 2), 'hi': substr(r, i, 2)}) END))
         ELSE list_transform(regexp_extract_all(lower(trim(term)), '[\pL\pN\pM]+'), w -> {'lo': w, 'hi': w}) END;

-- Whether the index alone gives a term's exact count: a single whole word (its count in a line is
-- the number of times it is one of the line's terms), or a prefix.
CREATE OR REPLACE MACRO pw_exact(term, prefix) AS
    prefix OR (NOT pw_is_cjk(term) AND regexp_full_match(lower(trim(term)), '[\pL\pN\pM]+')
               AND regexp_matches(term, '[\pL\pN]'));

-- A `word*` prefix matches a word that starts with it.
CREATE OR REPLACE MACRO pw_prefix_count(body, prefix) AS
    len(regexp_extract_all(lower(body), '(?:^|[^\pL\pN\pM])' || regexp_escape(lower(trim(prefix)))));

CREATE OR REPLACE MACRO pw_mentions(body, term, prefix) AS
    CASE WHEN prefix THEN pw_prefix_count(body, term) ELSE mention_count(body, term) END;

CREATE TABLE search_blocks (
    block  BIGINT NOT NULL,
    hash   UBIGINT NOT NULL,         -- md5 of the text, low and high 64 bits: finds a line already
    hash2  UBIGINT NOT NULL,         -- stored (DuckLake 1.5.5 cannot join on 128-bit integers)
    text   VARCHAR NOT NULL
);

CREATE TABLE search_terms (
    term   VARCHAR NOT NULL,         -- pw_terms of the block's text
    block  BIGINT NOT NULL,
    n      INTEGER NOT NULL          -- how often
);

CREATE TABLE search_lines (
    block  BIGINT NOT NULL,
    doc    BIGINT NOT NULL,
    line   INTEGER NOT NULL          -- 1, 2, ...: the body is the blocks' texts joined by line breaks
);

CREATE TABLE search_docs (
    doc           BIGINT NOT NULL,
    art           BIGINT NOT NULL,     -- the article, as a number (phrase_spread groups by it)
    article_id    VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    source        VARCHAR NOT NULL,
    published_at  DATE,
    valid_from    TIMESTAMP NOT NULL,
    first_seen    TIMESTAMP NOT NULL,  -- the article's first version's valid_from
    title         VARCHAR,
    canonical_url VARCHAR,
    title_block   BIGINT,              -- the title as a block of its own, for title: searches
    lines         INTEGER NOT NULL
);

CREATE TABLE search_live (
    doc           BIGINT NOT NULL,
    article_id    VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    source        VARCHAR NOT NULL,
    published_at  DATE,
    first_seen    TIMESTAMP NOT NULL,
    title         VARCHAR,
    canonical_url VARCHAR,
    title_block   BIGINT
);

-- How the index was built (one row): another method makes the next writer rebuild it.
CREATE TABLE search_settings (
    method    VARCHAR NOT NULL,
    built_at  TIMESTAMP NOT NULL
);

-- Files laid out for the common filters: DuckLake sorts on insert, on merge_adjacent_files and on
-- flushing inlined data, so a term, a block, a source or a period sits in few row groups.
ALTER TABLE search_terms SET SORTED BY (term, block);
-- Row groups of 8,192 rows (DuckDB's default is 122,880): min/max statistics then skip finer, for a
-- term's blocks spread over search_lines as for a source's or a period's versions. (A table created
-- in this transaction cannot take an option of its own yet, so it is the lake's default.)
CALL set_option('parquet_row_group_size', 8192);
ALTER TABLE search_lines SET SORTED BY (block, doc);
ALTER TABLE search_blocks SET SORTED BY (block);
ALTER TABLE search_docs SET SORTED BY (doc);
ALTER TABLE search_live SET SORTED BY (source, published_at);
ALTER TABLE article_versions SET SORTED BY (source, published_at, valid_from);

-- The index rows each key of a term finds.
CREATE OR REPLACE MACRO pw_found(term, prefix) AS TABLE
WITH k AS (
    SELECT j, key.lo AS lo, key.hi AS hi, len(pw_keys(term, prefix)) AS nkeys
    FROM (SELECT unnest(pw_keys(term, prefix)) AS key, generate_subscripts(pw_keys(term, prefix), 1) AS j)
)
SELECT k.j, k.nkeys, t.block, t.n FROM k JOIN search_terms t ON t.term = k.lo WHERE k.lo = k.hi
UNION ALL
SELECT k.j, k.nkeys, t.block, t.n FROM k JOIN search_terms t ON t.term >= k.lo AND t.term <= k.hi
WHERE k.lo <> k.hi AND len(list_filter(pw_keys(term, prefix), x -> x.lo <> x.hi)) > 0;

-- The blocks that mention a term, and how often: the blocks holding every key of the term, counted
-- by the index (whole words, prefixes) or by the definition, mention_count (anything else). The
-- term is a constant of the query, so DuckDB keeps only the branch it needs and compiles the
-- term's regular expression once.
CREATE OR REPLACE MACRO pw_counted_one(i, term, prefix) AS TABLE
WITH cand AS (
    SELECT f.block, sum(f.n) AS n FROM pw_found(term, prefix) f
    GROUP BY f.block HAVING count(DISTINCT f.j) = max(f.nkeys)
), texts AS MATERIALIZED (  -- the candidates' texts first: a filter on the count must not reach the scan
    SELECT b.block, b.text FROM search_blocks b SEMI JOIN cand c ON c.block = b.block WHERE NOT pw_exact(term, prefix)
)
SELECT i AS i, c.block AS block, c.n AS n FROM cand c WHERE pw_exact(term, prefix)
UNION ALL
SELECT i AS i, t.block AS block, pw_mentions(t.text, term, prefix) AS n FROM texts t;

-- The same for each term of a list of {i, term, prefix} (search(): its terms are not constants of
-- the query plan, so each candidate line is counted with the term's expression compiled for it).
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
SELECT t.i, t.block, pw_mentions(t.text, q.term, q.prefix) AS n FROM texts t JOIN q ON q.i = t.i;

-- The documents (versions) that mention each query term: how often, and the first line that does.
CREATE OR REPLACE MACRO pw_match_all(queries) AS TABLE
SELECT c.i, l.doc, sum(c.n) AS mentions, min(l.line) AS first_line, arg_min(l.block, l.line) AS first_block
FROM search_lines l JOIN pw_counted_all(queries) c ON l.block = c.block
WHERE c.n > 0
GROUP BY c.i, l.doc;

-- The documents (versions) that mention a term, and how often.
CREATE OR REPLACE MACRO pw_match_one(term) AS TABLE
SELECT l.doc, sum(c.n) AS mentions
FROM search_lines l JOIN pw_counted_one(1, term, false) c ON l.block = c.block
WHERE c.n > 0
GROUP BY l.doc;

-- term_trend from the index: the same rows as migration 003's scan, plus `share`, the articles
-- mentioning the term over all live articles of that bucket and source (Media Cloud's normalized
-- count). Dated by published_at, else the day presswatch first saw the article.
CREATE OR REPLACE MACRO term_trend(term, bucket := 'week', source := '') AS TABLE
WITH counted AS (  -- one pass over the live articles: every bucket's total, and the term's hits in it
    SELECT date_trunc(pw_bucket(bucket), coalesce(a.published_at, a.first_seen::DATE))::DATE AS bucket,
           a.source AS source, count(*) AS live, count(m.doc) AS articles, sum(m.mentions)::BIGINT AS mentions
    FROM search_live a LEFT JOIN pw_match_one(term) m ON m.doc = a.doc
    WHERE coalesce(source, '') = '' OR a.source = source
    GROUP BY 1, 2
)
SELECT term AS term, c.bucket, c.source, c.articles, c.mentions, round(c.articles / c.live, 4)::DOUBLE AS share
FROM counted c
WHERE c.articles > 0
ORDER BY 2, 3;

-- phrase_spread from the index: for each outlet, the first article that used `phrase` (any
-- version, deleted articles included), ordered by date, with the lag in days behind the first.
CREATE OR REPLACE MACRO phrase_spread(phrase) AS TABLE
WITH used AS (
    SELECT d.doc, d.art, d.version, d.source, d.valid_from,
           CASE WHEN d.version = 1 THEN coalesce(d.published_at, d.first_seen::DATE) ELSE d.valid_from::DATE END AS said_on
    FROM pw_match_one(phrase) m JOIN search_docs d ON d.doc = m.doc
), dated AS (
    SELECT u.* FROM used u
    QUALIFY row_number() OVER (PARTITION BY u.art ORDER BY u.version) = 1
), per_source AS (   -- the article_id breaks ties as 003 did: read for the tied candidates only
    SELECT d.*, count(*) OVER (PARTITION BY d.source) AS articles,
           min(d.said_on) OVER (PARTITION BY d.source) AS first_day
    FROM dated d
), firsts AS (
    SELECT p.*, s.article_id FROM per_source p JOIN search_docs s ON s.doc = p.doc
    WHERE p.said_on = p.first_day
    QUALIFY row_number() OVER (PARTITION BY p.source ORDER BY p.said_on, p.valid_from, s.article_id) = 1
)
SELECT row_number() OVER (ORDER BY f.said_on, f.valid_from, f.source) AS rank,
       f.source AS source,
       f.said_on AS first_used,
       date_diff('day', min(f.said_on) OVER (), f.said_on) AS lag_days,
       f.articles AS articles,
       d.title AS title,
       d.canonical_url AS canonical_url,
       f.article_id AS article_id
FROM firsts f JOIN search_docs d ON d.doc = f.doc
ORDER BY 1;

-- A search query in the language Media Cloud users type (`presswatch search` also takes
-- parentheses): words, all required; "quoted phrases"; -word or NOT word to exclude; OR between
-- alternatives; title:word or title:"a phrase"; source:name; word* for a prefix. It becomes a list
-- of clauses {i, grp, neg, field, term, prefix}: clauses joined by OR share a group, and every
-- group must hold. Words and phrases match as term_trend counts them (whole words,
-- case-insensitive, over title and text; CJK as substrings).
CREATE OR REPLACE MACRO pw_tokens(query) AS regexp_extract_all(query, '-?(?:title:|source:)?"[^"]*"|\S+');
CREATE OR REPLACE MACRO pw_is_op(token) AS coalesce(token IN ('OR', 'AND', 'NOT'), false);
CREATE OR REPLACE MACRO pw_or_joined(tokens, j) AS
    coalesce(tokens[j - 1] = 'OR' OR (tokens[j - 1] IN ('NOT', 'AND') AND tokens[j - 2] = 'OR'), false);
CREATE OR REPLACE MACRO pw_value(token) AS
    regexp_replace(CASE WHEN starts_with(token, '-') AND length(token) > 1 THEN token[2:] ELSE token END,
                   '^(title|source):', '');
CREATE OR REPLACE MACRO pw_quoted(value) AS length(value) >= 2 AND starts_with(value, '"') AND ends_with(value, '"');
CREATE OR REPLACE MACRO pw_clause(tokens, i) AS {
    'i': i,
    'grp': len(list_filter(range(1, i + 1), j -> NOT pw_is_op(tokens[j]) AND NOT pw_or_joined(tokens, j))),
    'neg': (starts_with(tokens[i], '-') AND length(tokens[i]) > 1) OR coalesce(tokens[i - 1] = 'NOT', false),
    'field': CASE WHEN regexp_matches(tokens[i], '^-?title:') THEN 'title'
                  WHEN regexp_matches(tokens[i], '^-?source:') THEN 'source' ELSE 'any' END,
    'term': CASE WHEN pw_quoted(pw_value(tokens[i])) THEN pw_value(tokens[i])[2:-2]
                 WHEN ends_with(pw_value(tokens[i]), '*') THEN rtrim(pw_value(tokens[i]), '*')
                 ELSE pw_value(tokens[i]) END,
    'prefix': NOT pw_quoted(pw_value(tokens[i])) AND ends_with(pw_value(tokens[i]), '*')};
CREATE OR REPLACE MACRO pw_clauses_of(tokens) AS
    list_transform(list_filter(range(1, len(tokens) + 1), i -> NOT pw_is_op(tokens[i])), i -> pw_clause(tokens, i));

-- Why a query cannot be searched (NULL when it can), from its text, tokens and clauses.
CREATE OR REPLACE MACRO pw_query_problem(query, tokens, clauses) AS
    CASE WHEN (length(query) - length(replace(query, '"', ''))) % 2 = 1
              THEN 'the query has an unbalanced " (at character ' || (length(query) - strpos(reverse(query), '"') + 1) || ')'
         WHEN len(clauses) = 0 THEN 'the query is empty: give a word or a "phrase"'
         WHEN pw_is_op(tokens[-1]) THEN 'the query ends with ' || tokens[-1] || ': give what follows it'
         WHEN list_contains(tokens, 'AND') AND list_contains(tokens, 'OR')
              THEN 'AND and OR together need parentheses, which presswatch search takes: (a AND b) OR c'
         WHEN tokens[1] IN ('OR', 'AND') THEN 'the query starts with ' || tokens[1] || ': give what comes before it'
         WHEN len(list_filter(clauses, x -> x.field <> 'source' AND NOT regexp_matches(x.term, '[\pL\pN]'))) > 0
              THEN 'nothing to search for in ' || list_filter(clauses, x -> x.field <> 'source' AND NOT regexp_matches(x.term, '[\pL\pN]'))[1].term
                   || ': give words with letters or digits'
         WHEN len(list_filter(clauses, x -> x.field = 'source' AND x.term = '')) > 0
              THEN 'source: needs a source name, as in source:xinhua'
         WHEN len(list_filter(clauses, x -> x.prefix AND NOT regexp_full_match(lower(x.term), '[\pL\pN\pM]+'))) > 0
              THEN 'a * may only end a single word, as in vaccin*'
         WHEN len(list_filter(clauses, x -> x.prefix AND pw_is_cjk(x.term))) > 0
              THEN 'a * cannot end Chinese, Japanese or Korean: those match anywhere already'
    END;

-- The clauses of a query, or an error saying why there are none.
CREATE OR REPLACE MACRO pw_clauses(query) AS (
    SELECT CASE WHEN problem IS NULL THEN clauses ELSE error(problem) END
    FROM (SELECT clauses, pw_query_problem(query, tokens, clauses) AS problem
          FROM (SELECT tokens, pw_clauses_of(tokens) AS clauses FROM (SELECT pw_tokens(query) AS tokens))));

-- Up to 160 characters of `line` from a little before `needle` (the term's first word, lower-cased).
CREATE OR REPLACE MACRO pw_snippet(line, start) AS
    CASE WHEN start > 1 THEN '…' ELSE '' END || substr(line, start, 160)
    || CASE WHEN start + 160 <= length(line) THEN '…' ELSE '' END;
CREATE OR REPLACE MACRO pw_snippet_start(line, needle) AS
    CASE WHEN strpos(lower(line), needle) <= 50 THEN 1   -- else from the word that starts 50 characters before it
         ELSE strpos(lower(line), needle) - 50 + strpos(substr(line, strpos(lower(line), needle) - 50, 20), ' ') END;

-- One row per live article that matches `query`, newest first (published_at, else first seen),
-- with a snippet around the first match; `versions := true` gives every version that matched,
-- deleted articles' included. `source`, `since` and `until` (dates, inclusive) narrow it;
-- `newest := N` keeps the N newest, and reads the titles and snippets of those only.
-- (An empty since or until is no bound: DuckLake cannot keep a NULL default.)
CREATE OR REPLACE MACRO pw_date(value) AS
    CASE WHEN coalesce(CAST(value AS VARCHAR), '') = '' THEN NULL ELSE CAST(value AS DATE) END;
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
), hits AS (
    SELECT m.doc, m.i, m.first_block
    FROM pw_match_all((SELECT list_transform(list_filter(clauses, x -> x.field = 'any'),
                                             x -> {'i': x.i, 'term': x.term, 'prefix': x.prefix}) FROM parsed)) m
    UNION ALL
    SELECT s.doc, t.i, NULL
    FROM pw_counted_all((SELECT list_transform(list_filter(clauses, x -> x.field = 'title'),
                                               x -> {'i': x.i, 'term': x.term, 'prefix': x.prefix}) FROM parsed)) t
    JOIN scoped s ON s.title_block = t.block
    WHERE t.n > 0
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
), described AS (
    SELECT l.doc, l.article_id, l.version, l.source, l.published_at, l.title, l.canonical_url FROM search_live l
    WHERE NOT versions AND l.doc IN (SELECT doc FROM chosen)
    UNION ALL
    SELECT d.doc, d.article_id, d.version, d.source, d.published_at, d.title, d.canonical_url FROM search_docs d
    WHERE versions AND d.doc IN (SELECT doc FROM chosen)
)
SELECT d.article_id, d.version, d.source, d.published_at, d.title, d.canonical_url,
       coalesce(pw_snippet(b.text, pw_snippet_start(b.text, h.needle)), CASE WHEN h.titled THEN d.title END) AS snippet
FROM shown h JOIN described d ON d.doc = h.doc LEFT JOIN lines b ON b.block = h.first_block
ORDER BY h.day DESC, h.doc DESC;
