-- A page with no article (a soft 404, an index page that matches the article pattern) keeps its
-- validators, so an unchanged recrawl asks for it conditionally and reads it no further; the state
-- row says which extractor, with which settings' fingerprint, found no article in it, so a change of
-- either reads the page again (crawlers/spiders/press.py drops the validators then).
ALTER TABLE article_state ADD COLUMN no_article_extractor VARCHAR;
