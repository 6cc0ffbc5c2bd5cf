"""Defaults of the warehouse contract's deletion rule (DESIGN.md, "Versioning"); a registry entry
may change them, and its batches carry the values the loader applies.

A page that answers 404/410, a soft 404 or a redirect off the article is tombstoned only when it
was missing on CONFIRM_DELETION consecutive checks at least DELETION_GRACE seconds apart.
"""

CONFIRM_DELETION = 2
DELETION_GRACE = 86400.0
