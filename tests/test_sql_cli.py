"""`presswatch sql` as an analyst meets it: every statement's result, DuckDB's whole error, reads only."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from warehouse.db import connect


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    """An empty, migrated warehouse: the statements here need its tables, not its rows."""
    path = tmp_path_factory.mktemp("sql") / "warehouse.duckdb"
    with connect(path):
        pass
    return str(path)


def test_an_empty_query_is_refused_with_a_sentence(db):
    for query in ("", "  ", ";"):
        result = run_cli("--db", db, "sql", query)
        assert result.returncode == 1, (query, result.stdout)
        assert "no SQL statement given" in result.stderr and "Traceback" not in result.stderr


def test_errors_keep_duckdbs_hints(db):
    typo = run_cli("--db", db, "sql", "select * from articls")
    assert typo.returncode == 1
    assert 'Did you mean "articles"?' in typo.stderr
    assert "LINE 1: select * from articls" in typo.stderr and "^" in typo.stderr
    column = run_cli("--db", db, "sql", "select titel from articles")
    assert "Candidate bindings:" in column.stderr and '"title"' in column.stderr


def test_each_statement_shows_its_result(db):
    csv = run_cli("--db", db, "sql", "select 1 as a; select 2 as b, 3 as c", "--format", "csv")
    assert csv.returncode == 0, csv.stderr
    assert csv.stdout == "a\n1\n\nb,c\n2,3\n"
    table = run_cli("--db", db, "sql", "select 'first' as one; select 'second' as two")
    assert "first" in table.stdout and "second" in table.stdout
    assert "select 'second' as two" in table.stdout  # each table says which statement it answers
    documents = run_cli("--db", db, "sql", "select 1 as a; select 2 as b", "--format", "json").stdout
    decoder = json.JSONDecoder()
    first, end = decoder.raw_decode(documents)
    second, _ = decoder.raw_decode(documents[end:].lstrip())
    assert (first, second) == ([{"a": 1}], [{"b": 2}])


def test_csv_lines_end_in_newline_only(db):
    result = run_cli("--db", db, "sql", "select count(*) as n from articles", "--format", "csv", text=False)
    assert result.returncode == 0
    assert result.stdout == b"n\n0\n"


@pytest.mark.parametrize(
    "statement",
    [
        "copy (select 1) to '{out}'",
        "export database '{out}'",
        "attach '{out}' as other",
        "install json",
        "load json",
        "set threads = 1",
        "set variable x = 1",
        "create table t (a int)",
        "insert into articles (title) values ('x')",
        "delete from article_versions",
        "pragma enable_profiling",
        "copy from database memory to other",
        "explain analyze copy (select 1) to '{out}'",
        "call checkpoint()",
        "select 1; copy (select 1) to '{out}'",
    ],
)
def test_anything_but_a_read_is_refused_before_it_runs(db, tmp_path, statement):
    out = tmp_path / "written"
    result = run_cli("--db", db, "sql", statement.format(out=out))
    assert result.returncode == 1, result.stdout
    assert "presswatch sql is read-only" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "statement",
    [
        "describe articles",
        "show tables",
        "summarize select 1 as a",
        "from articles",
        "values (1)",
        "with x as (select 1 as a) select * from x",
        "explain select 1",
        "explain analyze select 1",
        "pragma show_tables",
        "pragma table_info('articles')",
        "select * from duckdb_tables()",
    ],
)
def test_reads_run(db, statement):
    result = run_cli("--db", db, "sql", statement, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout), list)


def test_readers_never_wait_for_a_load_and_offer_no_wait(db):
    """`sql` and `check` read their own snapshot while a writer holds the warehouse's write lock (as a
    load does), so neither has a --wait to offer."""
    import fcntl
    from pathlib import Path

    from warehouse.locks import LOCK_FILE

    with open(Path(db) / LOCK_FILE, "a+") as writer:
        fcntl.flock(writer, fcntl.LOCK_EX)  # a load in progress
        answered = run_cli("--db", db, "sql", "select count(*) as n from articles", "--format", "json")
        assert answered.returncode == 0 and json.loads(answered.stdout) == [{"n": 0}], answered.stderr
        for command in (["sql", "select 1"], ["check"]):
            offered = run_cli("--db", db, *command, "--wait", "5")
            assert offered.returncode == 2 and "No such option '--wait'" in offered.stderr, command
