"""Every table of a new warehouse carries DuckLake's statistics row, and no row of its own.

DuckLake 1.5.5 looks up the statistics of a table that never held a row again for every column of
every statement that reads it (ducklake#1313): 20-25 ms a statement where 2-5 ms is the rule, which
every statement of a new warehouse's first load paid. The migrations insert and delete a row in
each empty table, in their own transaction (warehouse/table_stats.py).
"""

from __future__ import annotations

from warehouse.db import connect

WITHOUT_STATS = """
SELECT t.table_name FROM __ducklake_metadata_presswatch.ducklake_table t
WHERE t.end_snapshot IS NULL
  AND t.table_id NOT IN (SELECT table_id FROM __ducklake_metadata_presswatch.ducklake_table_stats)
ORDER BY 1
"""


def test_a_new_warehouse_has_statistics_for_every_table_and_no_row_it_did_not_write(tmp_path):
    with connect(tmp_path / "warehouse") as con:
        tables = [
            name for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
        ]
        rows = {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in tables}
        assert con.execute(WITHOUT_STATS).fetchall() == []
        migrations = con.execute("SELECT count(*) FROM schema_migrations").fetchall()[0][0]
    assert len(tables) > 20
    assert {name: n for name, n in rows.items() if n} == {"schema_migrations": migrations, "search_settings": 1}


def test_the_first_crawl_leaves_no_table_without_statistics(demo_pipeline):
    crawl = demo_pipeline.cli("crawl", "--source", "unnews")
    assert crawl.returncode == 0, crawl.stderr
    with connect(demo_pipeline.db, read_only=True) as con:
        assert con.execute(WITHOUT_STATS).fetchall() == []
        assert con.execute("SELECT count(*) FROM story_edges").fetchall() == [(0,)]
