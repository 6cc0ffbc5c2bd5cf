"""Defaults of the warehouse contract's rules (DESIGN.md, "Versioning"); a registry entry may change
the per-source ones, and its batches carry the values the loader applies.

Deletion: a page that answers 404/410, a soft 404 or a redirect off the article is tombstoned only
when it was missing on CONFIRM_DELETION consecutive checks at least DELETION_GRACE seconds apart.

Site templates (warehouse/template.py): a block (a line of extracted text) is the site's, not an
article's, once it occurs in at least TEMPLATE_MIN_ARTICLES distinct live articles of the source and
in at least TEMPLATE_SHARE of them, or, within one load, in at least TEMPLATE_MIN_ARTICLES of the
load's pages and TEMPLATE_SHARE of them (a redesign seen in one crawl of a big source). A source
with fewer articles than TEMPLATE_MIN_ARTICLES never has site blocks.

Extraction failure: when at least TEMPLATE_MIN_ARTICLES and at least FAILURE_SHARE of the known
articles a load re-read lost their article (no article text any more, or less than
FAILURE_RETAINED of the stored version's lines left), the load is an extraction failure for the
source: those pages are recorded as extract_failed and their versions stay current.
"""

CONFIRM_DELETION = 2
DELETION_GRACE = 86400.0
TEMPLATE_MIN_ARTICLES = 10
TEMPLATE_SHARE = 0.05
FAILURE_SHARE = 0.5
FAILURE_RETAINED = 0.5
