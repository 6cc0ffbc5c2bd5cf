-- Change history for analysts: one row per change, one article's versions, the warehouse as of a moment.
-- Plain SQL (no Python functions), so any DuckDB client opened on the file can use them. Times are UTC.

-- Every change after an article was first seen: edits, retitles, deletions, restorations and
-- re-extractions. A re-extraction is presswatch reading an archived capture again with other
-- extractor settings, never the publisher's doing: publisher_change tells them apart.
CREATE VIEW article_changes AS
SELECT v.article_id,
       v.canonical_url,
       v.source,
       coalesce(v.title, p.title)            AS title,
       v.change_kind,
       v.change_kind <> 'reextracted'        AS publisher_change,
       v.silent,
       p.version                             AS from_version,
       v.version                             AS to_version,
       v.valid_from                          AS detected_at,
       v.words_added,
       v.words_removed,
       v.changed_sentence,
       v.previous_sentence,
       v.changed_fields,
       p.title                               AS previous_title,
       v.http_status,                        -- 404 or 410 on a deletion
       v.url,
       v.extractor_version,
       p.extractor_version                   AS previous_extractor_version
FROM article_versions v
LEFT JOIN article_versions p ON p.article_id = v.article_id AND p.version = v.version - 1
WHERE v.change_kind <> 'new';

-- Every version of one article, oldest first, found by its canonical URL or any URL it was fetched at.
-- (Inside a macro a parameter shadows a column of the same name, so the parameter is read once,
-- alone, in `wanted`, and every column below is qualified.)
CREATE MACRO article_history(url) AS TABLE
WITH wanted AS (SELECT url AS page)
SELECT v.*
FROM article_versions v
WHERE v.article_id IN (
    SELECT a.article_id FROM article_versions a, wanted w WHERE a.canonical_url = w.page OR a.url = w.page
)
ORDER BY v.valid_from, v.article_id, v.version;

-- What every article said at moment ts (UTC): the version valid then, without articles deleted by then.
CREATE MACRO as_of(ts) AS TABLE
SELECT v.article_id, v.source, v.canonical_url, v.version, v.title, v.text, v.author, v.published_at,
       v.language, v.site_name, v.tags, v.description, v.change_kind,
       v.valid_from AS version_since, v.valid_to AS version_until,
       v.content_hash, v.extractor, v.extractor_version
FROM article_versions v
WHERE v.valid_from <= CAST(ts AS TIMESTAMP)
  AND (v.valid_to IS NULL OR v.valid_to > CAST(ts AS TIMESTAMP))
  AND v.change_kind <> 'deleted';
