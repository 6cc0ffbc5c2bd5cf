"""`presswatch feed` (Atom, read back with feedparser) and `presswatch report` (a static site, checked in
headless Chromium: what it renders after its JavaScript ran)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from tests.conftest import make_pipeline, run_cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RULES = """
[[alerts]]
name = "deletions"
kinds = ["deleted"]
channels = ["json://127.0.0.1:9/never-sent"]
"""


@pytest.fixture(scope="module")
def changed(tmp_path_factory, demo_story):
    """A demo warehouse after stage 2 (a silent edit, a deletion; a copy of the session's), a registry
    with one alert rule: (pipeline, site base URL)."""
    pipeline = demo_story.copy("stage2", tmp_path_factory.mktemp("report"))
    pipeline.use_registry(pipeline.settings.registry.read_text() + RULES)
    return pipeline, demo_story.base_url()


def cli(pipeline, *args, **kwargs):
    return run_cli(
        "--db",
        str(pipeline.db),
        "--sources",
        str(pipeline.settings.registry),
        "--data",
        str(pipeline.settings.data),
        *args,
        **kwargs,
    )


def chromium(*args: str) -> str:
    """Headless Chromium's standard output for `args` (a --dump-dom or --screenshot run)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (.ci/run installs Debian's chromium package)")
    profile = tempfile.mkdtemp(prefix="pw-chromium-")
    try:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def rows(dom: str) -> list[tuple[str, bool]]:
    """(data-source, hidden?) of every row of the change table in a dumped DOM."""
    return [(m.group(2), "hidden" in m.group(1)) for m in re.finditer(r'<tr([^>]*data-source="([^"]+)"[^>]*)>', dom)]


def test_feed_lists_the_changes_and_one_rules_matches(changed):
    pipeline, base = changed
    done = cli(pipeline, "feed")
    assert done.returncode == 0, done.stderr
    parsed = feedparser.parse(done.stdout)
    assert not parsed.bozo, parsed.bozo_exception
    titles = [e.title for e in parsed.entries]
    assert len(titles) == 2
    assert (
        "[globaltimes] edited (silent): China rejects politicizing human rights as UN council opens 46th session"
        in titles
    )
    assert "[chinadaily] deleted (HTTP 404): Winter tourism heats up in Altay as ski resorts draw crowds" in titles
    edit = next(e for e in parsed.entries if "globaltimes" in e.title)
    assert edit.link == f"{base}/globaltimes/page/202102/1216377.shtml"
    assert "not supported by the facts on the ground" in edit.content[0].value
    assert "/report/articles/" in edit.content[0].value

    out = Path(pipeline.settings.data) / "deletions.xml"
    done = cli(pipeline, "feed", "--alert", "deletions", "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert [e.title for e in feedparser.parse(out.read_bytes()).entries] == [
        "[chinadaily] deleted (HTTP 404): Winter tourism heats up in Altay as ski resorts draw crowds"
    ]

    unknown = cli(pipeline, "feed", "--alert", "nope")
    assert unknown.returncode == 2 and "no alert rule named 'nope'" in unknown.stderr and "deletions" in unknown.stderr


def test_report_index_filters_rows_in_a_real_browser(changed, tmp_path):
    pipeline, _ = changed
    done = cli(pipeline, "report", str(tmp_path / "site"))
    assert done.returncode == 0, done.stderr
    assert "2 change(s) of 2 article(s) written to" in done.stdout
    index = (tmp_path / "site" / "index.html").resolve()
    assert "http://" not in re.sub(r'href="http://127\.0\.0\.1[^"]*"', "", index.read_text())  # nothing external

    everything = chromium("--dump-dom", index.as_uri())
    assert sorted(rows(everything)) == [("chinadaily", False), ("globaltimes", False)]
    assert "2 of 2 change(s) shown" in everything

    deletions = chromium("--dump-dom", index.as_uri() + "#kind=deleted")
    assert sorted(rows(deletions)) == [("chinadaily", False), ("globaltimes", True)]
    assert "1 of 2 change(s) shown" in deletions

    by_outlet = chromium("--dump-dom", index.as_uri() + "#source=globaltimes")
    assert sorted(rows(by_outlet)) == [("chinadaily", True), ("globaltimes", False)]

    shot = tmp_path / "index.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,900", index.as_uri())
    assert shot.stat().st_size > 10_000


def test_report_article_page_shows_every_version_and_the_changed_words(changed, tmp_path):
    pipeline, base = changed
    assert cli(pipeline, "report", str(tmp_path / "site")).returncode == 0
    index = (tmp_path / "site" / "index.html").read_text()
    link = re.search(r'<tr data-source="globaltimes"[^>]*>.*?<a href="(articles/[^"#]+)', index).group(1)
    dom = chromium("--dump-dom", (tmp_path / "site" / link).resolve().as_uri())
    assert "version 1: new" in dom and "version 2: edited" in dom
    assert "<del>nothing but lies fabricated</del>" in dom and "<ins>not supported</ins>" in dom
    sbs = dom.split('class="sbs"', 1)[1].split('class="inline"', 1)[0]
    old, new = sbs.split('class="new"', 1)
    assert "<del>nothing but lies fabricated</del>" in old and "<ins>" not in old  # side by side
    assert "<ins>not supported</ins>" in new and "<del>" not in new
    assert f'href="{base}/globaltimes/page/202102/1216377.shtml"' in dom
    inline = re.sub(r"<[^>]+>", "", dom.split('class="inline"', 1)[1].split("</section>", 1)[0])
    assert "nothing but lies fabricated not supported by" in inline and "fabricatednot" not in inline
    assert re.search(r"captured \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", dom)


def test_report_marks_chinese_changes_character_by_character(tmp_path):
    from warehouse.db import connect

    pipeline = make_pipeline(tmp_path)
    pipeline.use_registry(
        '[[sources]]\nname = "xjgov"\nlabel = "x"\nlanguage = "zh"\nallowed_domains = ["127.0.0.1"]\n'
        'feeds = ["http://127.0.0.1:9/f.xml"]\narticle_pattern = "/a/"\n'
    )
    with connect(pipeline.db) as con:  # two versions as the loader writes them
        for version, kind, text in ((1, "new", "各族群众过上了幸福生活。"), (2, "edited", "各族群众过上了美好生活。")):
            con.execute(
                """INSERT INTO article_versions (article_id, version, canonical_url, source, change_kind, title,
                           text, language, silent, valid_from, url, previous_title)
                           VALUES ('zh1', ?, 'http://127.0.0.1:9/a/1', 'xjgov', ?,
                           '幸福生活', ?, 'zh', true, now()::TIMESTAMP + INTERVAL (?) SECOND, 'http://127.0.0.1:9/a/1',
                           CASE WHEN ? > 1 THEN '幸福生活' END)""",
                [version, kind, text, version, version],
            )
    assert cli(pipeline, "report", str(tmp_path / "site")).returncode == 0
    dom = chromium("--dump-dom", (tmp_path / "site" / "articles" / "zh1.html").resolve().as_uri())
    assert "<del>幸福</del>" in dom and "<ins>美好</ins>" in dom
    assert 'lang="zh"' in dom


def test_a_publish_rewrites_only_what_the_loads_since_the_last_one_changed(changed, demo_story, tmp_path):
    """What `serve` runs after each load: an unchanged warehouse rewrites no file; a load with a
    retitle rewrites that article's page, the index and the feed that lists it, nothing else."""
    from demo_site.content import RETITLE
    from flows.change_report.paths import page_name
    from flows.change_report.publish import publish_all
    from flows.change_report.site import build_site

    pipeline, base = changed
    shutil.copytree(pipeline.db.parent, tmp_path / "copy")
    mine = make_pipeline(tmp_path / "copy")
    data = mine.settings.data
    outputs = [data / "report", data / "feeds"]

    def written_by(publish) -> set[str]:
        """The files a publish wrote: every file's time is set to 2001 first."""
        for folder in outputs:
            for path in folder.rglob("*"):
                os.utime(path, (1e9, 1e9))
        publish()
        return {
            str(p.relative_to(data)) for f in outputs for p in f.rglob("*") if p.is_file() and p.stat().st_mtime != 1e9
        }

    first = publish_all(mine.settings)
    assert (first.site.changes, first.site.articles, first.site.written) == (2, 2, 4)
    assert {p.name for p in first.feeds} == {"all.xml", "deletions.xml"}
    assert written_by(lambda: publish_all(mine.settings)) == set()

    with demo_story.site(3):
        mine.crawl("unnews")
    assert not mine.failures
    retitled = mine.scalar("select article_id from articles where canonical_url = ?", [base + RETITLE["path"]])
    result: list = []
    assert written_by(lambda: result.append(publish_all(mine.settings))) == {
        "report/index.html",
        "report/report.json",
        "report/report-rows.json",
        f"report/articles/{page_name(retitled)}",
        "feeds/all.xml",
    }
    assert (result[0].site.changes, result[0].site.articles) == (3, 3)
    index = (data / "report" / "index.html").read_text(encoding="utf-8")
    assert index.count("<tr data-source=") == 3 and RETITLE["new"] in index
    assert build_site(mine.db, tmp_path / "full").changes == 3  # a report written from scratch agrees
    from_scratch = (tmp_path / "full" / "index.html").read_text(encoding="utf-8")
    assert from_scratch.split("</p>", 1)[1] == index.split("</p>", 1)[1]  # all but the time it was written
    window = tmp_path / "window"
    assert build_site(mine.db, window, since=datetime.now(UTC)).changes == 0  # `report DIR --since ...`
    assert build_site(mine.db, window).changes == 3  # then `report DIR`: written whole, not on top of the window
