"""Reading the clusters: `presswatch stories` and the `story_clusters` view."""

from __future__ import annotations

from warehouse.clusters.refresh import refresh_clusters
from warehouse.db import connect, location
from warehouse.errors import WarehouseError
from warehouse.trends import Rows


class ClustersNotBuilt(WarehouseError):
    """The story clusters of this warehouse were never computed."""


def story_clusters(db, rebuild: bool = False, wait: float = 5.0) -> Rows:
    """Every cluster's members, earliest first; with rebuild, recompute all clusters (one transaction) first."""
    if rebuild:
        with connect(db, wait=wait) as con:
            con.execute("BEGIN TRANSACTION")
            try:
                refresh_clusters(con, None)
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
    with connect(db, read_only=True, wait=wait) as con:
        if not con.execute("SELECT count(*) FROM story_settings").fetchall()[0][0]:
            raise ClustersNotBuilt(
                f"{location(db)}: story clusters were never computed; run `presswatch stories --rebuild`"
            )
        cursor = con.execute(
            """
            SELECT cluster_id, position, source, published_at, similarity, title, canonical_url
            FROM story_clusters
            ORDER BY min(coalesce(published_at, DATE '9999-12-31')) OVER (PARTITION BY cluster_id), cluster_id, position
            """
        )
        return Rows([d[0] for d in cursor.description], cursor.fetchall())
