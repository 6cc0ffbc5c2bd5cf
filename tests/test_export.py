"""`presswatch export` (issue 5): the warehouse as Hive-partitioned Parquet (or CSV) that other
engines read back with the same rows, on a warehouse built by crawling the demo site twice."""

from __future__ import annotations

import duckdb
import pytest

from tests.conftest import run_cli
from warehouse.db import connect


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, demo_story):
    """The demo warehouse (crawl, the site edits and deletes, crawl: a copy of the session's) and its tables' contents."""
    settings = demo_story.copy("stage2", tmp_path_factory.mktemp("export")).settings
    with connect(settings.db, read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary"
            ).fetchall()
        ]
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}
        versions = con.execute(
            "SELECT article_id, version, source, change_kind, content_hash, valid_from, text FROM article_versions ORDER BY 1, 2"
        ).fetchall()
        columns = [r[0] for r in con.execute("DESCRIBE article_versions").fetchall()]
    return settings.db, counts, versions, columns


def test_export_writes_versions_partitioned_by_source_and_month(warehouse, tmp_path):
    db, counts, versions, columns = warehouse
    target = tmp_path / "export"
    done = run_cli("--db", str(db), "export", str(target))
    assert done.returncode == 0, done.stderr
    assert "article_versions" in done.stdout and "written under" in done.stdout
    partitions = sorted(
        p.relative_to(target / "article_versions").parts[:2] for p in (target / "article_versions").rglob("*.parquet")
    )
    sources = {v[2] for v in versions}
    assert {part[0] for part in partitions} == {f"source={s}" for s in sources}
    assert all(part[1].startswith("month=") and len(part[1]) == len("month=2021-02") for part in partitions)

    engine = duckdb.connect()  # a separate engine that knows nothing of presswatch
    glob = str(target / "article_versions" / "**" / "*.parquet")
    read = f"read_parquet('{glob}', hive_partitioning = true)"
    back = engine.execute(
        f"SELECT article_id, version, source, change_kind, content_hash, valid_from, text FROM {read} ORDER BY 1, 2"
    ).fetchall()
    assert back == versions
    described = [r[0] for r in engine.execute(f"DESCRIBE SELECT * FROM {read}").fetchall()]
    assert set(described) == set(columns) | {"month"}
    assert (
        engine.execute(f"SELECT count(*) FROM {read} WHERE month <> strftime(valid_from, '%Y-%m')").fetchall()[0][0]
        == 0
    )


def test_every_other_table_is_one_parquet_file_with_the_same_rows(warehouse, tmp_path):
    db, counts, _, _ = warehouse
    target = tmp_path / "export"
    assert run_cli("--db", str(db), "export", str(target)).returncode == 0
    engine = duckdb.connect()
    for table in ("sources", "crawl_runs", "fetches", "article_state", "loaded_batches", "story_members"):
        path = target / f"{table}.parquet"
        assert engine.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0] == counts[table], table
    assert not (target / "story_bands.parquet").exists()  # derived index, rebuilt from article_versions


def test_csv_export_reads_back_too(warehouse, tmp_path):
    db, counts, _, _ = warehouse
    target = tmp_path / "csv"
    done = run_cli("--db", str(db), "export", str(target), "--format", "csv")
    assert done.returncode == 0, done.stderr
    engine = duckdb.connect()
    glob = str(target / "article_versions" / "**" / "*.csv")
    assert (
        engine.execute(f"SELECT count(*) FROM read_csv('{glob}', hive_partitioning = true)").fetchall()[0][0]
        == counts["article_versions"]
    )
    assert (
        engine.execute(f"SELECT count(*) FROM read_csv('{target / 'fetches.csv'}')").fetchall()[0][0]
        == counts["fetches"]
    )


def test_export_into_a_used_folder_needs_overwrite(warehouse, tmp_path):
    db, counts, _, _ = warehouse
    target = tmp_path / "export"
    assert run_cli("--db", str(db), "export", str(target)).returncode == 0
    again = run_cli("--db", str(db), "export", str(target))
    assert again.returncode == 1 and "not empty" in again.stderr and "--overwrite" in again.stderr
    again = run_cli("--db", str(db), "export", str(target), "--overwrite")
    assert again.returncode == 0, again.stderr
    glob = str(target / "article_versions" / "**" / "*.parquet")
    assert (
        duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()[0][0]
        == counts["article_versions"]
    )


def test_overwrite_in_another_format_leaves_only_the_new_export(warehouse, tmp_path):
    db, counts, _, _ = warehouse
    target = tmp_path / "export"
    assert run_cli("--db", str(db), "export", str(target)).returncode == 0
    (target / "notes.txt").write_text("mine")  # not the export's: stays
    again = run_cli("--db", str(db), "export", str(target), "--format", "csv", "--overwrite")
    assert again.returncode == 0, again.stderr
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*.parquet")) == []
    assert (target / "notes.txt").read_text() == "mine"
    glob = str(target / "article_versions" / "**" / "*.csv")
    assert (
        duckdb.connect().execute(f"SELECT count(*) FROM read_csv('{glob}', hive_partitioning = true)").fetchall()[0][0]
        == counts["article_versions"]
    )
    back = run_cli("--db", str(db), "export", str(target), "--format", "parquet", "--overwrite")
    assert back.returncode == 0, back.stderr
    assert [p.name for p in target.rglob("*.csv")] == []
    assert f"{sum(1 for _ in target.rglob('*.parquet'))} parquet file(s) written" in " ".join(back.stdout.split())
