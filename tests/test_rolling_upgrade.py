"""A rolling upgrade (docs/operations.md): while machines are upgraded one by one, a newer version's
migration has added columns that the older machines still loading do not know. Every insert names
its columns, so an older machine keeps loading, recording runs and alert deliveries.

The story tables (story_settings, story_signatures, story_bands) are left out: warehouse/clusters.py
still inserts into them by position.
"""

from __future__ import annotations

from crawlers.registry import load_registry
from flows.notify.deliver import deliver
from tests.alert_receivers import webhook_receiver
from tests.conftest import make_pipeline
from tests.servers import Route, StaticSite, article_html, registry_entry, rss_feed
from warehouse.check import check_warehouse
from warehouse.db import connect

PARAGRAPHS = [
    "The regional government announced new measures for vocational training and employment on Monday.",
    "Officials said the programme would reach every county of the region before the end of the year.",
    "Observers noted that the announcement followed months of criticism from several foreign governments.",
]
POSITIONAL_ELSEWHERE = {"story_settings", "story_signatures", "story_bands"}


def _newer_version_migrates(db) -> list[str]:
    """What a newer presswatch's migration does to the warehouse: a new column in each table."""
    with connect(db) as con:
        tables = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'presswatch' ORDER BY 1"
            ).fetchall()
            if name not in POSITIONAL_ELSEWHERE
        ]
        con.execute("BEGIN TRANSACTION")
        for table in tables:
            con.execute(f"ALTER TABLE {table} ADD COLUMN added_by_a_newer_version VARCHAR")
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (999, '999_newer.sql')")
        con.execute("COMMIT")
    return tables


def test_an_older_machine_keeps_loading_after_a_newer_one_added_columns(tmp_path):
    pipeline = make_pipeline(tmp_path)
    routes = {"/a/1.html": Route(article_html("Measures announced", PARAGRAPHS))}
    with StaticSite(routes) as site, webhook_receiver() as (port, hooks):
        site.routes["/feed.xml"] = rss_feed(site.url, ["/a/1.html"])
        rule = f'\n[[alerts]]\nname = "all"\nchannels = ["json://127.0.0.1:{port}/all"]\n'
        pipeline.use_registry(
            registry_entry("s", site.url, feeds=[site.url + "/feed.xml"], article_pattern=r"/a/\d+\.html$") + rule
        )
        pipeline.crawl()
        widened = _newer_version_migrates(pipeline.db)
        assert {"sources", "fetches", "crawl_runs", "loaded_batches", "alert_deliveries"} <= set(widened)
        # The site edits its article and publishes another; this (older) machine crawls and loads.
        site.routes["/a/1.html"] = Route(article_html("Measures announced", [*PARAGRAPHS, "An added sentence."]))
        site.routes["/a/2.html"] = Route(article_html("A second story", PARAGRAPHS[::-1]))
        site.routes["/feed.xml"] = rss_feed(site.url, ["/a/1.html", "/a/2.html"])
        [result] = pipeline.crawl()
        [sent] = deliver(pipeline.db, pipeline.settings.data, load_registry(pipeline.settings.registry).alerts)
    assert result.counts["new"] == 1 and result.counts["edited"] == 1
    assert sent.error is None and sent.changes == 1 and len(hooks) == 1  # the edit
    assert pipeline.scalar("SELECT count(*) FROM crawl_runs") == 2
    assert pipeline.scalar("SELECT count(*) FROM alert_delivery_state WHERE status = 'sent'") == 1
    assert check_warehouse(pipeline.db).ok
