-- One vocabulary for a crawl's outcome: crawl_runs.outcome is ok | failed, as `runs`, `sources`
-- and the run report say it. `status` stays the batch's closing state (complete | interrupted).
ALTER TABLE crawl_runs ADD COLUMN outcome VARCHAR;
UPDATE crawl_runs SET outcome = CASE WHEN error IS NULL AND status = 'complete' THEN 'ok' ELSE 'failed' END
WHERE outcome IS NULL;

-- The registry file each source was last crawled from, so that commands run with another
-- registry can say which of the warehouse's sources it lacks and where they came from.
ALTER TABLE sources ADD COLUMN registry VARCHAR;
