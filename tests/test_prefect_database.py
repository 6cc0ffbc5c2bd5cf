"""A Prefect server on a new data folder starts from a migrated copy of the first one's database."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from flows.prefect_database import save_template, start_from_template, template_path
from flows.prefect_server import PrefectServer, healthy


def _rows(database, query: str) -> list:
    with closing(sqlite3.connect(database)) as con:
        return con.execute(query).fetchall()


def test_the_first_server_migrates_and_later_new_folders_start_from_its_database(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # a machine that never ran presswatch
    template = template_path()
    assert not template.exists()

    with PrefectServer.for_one_command(tmp_path / "first" / "prefect") as first:
        assert healthy(first.api_url)
    assert template.is_file()  # saved when the server first answered, migrated and without runs
    [head] = _rows(template, "SELECT version_num FROM alembic_version")
    assert _rows(template, "SELECT count(*) FROM flow_run") == [(0,)]
    saved = template.stat().st_mtime_ns

    second = PrefectServer.for_one_command(tmp_path / "second" / "prefect")
    with second:
        assert not second.migrates and healthy(second.api_url)
        assert _rows(second.home / "prefect.db", "SELECT version_num FROM alembic_version") == [head]
    assert template.stat().st_mtime_ns == saved  # copied, not saved again


def test_an_unusable_cache_only_means_migrating_again(tmp_path, monkeypatch):
    (tmp_path / "cache").write_text("a file where the cache folder should be\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    database = tmp_path / "prefect.db"
    assert not start_from_template(database) and not database.exists()
    with closing(sqlite3.connect(database)) as con:
        con.execute("CREATE TABLE alembic_version (version_num TEXT)")
        con.execute("INSERT INTO alembic_version VALUES ('head')")
        con.commit()
    save_template(database)  # nowhere to keep it: no error, nothing kept
    assert (tmp_path / "cache").is_file()
