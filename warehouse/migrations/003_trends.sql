-- Trends and narratives: text-matching macros, the term/phrase/activity table macros, and the
-- tables behind republished-story clusters. Plain SQL: every DuckDB client can use the macros.
--
--   SELECT * FROM term_trend('happy lives');                         -- per week and source
--   SELECT * FROM term_trend('幸福生活', bucket := 'month', source := 'xjgov');
--   SELECT * FROM phrase_spread('politicizing human rights');        -- who said it first
--   SELECT * FROM source_activity(bucket := 'day');                  -- published/edited/deleted
--   SELECT * FROM story_clusters;                                    -- one story, many outlets

-- What an article says: its title and its text. Extractors usually keep the headline as the
-- text's first line; counting it again would double every headline mention.
CREATE MACRO article_body(title, text) AS
    CASE WHEN text IS NULL THEN coalesce(title, '')
         WHEN title IS NULL OR title = '' OR starts_with(text, title) THEN text
         ELSE title || chr(10) || text END;

-- True when a term is written in Chinese, Japanese or Korean: those scripts have no spaces
-- between words, so such terms match as substrings.
CREATE MACRO pw_is_cjk(term) AS
    regexp_matches(term, '[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]');

-- The regular expression that finds a (non-CJK) term in lower-cased text: the term, led by
-- the start of the text or a character that is no letter, digit or mark; any white space
-- inside the term matches any white space. The trailing boundary is checked by counting the
-- matches followed by a letter separately (see mention_count): a pattern that consumed the
-- trailing character would eat the leading boundary of a back-to-back repeat ("train train").
CREATE MACRO pw_pattern(term) AS
    '(?:^|[^\pL\pN\pM])' || replace(regexp_escape(lower(regexp_replace(trim(term), '\s+', ' ', 'g'))), '\ ', '\s+');

-- A cheap literal test every mention passes (the term's first word, or the CJK term itself),
-- so that the regular expressions run only on articles that may mention the term.
CREATE MACRO pw_probe(term) AS
    CASE WHEN pw_is_cjk(term) THEN lower(trim(term)) ELSE lower(split_part(trim(term), ' ', 1)) END;

-- Non-overlapping occurrences of needle in haystack (0 for an empty needle).
CREATE MACRO pw_count(haystack, needle) AS
    CASE WHEN coalesce(needle, '') = '' THEN 0
         ELSE (strlen(haystack) - strlen(replace(haystack, needle, ''))) // strlen(needle) END;

-- How often `term` occurs in `body`, case-insensitively: as whole words ("train" never counts
-- "training"), or as a substring when the term is Chinese, Japanese or Korean.
CREATE MACRO mention_count(body, term) AS
    CASE WHEN pw_is_cjk(term) THEN pw_count(lower(body), lower(trim(term)))
         WHEN NOT regexp_matches(term, '[\pL\pN]') THEN 0
         ELSE len(regexp_extract_all(lower(body), pw_pattern(term)))
              - len(regexp_extract_all(lower(body), pw_pattern(term) || '[\pL\pN\pM]')) END;

CREATE MACRO pw_bucket(bucket) AS
    CASE WHEN lower(bucket) IN ('day', 'week', 'month') THEN lower(bucket)
         ELSE error('bucket must be day, week or month, not ' || coalesce(bucket, 'NULL')) END;

-- Per bucket and source: live articles mentioning `term` and the mentions in them, dated by
-- published_at (else the day presswatch first saw the article). Weeks start on Monday.
-- Table columns are always qualified here: a bare `source` or `bucket` is the parameter. For
-- the same reason the `articles` view is inlined: its own bare `source` would bind to it.
CREATE MACRO term_trend(term, bucket := 'week', source := '') AS TABLE
WITH hits AS (
    SELECT a.article_id, a.source, a.published_at, mention_count(article_body(a.title, a.text), term) AS mentions
    FROM article_versions a
    WHERE a.valid_to IS NULL AND a.change_kind <> 'deleted'   -- the `articles` view, inlined
      AND (coalesce(source, '') = '' OR a.source = source)
      AND contains(lower(article_body(a.title, a.text)), pw_probe(term))
), first_seen AS (
    SELECT v.article_id, min(v.valid_from) AS first_seen
    FROM article_versions v
    WHERE v.article_id IN (SELECT h.article_id FROM hits h WHERE h.published_at IS NULL)
    GROUP BY v.article_id
)
SELECT term AS term,
       date_trunc(pw_bucket(bucket), coalesce(h.published_at, f.first_seen::DATE))::DATE AS bucket,
       h.source AS source,
       count(*) AS articles,
       sum(h.mentions)::BIGINT AS mentions
FROM hits h LEFT JOIN first_seen f ON f.article_id = h.article_id
WHERE h.mentions > 0
GROUP BY 1, 2, 3
ORDER BY 2, 3;

-- For each outlet, the first article that used `phrase` (any version, deleted ones included:
-- saying it first and deleting it later is still saying it first), ordered by date, with the
-- lag in days behind the first outlet. A phrase that an edit added is dated by that edit.
CREATE MACRO phrase_spread(phrase) AS TABLE
WITH used AS (
    SELECT v.article_id, v.version, v.source, v.title, v.canonical_url, v.published_at, v.valid_from
    FROM article_versions v
    WHERE v.change_kind <> 'deleted'
      AND contains(lower(article_body(v.title, v.text)), pw_probe(phrase))
      AND mention_count(article_body(v.title, v.text), phrase) > 0
), firsts AS (
    SELECT v.article_id, min(v.version) AS first_version, min(v.valid_from) AS first_seen
    FROM article_versions v
    WHERE v.article_id IN (SELECT u.article_id FROM used u)
    GROUP BY v.article_id
), dated AS (
    SELECT u.*,
           CASE WHEN u.version = f.first_version THEN coalesce(u.published_at, f.first_seen::DATE)
                ELSE u.valid_from::DATE END AS said_on
    FROM used u JOIN firsts f ON f.article_id = u.article_id
    QUALIFY row_number() OVER (PARTITION BY u.article_id ORDER BY u.version) = 1
), per_source AS (
    SELECT d.*, count(*) OVER (PARTITION BY d.source) AS articles
    FROM dated d
    QUALIFY row_number() OVER (PARTITION BY d.source ORDER BY d.said_on, d.valid_from, d.article_id) = 1
)
SELECT row_number() OVER (ORDER BY p.said_on, p.valid_from, p.source) AS rank,
       p.source AS source,
       p.said_on AS first_used,
       date_diff('day', min(p.said_on) OVER (), p.said_on) AS lag_days,
       p.articles AS articles,
       p.title AS title,
       p.canonical_url AS canonical_url,
       p.article_id AS article_id
FROM per_source p
ORDER BY 1;

-- Per bucket and source: articles published (dated by published_at, else first seen), and
-- edits, silent edits, retitles, deletions and restorations (dated when presswatch saw them).
CREATE MACRO source_activity(bucket := 'week') AS TABLE
WITH events AS (
    SELECT v.source, v.change_kind, v.silent,
           CASE WHEN v.change_kind = 'new' THEN coalesce(v.published_at, v.valid_from::DATE)
                ELSE v.valid_from::DATE END AS day
    FROM article_versions v
)
SELECT date_trunc(pw_bucket(bucket), e.day)::DATE AS bucket,
       e.source AS source,
       count(*) FILTER (WHERE e.change_kind = 'new') AS published,
       count(*) FILTER (WHERE e.change_kind = 'edited') AS edited,
       count(*) FILTER (WHERE e.change_kind = 'edited' AND e.silent) AS silent_edits,
       count(*) FILTER (WHERE e.change_kind = 'retitled') AS retitled,
       count(*) FILTER (WHERE e.change_kind = 'deleted') AS deleted,
       count(*) FILTER (WHERE e.change_kind = 'restored') AS restored
FROM events e
WHERE e.change_kind <> 'reextracted'
GROUP BY 1, 2
ORDER BY 1, 2;

-- Republished stories, maintained by warehouse/clusters.py (refresh_clusters) as batches load.
-- How the clusters were built (one row); other settings make the next refresh rebuild all.
CREATE TABLE story_settings (
    method    VARCHAR NOT NULL,
    built_at  TIMESTAMP NOT NULL
);

-- One MinHash signature per live article (little-endian uint32 values).
CREATE TABLE story_signatures (
    article_id    VARCHAR NOT NULL,
    source        VARCHAR NOT NULL,
    content_hash  VARCHAR,
    shingles      VARCHAR NOT NULL,      -- words5 | chars3
    signature     BLOB NOT NULL
);

-- The signatures' LSH bands: articles sharing a (band, bucket) are candidate near-duplicates.
CREATE TABLE story_bands (
    band        SMALLINT NOT NULL,
    bucket      BIGINT NOT NULL,
    article_id  VARCHAR NOT NULL,
    source      VARCHAR NOT NULL
);

-- Verified near-duplicate pairs of articles from different sources (a < b).
CREATE TABLE story_edges (
    a           VARCHAR NOT NULL,
    b           VARCHAR NOT NULL,
    similarity  DOUBLE NOT NULL
);

-- Members of each cluster (connected near-duplicates, two articles or more). The cluster's id
-- is its earliest member's article_id; position 1 is that member.
CREATE TABLE story_members (
    cluster_id           VARCHAR NOT NULL,
    article_id           VARCHAR NOT NULL,
    position             INTEGER NOT NULL,
    similarity_to_first  DOUBLE NOT NULL,
    clustered_at         TIMESTAMP NOT NULL
);

CREATE VIEW story_clusters AS
SELECT m.cluster_id, m.article_id, a.source, a.title, a.canonical_url, a.published_at,
       m.similarity_to_first AS similarity, m.position,
       count(*) OVER (PARTITION BY m.cluster_id) AS members,
       count(DISTINCT a.source) OVER (PARTITION BY m.cluster_id) AS sources
FROM story_members m JOIN articles a ON a.article_id = m.article_id;
