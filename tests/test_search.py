"""Search and trends from the term index (issue 20), on a warehouse crawled from the demo site
through an edit, a deletion and a restoration: the index answers what a scan of the texts answers,
`search()` and `presswatch search` speak the query language, `check` catches a tampered index and
`reindex` repairs it.

Expected answers are computed here by the definition itself: migration 003's scanning macros and
mention_count run over every text (`scan_macros`), never written down by hand.
"""

from __future__ import annotations

import csv
import io
import json
import shutil

import duckdb
import pytest

from tests.conftest import Pipeline, run_cli
from warehouse.attach import attach_statements
from warehouse.db import connect
from warehouse.search_index import scan_macros

TERMS = (
    "xinjiang",
    "human rights",
    "vocational education and training",
    "supported by the facts",  # only in the edited version
    "lies fabricated",  # only in the version the edit replaced
    "tourism",  # the article deleted, then restored, is about it
    "幸福生活",
    "疆",  # one CJK character
    "COVID-19",
    "nothing-like-this",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_story) -> Pipeline:
    """Every outlet crawled at stage 1; then the site edits one article and deletes another
    (stage 2), then restores it (stage 3), each crawled and loaded: a copy of the session's story."""
    return demo_story.copy("stage3", tmp_path_factory.mktemp("search"))


def _session(db) -> duckdb.DuckDBPyConnection:
    """A fresh DuckDB session set up by `presswatch attach`'s statements, as an analyst's would be."""
    con = duckdb.connect()
    for statement in attach_statements(db):
        con.execute(statement)
    for statement in scan_macros():
        con.execute(statement)
    return con


def test_the_index_answers_what_a_scan_answers_through_edits_deletions_and_restorations(demo):
    kinds = {kind for (kind,) in demo.query("SELECT DISTINCT change_kind FROM article_versions")}
    assert {"new", "edited", "deleted", "restored"} <= kinds
    with _session(demo.db) as con:
        for term in TERMS:
            for bucket in ("week", "month") if term in ("xinjiang", "疆") else ("week",):
                index = con.execute(
                    "SELECT term, bucket, source, articles, mentions FROM term_trend(?, bucket := ?) ORDER BY ALL",
                    [term, bucket],
                ).fetchall()
                scan = con.execute(
                    "SELECT * FROM term_trend_scan(?, bucket := ?) ORDER BY ALL", [term, bucket]
                ).fetchall()
                assert index == scan, term
            spread = con.execute("SELECT * FROM phrase_spread(?)", [term]).fetchall()
            assert spread == con.execute("SELECT * FROM phrase_spread_scan(?)", [term]).fetchall(), term
        assert con.execute("SELECT count(*) FROM term_trend('supported by the facts')").fetchall()[0][0] > 0
        assert con.execute("SELECT count(*) FROM term_trend('lies fabricated')").fetchall()[0][0] == 0
        assert con.execute("SELECT count(*) FROM phrase_spread('lies fabricated')").fetchall()[0][0] == 1
        # share: the articles mentioning the term over all live articles of that bucket and source
        for bucket, source, articles, share in con.execute(
            "SELECT bucket, source, articles, share FROM term_trend('xinjiang', bucket := 'month')"
        ).fetchall():
            live = con.execute(
                "SELECT count(*) FROM articles WHERE source = ? AND date_trunc('month', coalesce(published_at, "
                "version_since::DATE)) = ?",
                [source, bucket],
            ).fetchall()[0][0]
            assert share == round(articles / live, 4)
    assert run_cli("--db", str(demo.db), "--data", str(demo.settings.data), "check").returncode == 0


def _scan_search(con, clauses: list[tuple[str, str, bool]]) -> set[str]:
    """Live article ids matching every (field, term, negated) clause, by scanning every text."""
    found = None
    for field, term, negated in clauses:
        where = {
            "any": "mention_count(article_body(title, text), ?) > 0",
            "title": "mention_count(title, ?) > 0",
            "source": "source = ?",
        }[field]
        hits = {row[0] for row in con.execute(f"SELECT article_id FROM articles WHERE {where}", [term]).fetchall()}
        if negated:
            hits = {row[0] for row in con.execute("SELECT article_id FROM articles").fetchall()} - hits
        found = hits if found is None else found & hits
    return found or set()


@pytest.mark.parametrize(
    "query, clauses",
    [
        ('"human rights" xinjiang', [("any", "human rights", False), ("any", "xinjiang", False)]),
        ("xinjiang -tourism", [("any", "xinjiang", False), ("any", "tourism", True)]),
        ("xinjiang NOT tourism", [("any", "xinjiang", False), ("any", "tourism", True)]),
        ("新疆 幸福生活", [("any", "新疆", False), ("any", "幸福生活", False)]),
        ("title:xinjiang source:globaltimes", [("title", "xinjiang", False), ("source", "globaltimes", False)]),
    ],
)
def test_search_macro_in_any_duckdb_session(demo, query, clauses):
    with _session(demo.db) as con:
        rows = con.execute("SELECT article_id, published_at FROM search(?)", [query]).fetchall()
        assert {row[0] for row in rows} == _scan_search(con, clauses)
        assert rows, query
        dates = [row[1] for row in rows]
        assert dates == sorted(dates, reverse=True)  # newest first


def test_search_or_prefix_versions_and_bounds(demo):
    with _session(demo.db) as con:
        either = {r[0] for r in con.execute("SELECT article_id FROM search('tourism OR 幸福生活')").fetchall()}
        assert either == _scan_search(con, [("any", "tourism", False)]) | _scan_search(
            con, [("any", "幸福生活", False)]
        )
        prefixed = {r[0] for r in con.execute("SELECT article_id FROM search('vocation*')").fetchall()}
        words = {
            r[0]
            for r in con.execute(
                "SELECT article_id FROM articles WHERE regexp_matches(lower(article_body(title, text)), "
                "'(^|[^\\pL\\pN\\pM])vocation')"
            ).fetchall()
        }
        assert prefixed == words and prefixed
        # every version that said it, the replaced one and the deleted article's included
        said = con.execute("SELECT article_id, version FROM search('\"lies fabricated\"', versions := true)").fetchall()
        assert len(said) == 1 and not con.execute("SELECT * FROM search('\"lies fabricated\"')").fetchall()
        first = con.execute("SELECT min(published_at) FROM search('xinjiang')").fetchall()[0][0]
        later = con.execute("SELECT count(*) FROM search('xinjiang', since := ?)", [first]).fetchall()[0][0]
        assert later == con.execute("SELECT count(*) FROM search('xinjiang')").fetchall()[0][0]
        assert not con.execute("SELECT * FROM search('xinjiang', until := ?)", [first.replace(year=2000)]).fetchall()
        for versions in (False, True):  # the newest few are looked up, every match is read with the live set
            every = con.execute("SELECT * FROM search('xinjiang', versions := ?)", [versions]).fetchall()
            newest = con.execute("SELECT * FROM search('xinjiang', versions := ?, newest := 3)", [versions]).fetchall()
            assert len(every) > 3 and newest == every[:3]
        with pytest.raises(duckdb.InvalidInputException, match="unbalanced"):
            con.execute("SELECT * FROM search('\"human rights')").fetchall()


@pytest.mark.parametrize(
    "query, named",
    [
        ('"human rights" xinjiang', ""),
        ("xinjiang -tourism", ", source := 'chinadaily'"),
        ("tourism OR 幸福生活 OR 疆", ""),
        ("title:xinjiang source:globaltimes", ""),
        ("vocation* -xinjiang", ""),
        ("-xinjiang", ""),  # nothing required: every live article tested
        ('"lies fabricated"', ", versions := true"),
        ("xinjiang", ", since := '2021-02-01', until := '2021-03-01'"),
    ],
)
def test_search_matches_finds_what_search_finds(demo, query, named):
    """search_matches (migration 017) restates search()'s matching without titles and snippets:
    the same matches, with the source, date and publication date search() gives them."""
    with _session(demo.db) as con:
        shown = con.execute(f"SELECT source, published_at FROM search(?{named}) ORDER BY ALL", [query]).fetchall()
        counted = con.execute(
            f"SELECT source, published_at FROM search_matches(?{named}) ORDER BY ALL", [query]
        ).fetchall()
        assert counted == shown and shown, query
        days = con.execute(
            f"SELECT count(*) FROM search_matches(?{named}) WHERE day <> coalesce(published_at, day)", [query]
        ).fetchall()[0][0]
        assert days == 0


def test_presswatch_search_table_formats_counts_and_sql(demo):
    db = ["--db", str(demo.db)]
    table = run_cli(*db, "search", "xinjiang OR 新疆", "--limit", "2")
    assert table.returncode == 0, table.stderr
    total = len(json.loads(run_cli(*db, "search", "xinjiang OR 新疆", "--format", "json").stdout))
    assert f"{total - 2:,} more (of {total:,} matches)" in table.stdout
    rows = list(
        csv.DictReader(io.StringIO(run_cli(*db, "search", "(xinjiang OR 新疆) -tourism", "--format", "csv").stdout))
    )
    assert rows and all(row["snippet"] for row in rows)
    counted = run_cli(*db, "search", "xinjiang", "--count-by", "source", "--format", "json")
    assert sum(row["matches"] for row in json.loads(counted.stdout)) == len(
        json.loads(run_cli(*db, "search", "xinjiang", "--format", "json").stdout)
    )
    shown = run_cli(*db, "search", "(tourism OR 疆) source:chinadaily OR source:xjgov", "--format", "json", "--sql")
    statement = shown.stderr.strip()
    assert statement.startswith("SELECT * FROM search(") and statement.endswith(";")
    with _session(demo.db) as con:  # the SQL it printed, in any DuckDB session, gives the same rows
        again = con.execute(statement.rstrip(";")).fetchall()
    assert [row[0] for row in again] == [row["article_id"] for row in json.loads(shown.stdout)]


@pytest.mark.parametrize(
    "query, said",
    [
        ('"human rights', 'unbalanced " (at character 1)'),
        ("xinjiang OR", "ends too soon"),
        ("(xinjiang OR tourism", "the ( at character 1 is never closed"),
        ("xinjiang~2", "is not supported"),
        ("colour:red", "unknown field colour"),
        ("!!!", "nothing to search for"),
    ],
)
def test_a_malformed_query_gets_one_sentence(demo, query, said):
    for counting in ([], ["--count-by", "source"]):  # the table asks search(), a count search_matches()
        result = run_cli("--db", str(demo.db), "search", query, *counting)
        assert result.returncode == 2 and said in result.stderr, result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    with _session(demo.db) as con, pytest.raises(duckdb.InvalidInputException, match="unbalanced"):
        con.execute("SELECT count(*) FROM search_matches('\"human rights')").fetchall()


@pytest.mark.parametrize(
    ("tampering", "named"),
    [
        (
            "DELETE FROM search_terms WHERE term = 'xinjiang' AND block = (SELECT min(block) FROM search_terms "
            "WHERE term = 'xinjiang')",
            "search_terms (1)",
        ),
        (  # a line dated a day early would move an outlet's first use of a phrase
            "UPDATE search_lines SET said_on = said_on - 1 WHERE doc = (SELECT min(doc) FROM search_lines) AND line = 1",
            "search_lines_dated (1)",
        ),
    ],
)
def test_check_fails_on_a_tampered_index_and_reindex_repairs_it(demo, tmp_path, tampering, named):
    db = tmp_path / "warehouse"
    shutil.copytree(demo.db, db)
    with connect(db) as con:
        con.execute(tampering)
    where = ("--db", str(db), "--data", str(demo.settings.data))
    tampered = run_cli(*where, "check")
    assert tampered.returncode == 4, tampered.stdout
    assert "violation(s)" in tampered.stderr and named in tampered.stderr, tampered.stderr
    repaired = run_cli(*where, "reindex")
    assert repaired.returncode == 0 and "term index rebuilt" in repaired.stdout, repaired.stderr
    assert run_cli(*where, "check").returncode == 0
    with _session(db) as con:
        assert (
            con.execute(
                "SELECT term, bucket, source, articles, mentions FROM term_trend('xinjiang') ORDER BY ALL"
            ).fetchall()
            == con.execute("SELECT * FROM term_trend_scan('xinjiang') ORDER BY ALL").fetchall()
        )


def test_an_index_without_dated_lines_gets_them_when_migrated(demo, tmp_path):
    """A warehouse of the previous release (migration 010: the index's lines without their
    documents' dates) gets them from migration 011, and phrase_spread answers as the scan does."""
    db = tmp_path / "warehouse"
    shutil.copytree(demo.db, db)
    with connect(db) as con:
        for column in ("art", "version", "source", "said_on", "valid_from"):
            con.execute(f"ALTER TABLE search_lines DROP COLUMN {column}")
        con.execute("DELETE FROM schema_migrations WHERE version = 11")
    with connect(db):  # the next writer migrates
        pass
    checked = run_cli("--db", str(db), "--data", str(demo.settings.data), "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with _session(db) as con:
        assert con.execute("SELECT count(*) FROM search_lines WHERE said_on IS NULL").fetchall() == [(0,)]
        for term in ("human rights", "tourism", "幸福生活", "lies fabricated"):
            spread = con.execute("SELECT * FROM phrase_spread(?)", [term]).fetchall()
            assert spread and spread == con.execute("SELECT * FROM phrase_spread_scan(?)", [term]).fetchall(), term


def test_lines_an_older_presswatch_wrote_without_dates_still_count_in_phrase_spread(demo, tmp_path):
    """During a rolling upgrade an older machine's loads write index lines without migration 011's
    columns: phrase_spread dates those from their documents, and check names them."""
    db = tmp_path / "warehouse"
    shutil.copytree(demo.db, db)
    with connect(db) as con:
        con.execute(
            "UPDATE search_lines SET art = NULL, version = NULL, source = NULL, said_on = NULL, valid_from = NULL "
            "WHERE doc % 2 = 0"
        )
    with _session(db) as con:
        for term in ("human rights", "tourism", "幸福生活", "lies fabricated", "supported by the facts"):
            spread = con.execute("SELECT * FROM phrase_spread(?)", [term]).fetchall()
            assert spread and spread == con.execute("SELECT * FROM phrase_spread_scan(?)", [term]).fetchall(), term
    checked = run_cli("--db", str(db), "--data", str(demo.settings.data), "check")
    assert checked.returncode == 4 and "search_lines_dated" in checked.stderr, checked.stderr


def test_an_older_warehouse_gets_its_index_when_migrated(demo, tmp_path):
    """A warehouse of the previous release (migrations 1-5, no index) is indexed by the migration
    that creates the index, in the same transaction: no snapshot has versions without their index."""
    from warehouse.db import migrations, open_location
    from warehouse.location import parse

    old = tmp_path / "warehouse"
    con = open_location(parse(str(old)), read_only=False)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("CREATE TABLE schema_migrations (version INTEGER NOT NULL, name VARCHAR, applied_at TIMESTAMP)")
        for number, name, sql in migrations():
            if number < 6:
                con.execute(sql)
                con.execute("INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [number, name])
        con.execute("COMMIT")
        columns = [d[0] for d in con.execute("SELECT * FROM article_versions LIMIT 0").description]
    finally:
        con.close()
    with connect(demo.db, read_only=True) as source:  # the columns that release had (no site_blocks of 007)
        rows = source.execute(f"SELECT {', '.join(columns)} FROM article_versions").fetchall()
    con = open_location(parse(str(old)), read_only=False)
    try:
        marks = ", ".join("?" for _ in columns)
        con.executemany(f"INSERT INTO article_versions ({', '.join(columns)}) VALUES ({marks})", rows)
    finally:
        con.close()
    with connect(old) as migrated:  # the next writer migrates
        assert migrated.execute("SELECT count(*) FROM search_docs").fetchall()[0][0] == sum(
            1 for row in rows if row[columns.index("change_kind")] != "deleted"
        )
        # migration 008 fills in what the loader records on each change (its previous title...)
        changes = migrated.execute("SELECT * FROM article_changes ORDER BY ALL").fetchall()
    with connect(demo.db, read_only=True) as loaded:
        assert changes == loaded.execute("SELECT * FROM article_changes ORDER BY ALL").fetchall()
    assert len(changes) == sum(1 for row in rows if row[columns.index("version")] > 1) > 0
    with _session(old) as con:
        for term in ("xinjiang", "幸福生活"):
            assert (
                con.execute(
                    "SELECT term, bucket, source, articles, mentions FROM term_trend(?) ORDER BY ALL", [term]
                ).fetchall()
                == con.execute("SELECT * FROM term_trend_scan(?) ORDER BY ALL", [term]).fetchall()
            )


def test_search_help_documents_the_language():
    result = run_cli("search", "--help")
    assert result.returncode == 0 and "title:word" in result.stdout and "--count-by" in result.stdout


def test_maintain_leaves_the_index_and_versions_sorted_for_their_lookups(demo, tmp_path):
    """DuckLake's SET SORTED BY (migration 006) is applied when maintain merges a table's files."""
    db = tmp_path / "warehouse"
    shutil.copytree(demo.db, db)
    done = run_cli("--db", str(db), "maintain", "--retention", "0s", "--grace", "0s")
    assert done.returncode == 0, done.stderr
    with connect(db, read_only=True) as con:
        for table, keys in (("search_terms", "term, block"), ("article_versions", "source, published_at, valid_from")):
            files = [
                row[0]
                for row in con.execute(f"SELECT data_file FROM ducklake_list_files('presswatch', '{table}')").fetchall()
            ]
            assert len(files) == 1, files  # merged
            unsorted = con.execute(
                f"SELECT count(*) FROM (SELECT {keys}, lag(({keys})) OVER () AS before FROM read_parquet(?)) "
                f"WHERE before > ({keys})",
                [files[0]],
            ).fetchall()[0][0]
            assert unsorted == 0, table
            assert _parquet_version(con, files[0]) == 2, table  # merged files are written as version 2
    assert run_cli("--db", str(db), "--data", str(demo.settings.data), "check").returncode == 0


def _parquet_version(con, data_file: str) -> int:
    return con.execute("SELECT format_version FROM parquet_file_metadata(?)", [data_file]).fetchall()[0][0]


def test_index_files_are_written_with_parquet_version_2_encodings(demo):
    """Migration 016: a crawl's files are Parquet version 2, whose delta encodings store the index's
    sorted integers and strings in about half the bytes of version 1's pages (docs/search.md)."""
    with connect(demo.db, read_only=True) as con:
        for table in ("search_terms", "search_lines"):
            files = [
                row[0]
                for row in con.execute(f"SELECT data_file FROM ducklake_list_files('presswatch', '{table}')").fetchall()
            ]
            assert files and {_parquet_version(con, f) for f in files} == {2}, table
