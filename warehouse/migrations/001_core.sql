-- The core warehouse: sources, runs, every request, and every version of every article.
-- DuckLake has no keys, indexes or sequences: the loader keeps ids unique and `presswatch check` verifies it.
-- All times are UTC.

CREATE TABLE sources (
    name            VARCHAR NOT NULL,
    label           VARCHAR,
    language        VARCHAR,
    allowed_domains VARCHAR[],
    first_seen_at   TIMESTAMP,
    updated_at      TIMESTAMP
);

-- One row per crawl of one source (a staged batch), written when the batch is loaded.
CREATE TABLE crawl_runs (
    batch_id       VARCHAR NOT NULL,
    run_id         VARCHAR,
    source         VARCHAR NOT NULL,
    status         VARCHAR NOT NULL,      -- complete | interrupted
    started_at     TIMESTAMP,
    finished_at    TIMESTAMP,
    loaded_at      TIMESTAMP NOT NULL,
    pages_fetched  INTEGER,
    new_articles   INTEGER,
    edited         INTEGER,
    retitled       INTEGER,
    deleted        INTEGER,
    restored       INTEGER,
    reextracted    INTEGER,
    unchanged      INTEGER,
    not_modified   INTEGER,
    missing        INTEGER,               -- 404/410/soft-404 answers not yet confirmed as deletions
    errors         INTEGER,
    archive_bytes  BIGINT,
    error          VARCHAR                -- why the crawl process ended early, when it did
);

-- Every request the crawler made (feeds, sitemaps, listings, articles) and how it ended.
CREATE TABLE fetches (
    batch_id     VARCHAR NOT NULL,
    source       VARCHAR NOT NULL,
    kind         VARCHAR,                 -- feed | sitemap | listing | article
    url          VARCHAR NOT NULL,
    final_url    VARCHAR,
    status       INTEGER,
    bytes        BIGINT,
    duration_ms  INTEGER,
    outcome      VARCHAR,                 -- article | not_modified | unchanged_body | gone | no_article | skipped | failed | ok
    error        VARCHAR,
    article_id   VARCHAR,
    fetched_at   TIMESTAMP
);

-- Type-2 history: one row per version; the current one has valid_to NULL.
CREATE TABLE article_versions (
    article_id        VARCHAR NOT NULL,
    version           INTEGER NOT NULL,
    canonical_url     VARCHAR NOT NULL,
    source            VARCHAR NOT NULL,
    change_kind       VARCHAR NOT NULL,   -- new | edited | retitled | deleted | restored | reextracted
    changed_fields    VARCHAR[],
    silent            BOOLEAN,            -- edited while the page's own update signals stayed the same
    words_added       INTEGER,
    words_removed     INTEGER,
    changed_sentence  VARCHAR,            -- the first sentence of the new text that differs
    previous_sentence VARCHAR,            -- what stood there before
    title             VARCHAR,
    text              VARCHAR,
    author            VARCHAR,
    published_at      DATE,
    modified_at       VARCHAR,            -- the page's own dateModified / article:modified_time
    updated_label     VARCHAR,            -- the page's visible "Updated: ..." label
    language          VARCHAR,
    site_name         VARCHAR,
    tags              VARCHAR[],
    description       VARCHAR,
    content_hash      VARCHAR,            -- sha256 of normalised title and text
    extractor         VARCHAR,
    extractor_version VARCHAR,
    raw_hash          VARCHAR,            -- sha256 of the raw capture's body
    url               VARCHAR,            -- the URL fetched for this version
    http_status       INTEGER,
    last_modified     VARCHAR,
    sitemap_lastmod   VARCHAR,
    warc_file         VARCHAR,
    warc_offset       BIGINT,
    warc_length       BIGINT,
    valid_from        TIMESTAMP NOT NULL,
    valid_to          TIMESTAMP,
    last_seen_at      TIMESTAMP,
    batch_id          VARCHAR
);

-- What the loader and the revisit planner remember per article between runs.
CREATE TABLE article_state (
    article_id       VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    url              VARCHAR NOT NULL,
    first_seen_at    TIMESTAMP,
    last_checked_at  TIMESTAMP,
    last_changed_at  TIMESTAMP,
    missing_count    INTEGER DEFAULT 0,
    missing_since    TIMESTAMP,
    missing_reason   VARCHAR,
    etag             VARCHAR,
    last_modified    VARCHAR,
    raw_hash         VARCHAR,
    last_discovered_at        TIMESTAMP,  -- last run whose feeds, sitemaps or listings linked to it
    discovered_via            VARCHAR,
    dropped_from_discovery_at TIMESTAMP   -- it vanished from discovery but still answers
);

CREATE TABLE loaded_batches (
    batch_id   VARCHAR NOT NULL,
    source     VARCHAR,
    records    INTEGER,
    loaded_at  TIMESTAMP
);

-- The current version of every live article.
CREATE VIEW articles AS
SELECT article_id, source, canonical_url, version, title, text, author, published_at, language,
       site_name, tags, description, change_kind, valid_from AS version_since, last_seen_at,
       content_hash, extractor, extractor_version
FROM article_versions
WHERE valid_to IS NULL AND change_kind <> 'deleted';

-- Articles that vanished from their feed, sitemap or listing but still answer: not deletions.
CREATE VIEW discovery_drops AS
SELECT s.article_id, s.source, a.canonical_url, a.title, s.discovered_via, s.last_discovered_at,
       s.dropped_from_discovery_at
FROM article_state s JOIN articles a USING (article_id)
WHERE s.dropped_from_discovery_at IS NOT NULL;
