"""Trends and narratives (issue 5): term_trend, phrase_spread, source_activity, the trend/spread
commands with their charts, and every SQL recipe of docs/cookbook.md, on a warehouse built by
crawling the demo site the way `presswatch demo` does (crawl, the site edits and deletes, crawl).

Expected counts come from the demo site's own content, counted here with Python regexes.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from demo_site import content, stages
from tests.conftest import ROOT, Pipeline, run_cli
from warehouse.cjk import CJK_CHAR
from warehouse.clusters import refresh_clusters
from warehouse.db import connect
from warehouse.export import export_warehouse

STAGE = 2  # the site's state at the second crawl


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_story) -> Pipeline:
    """The demo warehouse: every outlet crawled at stage 1, then again at stage 2 (a copy of the session's)."""
    pipeline = demo_story.copy("stage2", tmp_path_factory.mktemp("trends"))
    with connect(pipeline.db) as con:  # a no-op once the loader refreshes clusters after each batch
        refresh_clusters(con, None)
    return pipeline


def _pattern(term: str) -> re.Pattern:
    if CJK_CHAR.search(term):
        return re.compile(re.escape(term))
    return re.compile(r"(?<!\w)" + re.escape(term) + r"(?!\w)", re.IGNORECASE)


def _bucket(day: date, bucket: str) -> date:
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _said(article) -> str:
    return stages.title(article, STAGE) + "\n" + "\n".join(stages.paragraphs(article, STAGE))


def expected_trend(term: str, bucket: str = "week", source: str | None = None) -> list[tuple]:
    """(term, bucket, source, articles, mentions) counted from the site's live articles at STAGE."""
    pattern = _pattern(term)
    found: dict[tuple, tuple[int, int]] = {}
    for outlet in content.OUTLETS:
        if source and outlet != source:
            continue
        for article in stages.visible(outlet, STAGE):
            n = len(pattern.findall(_said(article)))
            if n:
                key = (term, _bucket(date.fromisoformat(article.published[:10]), bucket), outlet)
                articles, mentions = found.get(key, (0, 0))
                found[key] = (articles + 1, mentions + n)
    return sorted((*key, *value) for key, value in found.items())


def trend(demo: Pipeline, term: str, **kwargs) -> list[tuple]:
    named = "".join(f", {name} := ?" for name in kwargs)
    columns = "term, bucket, source, articles, mentions"  # and share: test_search.py checks it
    return sorted(demo.query(f"SELECT {columns} FROM term_trend(?{named})", [term, *kwargs.values()]))


@pytest.mark.parametrize(
    "term", ["happy lives", "politicizing human rights", "vocational education and training centers"]
)
def test_term_trend_counts_articles_and_mentions_per_week_and_source(demo, term):
    expected = expected_trend(term)
    assert expected, "the demo content should mention the term"
    assert trend(demo, term) == expected


def test_train_is_matched_as_a_whole_word_not_inside_training(demo):
    train = trend(demo, "train", bucket="month")
    assert train == expected_trend("train", "month")
    # Two articles about trains; a substring search would also count every "training".
    assert sum(row[3] for row in train) == 2
    substring = sum(len(re.findall("train", _said(a), re.I)) for o in content.OUTLETS for a in stages.visible(o, STAGE))
    assert substring > sum(row[4] for row in train)
    assert trend(demo, "training", bucket="month") == expected_trend("training", "month")


def test_matching_ignores_case(demo):
    upper = [row[1:] for row in trend(demo, "HAPPY LIVES")]
    assert upper == [row[1:] for row in expected_trend("happy lives")]


@pytest.mark.parametrize("term", ["幸福生活", "职业技能教育培训中心"])
def test_chinese_terms_match_as_substrings(demo, term):
    expected = expected_trend(term)
    assert expected and {row[2] for row in expected} == {"xjgov"}
    assert trend(demo, term) == expected
    assert trend(demo, term, bucket="month", source="xjgov") == expected_trend(term, "month", "xjgov")


def test_source_and_day_filters(demo):
    assert trend(demo, "happy lives", bucket="day", source="globaltimes") == expected_trend(
        "happy lives", "day", "globaltimes"
    )
    assert trend(demo, "happy lives", source="unnews") == []


def test_the_deleted_and_the_edited_article_count_as_they_are_now(demo):
    # The deleted Altay article was the only one about skiing; the edit removed "anti-China forces".
    assert trend(demo, "skiing") == []
    assert trend(demo, "anti-China forces") == []
    assert [row[2:] for row in trend(demo, "supported by the facts")] == [("globaltimes", 1, 1)]


def test_a_bad_bucket_is_named_in_the_error(demo):
    with pytest.raises(Exception, match="bucket must be day, week or month"):
        demo.query("SELECT * FROM term_trend('happy lives', bucket := 'year')")


def test_phrase_spread_orders_outlets_by_first_use_with_lags(demo):
    phrase = "vocational education and training centers"
    pattern = _pattern(phrase)
    firsts: dict[str, tuple[date, str]] = {}
    for article in content.ARTICLES:
        if not article.private and pattern.search(article.title + "\n" + "\n".join(article.paragraphs)):
            day = date.fromisoformat(article.published[:10])
            if article.outlet not in firsts or day < firsts[article.outlet][0]:
                firsts[article.outlet] = (day, article.title)
    start = min(day for day, _ in firsts.values())
    expected = sorted(((day, outlet, (day - start).days, title) for outlet, (day, title) in firsts.items()))
    rows = demo.query("SELECT rank, source, first_used, lag_days, title FROM phrase_spread(?)", [phrase])
    assert [(r[2], r[1], r[3], r[4]) for r in rows] == expected
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0][1] == "unnews" and rows[0][3] == 0


def test_a_phrase_that_an_edit_added_dates_from_the_edit(demo):
    rows = demo.query(
        "SELECT source, first_used, lag_days FROM phrase_spread('not supported by the facts on the ground')"
    )
    edited_on = demo.scalar("SELECT valid_from::DATE FROM article_versions WHERE change_kind = 'edited'")
    assert rows == [("globaltimes", edited_on, 0)]


def test_source_activity_counts_publications_edits_and_deletions(demo):
    totals = dict(
        (row[0], row[1:])
        for row in demo.query(
            "SELECT source, sum(published), sum(edited), sum(silent_edits), sum(deleted) FROM source_activity() GROUP BY 1"
        )
    )
    assert {s: int(v[0]) for s, v in totals.items()} == content.EXPECTED
    assert totals["globaltimes"][1:3] == (1, 1)
    assert totals["chinadaily"][3] == 1
    months = demo.query("SELECT DISTINCT bucket FROM source_activity(bucket := 'month') WHERE published > 0 ORDER BY 1")
    assert [m[0] for m in months] == [date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)]


def test_trend_command_prints_json_for_several_terms(demo):
    done = run_cli("--db", str(demo.db), "trend", "happy lives", "train", "--by", "month", "--format", "json")
    assert done.returncode == 0, done.stderr
    got = sorted(
        (r["term"], date.fromisoformat(r["bucket"]), r["source"], r["articles"], r["mentions"])
        for r in json.loads(done.stdout)
    )
    assert got == sorted(expected_trend("happy lives", "month") + expected_trend("train", "month"))


def test_trend_command_draws_png_and_html_charts(demo, tmp_path):
    png, html = tmp_path / "trend.png", tmp_path / "charts" / "trend.html"
    done = run_cli("--db", str(demo.db), "trend", "happy lives", "politicizing human rights", "--plot", str(png))
    assert done.returncode == 0, done.stderr
    assert "happy lives" in done.stdout and "chart written" in done.stderr
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 5000
    done = run_cli("--db", str(demo.db), "trend", "happy lives", "幸福生活", "--by", "month", "--plot", str(html))
    assert done.returncode == 0, done.stderr
    page = html.read_text(encoding="utf-8")
    assert "<svg" in page and "<polyline" in page
    assert "happy lives" in page and "幸福生活" in page and "per month" in page
    assert "<script" not in page and "src=" not in page  # self-contained: nothing fetched


def test_without_the_charts_extra_a_png_is_refused_with_the_extra_to_install_and_html_still_works(demo, tmp_path):
    hidden = tmp_path / "no-matplotlib" / "matplotlib"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError('No module named matplotlib')\n", encoding="utf-8")
    env = {"PYTHONPATH": str(hidden.parent)}
    done = run_cli("--db", str(demo.db), "trend", "happy lives", "--plot", str(tmp_path / "t.png"), env=env)
    assert done.returncode == 2 and "pip install 'presswatch[charts]'" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "t.png").exists()
    done = run_cli("--db", str(demo.db), "trend", "幸福生活", "--plot", str(tmp_path / "t.html"), env=env)
    assert done.returncode == 0, done.stderr
    assert "<svg" in (tmp_path / "t.html").read_text(encoding="utf-8")


def test_trend_command_errors_are_one_line_with_a_next_step(demo, tmp_path):
    done = run_cli("--db", str(demo.db), "trend", "happy lives", "--source", "nosuch")
    assert done.returncode == 1 and "no source named 'nosuch'" in done.stderr and "xjgov" in done.stderr
    done = run_cli("--db", str(demo.db), "trend", "happy lives", "--plot", str(tmp_path / "chart.svg"))
    assert done.returncode == 2 and ".png or .html" in done.stderr
    done = run_cli("--db", str(demo.db), "trend", "...")
    assert done.returncode == 1 and "letters or digits" in done.stderr
    done = run_cli("--db", str(tmp_path / "none.duckdb"), "trend", "happy lives")
    assert done.returncode == 1 and "presswatch demo" in done.stderr


def test_spread_command_lists_the_first_mover_first(demo):
    done = run_cli("--db", str(demo.db), "spread", "vocational education and training centers", "--format", "csv")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("rank,source,first_used,lag_days")
    assert [line.split(",")[1] for line in lines[1:]] == ["unnews", "xinhua", "chinadaily", "globaltimes"]


def test_empty_results_say_so_instead_of_an_empty_table(demo):
    trend = run_cli("--db", str(demo.db), "trend", "zeppelin")
    assert trend.returncode == 0, trend.stderr
    assert trend.stdout.strip() == 'no articles mention "zeppelin"'
    some = run_cli("--db", str(demo.db), "trend", "happy lives", "zeppelin")
    assert "happy lives" in some.stdout and some.stdout.rstrip().endswith('no articles mention "zeppelin"')
    nowhere = run_cli("--db", str(demo.db), "trend", "zeppelin", "--source", "xjgov")
    assert nowhere.stdout.strip() == 'no articles from xjgov mention "zeppelin"'
    spread = run_cli("--db", str(demo.db), "spread", "zeppelin airship")
    assert spread.returncode == 0, spread.stderr
    assert spread.stdout.strip() == 'no article uses the phrase "zeppelin airship"'
    machine = run_cli("--db", str(demo.db), "spread", "zeppelin airship", "--format", "JSON")
    assert machine.returncode == 0 and json.loads(machine.stdout) == []


def test_every_cookbook_recipe_runs_on_the_demo_warehouse(demo, tmp_path):
    cookbook = (ROOT / "docs" / "cookbook.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```sql\n(.*?)^```", cookbook, flags=re.S | re.M)
    assert len(blocks) >= 10
    export_warehouse(demo.db, tmp_path / "export")  # the export recipe reads one back
    for sql in blocks:
        sql = sql.replace("/tmp/cookbook/export", str(tmp_path / "export"))
        try:
            demo.query(sql)
        except Exception as exc:  # name the recipe that broke
            pytest.fail(f"cookbook recipe failed: {exc}\n{sql}")
