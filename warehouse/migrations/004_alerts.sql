-- Alert deliveries: the ledger that makes every alert go out exactly once per rule, channel and change.
-- Append-only (DuckLake-friendly: no keys, no updates): each attempt is a row, and the state of a
-- (rule, channel, change) is its latest row. A change is an article version: (article_id, version).
-- The channel is stored as a hash of its URL as written in the registry (before ${VAR} expansion)
-- plus a redacted form for people; never the URL itself, which may hold a password or a token.
CREATE TABLE alert_deliveries (
    rule          VARCHAR NOT NULL,
    channel_hash  VARCHAR NOT NULL,       -- sha256 of the channel URL as written in the registry
    channel       VARCHAR,                -- redacted: scheme and host, no credentials or tokens
    article_id    VARCHAR NOT NULL,
    version       INTEGER NOT NULL,
    change_kind   VARCHAR,
    status        VARCHAR NOT NULL,       -- claimed | sent | failed
    error         VARCHAR,                -- why a failed attempt failed (secrets removed)
    message_id    VARCHAR,                -- one id per message: the changes sent together share it
    attempted_at  TIMESTAMP NOT NULL,
    run_id        VARCHAR
);

-- The latest attempt of every (rule, channel, change): what has been sent, what is still failing.
CREATE VIEW alert_delivery_state AS
SELECT *
FROM alert_deliveries
QUALIFY row_number() OVER (PARTITION BY rule, channel_hash, article_id, version
                           ORDER BY attempted_at DESC, CASE status WHEN 'sent' THEN 0 WHEN 'failed' THEN 1 ELSE 2 END) = 1;

-- When each digest rule last went out (or was last due with nothing to send), so the next one covers the time since.
CREATE TABLE alert_digests (
    rule       VARCHAR NOT NULL,
    ran_at     TIMESTAMP NOT NULL,
    changes    INTEGER
);
