"""Republished stories: near-duplicate articles across outlets, kept up to date batch by batch.

1. Each live article gets a MinHash signature (datasketch) of its text without the headline:
   word 5-shingles, or character 3-grams when the text is mostly Chinese, Japanese or Korean.
2. The signature is cut into LSH bands, b bands of r values as datasketch's MinHashLSH chooses
   them for CANDIDATE_THRESHOLD, and the bands are stored in `story_bands`. An in-memory
   MinHashLSH would have to be rebuilt over the whole warehouse for every batch; the stored
   bands let a batch's articles find their candidates with one join.
3. Candidates from different sources whose estimated Jaccard similarity reaches THRESHOLD
   become `story_edges`.
4. Connected components of two articles or more are the clusters in `story_members`; a cluster
   is named after its earliest member (published_at, else first seen) and every member carries
   its similarity to that member.

`refresh_clusters` runs inside the caller's transaction (the loader's, for a batch) and redoes
only the components the given articles touch; with None it rebuilds everything.

signatures.py holds steps 1-2 (shingles, MinHash, band keys, `presign`), matching.py steps 3-4
(edges, components, clusters), refresh.py the refresh that runs them, tables.py the SQL helpers
they share, stories.py the reading side (`presswatch stories`).
"""

from warehouse.clusters.matching import THRESHOLD
from warehouse.clusters.refresh import METHOD, ClusterRefresh, refresh_clusters
from warehouse.clusters.signatures import BANDS, ROWS, presign, shingles, signature
from warehouse.clusters.stories import ClustersNotBuilt, story_clusters

__all__ = [
    "BANDS",
    "METHOD",
    "ROWS",
    "THRESHOLD",
    "ClusterRefresh",
    "ClustersNotBuilt",
    "presign",
    "refresh_clusters",
    "shingles",
    "signature",
    "story_clusters",
]
