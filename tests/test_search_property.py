"""Property: on any texts and any term, the term index finds exactly what mention_count finds when it
scans every text (whole words, case-insensitive, phrases within a line, CJK as substrings), and a
`word*` prefix exactly the words that start with it.

The warehouse's own migrations run in a plain in-memory DuckDB (minus the two DuckLake-only layout
statements) and the index is written by the loader's code (`rebuild` -> `index_versions`), so each
generated example costs milliseconds, not a lake.
"""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from warehouse.db import migrations
from warehouse.search_index import rebuild

# Letters of several scripts, digits, marks, white space and punctuation; CJK from the three scripts.
ALPHABET = "abcxyz ABC  éÉİıß 12 \u0301-.,'\"\n\t中文字新疆幸福生活ひらがなカタカナ한국어"
# Phrases whose occurrences can overlap and count ("x x x"), or that start or end with punctuation
# ("ab."), are counted by mention_count itself in search(); others by string functions (migration
# 012), those whose overlapping occurrences never count ("aba", "abab") included.
WORDS = ["abc", "ab", "x", "xyz", "éa", "12", "a-b", "中文", "新疆", "疆", "ひら", "한국", "abc abc", "ab x", "İa"]
WORDS += ["x x", "x x x", "ab.", ".ab", "a-b a-b", "ab\tx", "ab ab ab", "aba", "abab", "ab.ab"]


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("CREATE TABLE schema_migrations (version INTEGER, name VARCHAR, applied_at TIMESTAMP)")
    for _, _, sql in migrations():
        for statement in duckdb.extract_statements(sql):
            if "SET SORTED BY" in statement.query or "CALL set_option" in statement.query:
                continue  # DuckLake's layout options: nothing to lay out in memory
            con.execute(statement.query)
    yield con
    con.close()


def _load(con, texts: list[tuple[str | None, str]]) -> None:
    con.execute("DELETE FROM article_versions")
    for n, (title, text) in enumerate(texts):
        con.execute(
            "INSERT INTO article_versions (article_id, version, canonical_url, source, change_kind, title, text, "
            "valid_from) VALUES (?, 1, ?, 's', 'new', ?, ?, TIMESTAMP '2024-01-01' + to_days(?))",
            [f"a{n}", f"http://x/{n}", title, text, n],
        )
    rebuild(con)


def _index(con, term: str, prefix: bool) -> dict[str, int]:
    rows = con.execute(
        "SELECT d.article_id, sum(c.n) FROM pw_counted_all([{'i': 1, 'term': ?, 'prefix': ?}]) c "
        "JOIN search_lines l ON l.block = c.block JOIN search_docs d ON d.doc = l.doc WHERE c.n > 0 GROUP BY 1",
        [term, prefix],
    ).fetchall()
    return {article: int(n) for article, n in rows}


def _scan(con, term: str, prefix: bool) -> dict[str, int]:
    rows = con.execute(
        "SELECT article_id, pw_mentions(article_body(title, text), ?, ?) AS n FROM article_versions WHERE n > 0",
        [term, prefix],
    ).fetchall()
    return {article: int(n) for article, n in rows}


texts = st.lists(
    st.tuples(st.one_of(st.none(), st.text(ALPHABET, max_size=12)), st.text(ALPHABET, max_size=80)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=texts,
    terms=st.lists(st.one_of(st.sampled_from(WORDS), st.text(ALPHABET, min_size=1, max_size=6)), max_size=4),
)
def test_index_counts_equal_the_scan(con, texts, terms):
    _load(con, texts)
    bodies = [(title or "") + " " + text for title, text in texts]
    picked = [body[len(body) // 2 : len(body) // 2 + 5] for body in bodies[:2] if body.strip()]  # terms that occur
    for term in [*terms, *picked]:
        assert _index(con, term, False) == _scan(con, term, False), term
        word = term.strip().split(" ")[0].lower()
        if word and word.isalnum() and not any("\u3040" <= c <= "\ud7af" or "\u4e00" <= c <= "\u9fff" for c in word):
            assert _index(con, word, True) == _scan(con, word, True), word


@pytest.mark.parametrize(
    ("term", "plain"),
    [
        ("prime minister", True),
        ("the government", True),  # an overlapping occurrence ("...governmenthe government") never counts
        ("COVID-19", True),
        ("x x x", False),  # "x x x x" holds two that count: mention_count decides
        ("ab.", False),
        ("新疆", False),  # CJK: substrings
        ("police", True),
    ],
)
def test_which_terms_search_counts_as_plain_strings(con, term, plain):
    assert con.execute("SELECT pw_plain_literal(?, false)", [term]).fetchall() == [(plain,)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(term=st.one_of(st.sampled_from(WORDS), st.text(ALPHABET, max_size=10)), prefix=st.booleans())
@example(term="\u0301", prefix=False)  # marks alone: a run, but no letter or digit
@example(term="\u0301 . ab", prefix=False)
@example(term="ab \u0301", prefix=False)
@example(term="İ", prefix=False)  # lower-cases to i and a combining dot
def test_a_terms_facts_agree_with_the_definitions(con, term, prefix):
    facts = con.execute(
        "SELECT f.exact, f.keys, f.literal FROM (SELECT pw_term_facts(?, ?) AS f)", [term, prefix]
    ).fetchall()
    definitions = con.execute(
        "SELECT pw_exact(?, ?), pw_keys(?, ?), pw_plain_literal(?, ?)", [term, prefix] * 3
    ).fetchall()
    assert facts == definitions
    # what the query's check (migration 017) reads from the facts, against what 012's check asked
    ln, cjk, one_word = con.execute(
        "SELECT f.ln, f.cjk, len(f.words) = 1 AND f.words[1] = lower(?) FROM (SELECT pw_term_facts(?, ?) AS f)",
        [term, term, prefix],
    ).fetchall()[0]
    asked = con.execute(
        "SELECT regexp_matches(?, '[\\pL\\pN]'), pw_is_cjk(?), regexp_full_match(lower(?), '[\\pL\\pN\\pM]+')",
        [term] * 3,
    ).fetchall()[0]
    assert (ln, cjk) == asked[:2]
    if not any(c.isspace() for c in term):  # a `word*` token holds none
        assert one_word == asked[2]


QUERY_PIECES = ["OR", "AND", "NOT", "title:", "source:", "*", '"', "-", "(", "..."]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.one_of(
        st.text(ALPHABET + '"*-:', max_size=16),
        st.lists(st.sampled_from(QUERY_PIECES + WORDS), max_size=5).map(" ".join),
        st.lists(st.sampled_from(QUERY_PIECES + WORDS), max_size=4).map("".join),
    )
)
@example(query="ab*c*")
@example(query="新疆*")
@example(query="--- source:")
def test_the_check_over_the_facts_answers_as_the_check_over_the_terms(con, query):
    """Migration 017's parse (pw_clauses_facts) accepts and refuses every query as 006/012's
    (pw_clauses) does, with the same message, and gives the same clauses."""

    def parsed(macro):
        try:
            return con.execute(f"SELECT {macro}(?)", [query]).fetchall()[0][0]
        except duckdb.Error as exc:
            return str(exc)

    facts, terms = parsed("pw_clauses_facts"), parsed("pw_clauses")
    if isinstance(terms, list):
        assert [{k: v for k, v in clause.items() if k != "facts"} for clause in facts] == terms
    else:
        assert facts == terms


def test_every_match_reads_as_the_newest_do_past_a_thousand_matches(con):
    # More than a thousand matches take their titles and URLs from the live set, fewer from a lookup.
    con.execute("DELETE FROM article_versions")
    con.execute(
        "INSERT INTO article_versions (article_id, version, canonical_url, source, change_kind, title, text, valid_from) "
        "SELECT 'a' || i, 1, 'http://x/' || i, 's' || (i % 3), 'new', 'Title ' || i, "
        "'The ministry said on day ' || i || '.' || chr(10) || CASE WHEN i % 2 = 0 THEN 'Police were there.' ELSE 'Nobody came.' END, "
        "TIMESTAMP '2024-01-01' + to_days(i::INTEGER % 400) FROM range(2400) r(i)"
    )
    rebuild(con)
    for query, matches in (("police", 1200), ("ministry -police", 1200), ("police title:title", 1200), ("day 7", 1)):
        every = con.execute("SELECT * FROM search(?)", [query]).fetchall()
        looked_up = con.execute("SELECT * FROM search(?, newest := 100000)", [query]).fetchall()
        assert len(every) == matches and every == looked_up, query
