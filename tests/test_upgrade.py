"""`presswatch upgrade`: a one-file DuckDB warehouse of presswatch 0.1 (its schema verbatim, in
tests/fixtures/schema_0_1.sql) converts into a DuckLake keeping every version, fetch, run, cluster
and archive pointer; the old file is refused by every other command with a pointer to `upgrade`."""

from __future__ import annotations

from pathlib import Path

import duckdb

from demo_site import DemoSite, demo_registry
from tests.conftest import make_pipeline, run_cli
from warehouse.db import connect

LEGACY_SCHEMA = Path(__file__).parent / "fixtures" / "schema_0_1.sql"
TABLES = (
    "sources",
    "crawl_runs",
    "fetches",
    "article_versions",
    "article_state",
    "loaded_batches",
    "story_settings",
    "story_signatures",
    "story_bands",
    "story_edges",
    "story_members",
)


def _legacy_copy(lake, target: Path) -> None:
    """A 0.1 warehouse file holding exactly the rows of `lake`."""
    with duckdb.connect(str(target)) as legacy:
        legacy.execute(LEGACY_SCHEMA.read_text(encoding="utf-8"))
        legacy.execute(
            "INSERT INTO schema_migrations VALUES (1, '001_core.sql', now()), (2, '002_history.sql', now()), "
            "(3, '003_trends.sql', now())"
        )
    with connect(lake, read_only=True) as con:
        con.execute(f"ATTACH '{target}' AS legacy")
        for table in TABLES:
            # 0.1 had no crawl_runs.outcome nor sources.registry: only its own columns are copied.
            kept = _legacy_columns(con, table)
            con.execute(f"INSERT INTO legacy.main.{table} SELECT {kept} FROM presswatch.main.{table}")
        con.execute("DETACH legacy")


def _legacy_columns(con, table: str) -> str:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'legacy' AND table_name = ? "
        "ORDER BY column_index",
        [table],
    ).fetchall()
    return ", ".join(name for (name,) in rows)


def test_upgrade_keeps_every_row_and_archive_pointer(tmp_path):
    (tmp_path / "old").mkdir()
    pipeline = make_pipeline(tmp_path / "old")
    with DemoSite(port=0) as site:
        pipeline.use_registry(demo_registry(site.base_url)).crawl("globaltimes", "xjgov")
        site.set_stage(2)
        pipeline.crawl("globaltimes", "xjgov")  # an edit: two versions of one article
    legacy = tmp_path / "presswatch.duckdb"
    _legacy_copy(pipeline.db, legacy)

    refused = run_cli("--db", str(legacy), "sql", "select 1")
    assert refused.returncode == 1 and "presswatch upgrade" in refused.stderr, refused.stderr

    new = tmp_path / "warehouse"
    result = run_cli("--db", str(new), "upgrade", str(legacy))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"converted {legacy} into" in result.stdout
    with connect(new, read_only=True) as con:
        con.execute(f"ATTACH '{legacy}' AS legacy (READ_ONLY)")
        for table in TABLES:
            old = con.execute(f"SELECT count(*) FROM legacy.main.{table}").fetchall()[0][0]
            kept = _legacy_columns(con, table)
            differ = con.execute(
                f"SELECT count(*) FROM ((SELECT * FROM legacy.main.{table} EXCEPT ALL SELECT {kept} FROM {table}) "
                f"UNION ALL (SELECT {kept} FROM {table} EXCEPT ALL SELECT * FROM legacy.main.{table}))"
            ).fetchall()[0][0]
            assert differ == 0, table
            assert table in ("story_edges", "story_members", "story_settings") or old > 0, table
        assert con.execute("SELECT max(version) FROM article_versions").fetchall()[0][0] == 2
        assert con.execute("SELECT DISTINCT outcome FROM crawl_runs").fetchall() == [("ok",)]  # filled in
        # each source's site template counted from its stored texts (none recur on the demo site), no version added
        assert con.execute("SELECT source FROM template_state ORDER BY 1").fetchall() == [("globaltimes",), ("xjgov",)]
    check = run_cli("--db", str(new), "--data", str(pipeline.settings.data), "check", "--deep")
    assert check.returncode == 0, check.stdout + check.stderr  # every archive pointer still reads back
    again = run_cli("--db", str(new), "upgrade", str(legacy))
    assert again.returncode == 2 and "already holds data" in again.stderr
