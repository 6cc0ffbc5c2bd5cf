"""`presswatch reextract`: archived captures read again with changed extractor settings.

Only articles whose text comes out different get a version, filed as `reextracted` (never as a
publisher's edit); unchanged settings add nothing; the next crawl with the new settings agrees.
"""

from __future__ import annotations

import json

import pytest

from demo_site.content import EXPECTED, REPRINTS
from tests.conftest import run_cli

# The closing sentence of the press release that three outlets reprinted.
SENTENCE = (
    "It added that the region would continue to provide free vocational skills courses to rural residents who "
    "wish to improve their employability."
)
IGNORE = 'ignore_patterns = ["It added that the region would continue[^.]*\\\\."]'


@pytest.fixture
def crawled(demo_story, tmp_path):
    """The demo site's every outlet crawled once (a copy of the session's crawl of its own); its
    pipeline, the registry text, the story (whose `site(1)` serves the site again)."""
    pipeline = demo_story.copy("stage1", tmp_path)
    return pipeline, pipeline.settings.registry.read_text(), demo_story


def table_rows(output: str) -> dict[str, list[str]]:
    """The rows of a table `presswatch` printed, by their first cell."""
    rows = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│┃").split("│")]
        if len(cells) > 1 and cells[0] in EXPECTED:
            rows[cells[0]] = cells[1:]
    return rows


def flags(pipeline) -> list[str]:
    s = pipeline.settings
    return ["--db", str(s.db), "--data", str(s.data), "--sources", str(s.registry)]


def versions(pipeline) -> list[tuple]:
    return pipeline.query("SELECT article_id, version, change_kind FROM article_versions ORDER BY ALL")


def test_reextract_with_unchanged_settings_adds_nothing(crawled):
    pipeline, _, _ = crawled
    before = versions(pipeline)
    result = run_cli(*flags(pipeline), "reextract")
    assert result.returncode == 0, result.stderr
    assert versions(pipeline) == before
    assert pipeline.scalar("SELECT count(*) FROM crawl_runs WHERE run_id LIKE 'reextract-%'") == 0
    # source, captures, changed, reextracted versions, failed: every capture read again, none changed or failed
    assert table_rows(result.stdout) == {source: [str(count), "0", "0", "0"] for source, count in EXPECTED.items()}
    assert result.stderr == ""


def test_reextract_of_more_captures_than_a_worker_may_take_finishes(crawled):
    """Workers retire after PRESSWATCH_EXTRACT_TASKS_PER_WORKER pages; the pool must not deadlock (cpython gh-115634)."""
    pipeline, registry, _ = crawled
    pipeline.use_registry(registry.replace("[[sources]]\n", f"[[sources]]\n{IGNORE}\n"))
    captures = pipeline.scalar("SELECT count(*) FROM articles")
    assert captures > 4
    result = run_cli(
        *flags(pipeline),
        "reextract",
        "--dry-run",
        "--workers",
        "2",
        env={"PRESSWATCH_EXTRACT_TASKS_PER_WORKER": "1"},
        timeout=240,
    )
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)  # every capture read, the three reprints would change, none failed
    assert {source: (row[0], row[3]) for source, row in rows.items()} == {s: (str(n), "0") for s, n in EXPECTED.items()}
    assert sum(int(row[1]) for row in rows.values()) == len(REPRINTS)


def test_changed_settings_give_reextracted_versions_only_where_the_text_changed(crawled):
    pipeline, registry, story = crawled
    pipeline.use_registry(registry.replace("[[sources]]\n", f"[[sources]]\n{IGNORE}\n"))
    dry = run_cli(*flags(pipeline), "reextract", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert pipeline.scalar("SELECT count(*) FROM article_versions") == sum(EXPECTED.values())

    result = run_cli(*flags(pipeline), "reextract")
    assert result.returncode == 0, result.stderr
    rows = pipeline.query(
        "SELECT canonical_url, change_kind, publisher_change, previous_sentence, changed_sentence, changed_fields, "
        "extractor_version <> previous_extractor_version FROM article_changes ORDER BY canonical_url"
    )
    assert sorted(r[0].removeprefix(story.base_url()) for r in rows) == sorted(REPRINTS)
    for _url, kind, publisher, before, after, fields, new_extractor in rows:
        assert kind == "reextracted" and publisher is False and fields == ["text"] and new_extractor
        assert before == SENTENCE and after is None
    assert pipeline.scalar("SELECT count(*) FROM article_versions WHERE change_kind = 'edited'") == 0
    texts = pipeline.query("SELECT text FROM articles WHERE change_kind = 'reextracted'")
    assert len(texts) == 3 and all(SENTENCE not in t for (t,) in texts)
    # The new versions stand on the same archived captures as the versions they replace.
    same_capture = pipeline.scalar(
        "SELECT count(*) FROM article_versions n JOIN article_versions o ON o.article_id = n.article_id "
        "AND o.version = n.version - 1 WHERE n.change_kind = 'reextracted' AND n.raw_hash = o.raw_hash "
        "AND n.warc_file = o.warc_file AND n.warc_offset = o.warc_offset"
    )
    assert same_capture == 3

    # The change report leaves re-extractions out unless asked for.
    report = json.loads(run_cli(*flags(pipeline), "changes", "--format", "json").stdout)
    assert report == []
    asked = json.loads(run_cli(*flags(pipeline), "changes", "--kind", "reextracted", "--format", "json").stdout)
    assert len(asked) == 3

    # Again with the same settings: nothing more.
    before = versions(pipeline)
    again = run_cli(*flags(pipeline), "reextract", "--source", "chinadaily")
    assert again.returncode == 0, again.stderr
    assert versions(pipeline) == before

    # A crawl with the new settings extracts what re-extraction did: no edit is invented.
    with story.site(1):
        pipeline.crawl()
    assert not pipeline.failures
    assert versions(pipeline) == before


def test_reextract_names_an_unknown_source(crawled):
    pipeline, _, _ = crawled
    result = run_cli(*flags(pipeline), "reextract", "--source", "nosuch")
    assert result.returncode == 2 and "no source named 'nosuch'" in result.stderr
