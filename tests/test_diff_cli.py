"""`presswatch diff` and `presswatch changes` against warehouses built by real crawls on loopback."""

from __future__ import annotations

import json
import re

import pytest

from demo_site.content import DELETED_PATH, EDIT
from tests.conftest import run_cli
from tests.servers import Route, StaticSite, article_html, registry_entry
from warehouse.history import segments

DELETED = re.compile(r"\[-(.*?)-\]", re.S)
ADDED = re.compile(r"\{\+(.*?)\+\}", re.S)


@pytest.fixture(scope="module")
def edited(tmp_path_factory, demo_story):
    """A warehouse after the demo site's stage 1 and stage 2 (one silent edit, one deletion); CLI flags for it."""
    settings = demo_story.copy("stage2", tmp_path_factory.mktemp("diff")).settings
    flags = ["--db", str(settings.db), "--data", str(settings.data), "--sources", str(settings.registry)]
    return flags, demo_story.base_url()


def old_and_new(marked: str) -> tuple[str, str]:
    """Both versions back from text with [-removed-] and {+added+} markers."""
    return ADDED.sub("", DELETED.sub(r"\1", marked)), DELETED.sub("", ADDED.sub(r"\1", marked))


def test_text_diff_marks_the_edited_sentence_when_not_a_terminal(edited):
    flags, base = edited
    result = run_cli(*flags, "diff", base + EDIT["path"])
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout  # no colour codes in a file or pipe
    assert "version 1 (new" in result.stdout and "version 2 (edited" in result.stdout
    assert "[-" in result.stdout and "{+" in result.stdout
    old, new = old_and_new(result.stdout)
    assert EDIT["old"] in old and EDIT["new"] not in old
    assert EDIT["new"] in new and EDIT["old"] not in new
    # Only the changed paragraph and its neighbours, not the whole article.
    changed_lines = [line for line in result.stdout.splitlines() if "[-" in line or "{+" in line]
    assert len(changed_lines) == 1
    assert len(result.stdout.splitlines()) <= 8


def test_text_diff_in_colour(edited):
    flags, base = edited
    result = run_cli(*flags, "diff", base + EDIT["path"], "--color")
    assert result.returncode == 0, result.stderr
    assert "\x1b[31m" in result.stdout and "\x1b[32m" in result.stdout  # red removed, green added
    assert "[-" not in result.stdout


def test_a_tracking_parameter_in_the_url_still_finds_the_article(edited):
    flags, base = edited
    result = run_cli(*flags, "diff", base + EDIT["path"] + "?utm_source=newsletter#comments")
    assert result.returncode == 0, result.stderr


def test_json_diff_gives_operations_that_rebuild_both_versions(edited):
    flags, base = edited
    result = run_cli(*flags, "diff", base + EDIT["path"], "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["from"]["version"], data["to"]["version"]) == (1, 2)
    assert data["title"] is None and data["words_added"] > 0
    [hunk] = data["hunks"]
    changed = [p for p in hunk["paragraphs"] if any(op["op"] != "equal" for op in p)]
    [paragraph] = changed
    old = "".join(op["text"] for op in paragraph if op["op"] != "insert")
    new = "".join(op["text"] for op in paragraph if op["op"] != "delete")
    assert EDIT["old"] in old and EDIT["new"] in new
    assert {"op": "insert", "text": "many of "} in paragraph


def test_html_diff_is_a_self_contained_page(edited):
    flags, base = edited
    result = run_cli(*flags, "diff", base + EDIT["path"], "--format", "html")
    assert result.returncode == 0, result.stderr
    page = result.stdout
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<del>nothing but lies fabricated</del> <ins>not supported</ins>" in page  # not "fabricatednot"
    assert "<script" not in page and "<link" not in page and "src=" not in page


def test_diff_of_a_deleted_article_shows_its_text_removed(edited):
    flags, base = edited
    result = run_cli(*flags, "diff", base + DELETED_PATH, "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["to"]["change_kind"] == "deleted" and data["words_added"] == 0 and data["words_removed"] > 100
    ops = {op["op"] for hunk in data["hunks"] for p in hunk["paragraphs"] for op in p}
    assert ops == {"delete"}


def test_unknown_url_or_version_is_a_one_line_error(edited):
    flags, base = edited
    result = run_cli(*flags, "diff", base + "/globaltimes/page/202102/0000000.shtml")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no article was ever seen at") and len(result.stderr.splitlines()) == 1
    result = run_cli(*flags, "diff", base + EDIT["path"], "--from", "7")
    assert result.returncode == 1 and "has versions 1 to 2, not 7" in result.stderr
    result = run_cli(*flags, "diff", base + EDIT["path"], "--from", "0")
    assert result.returncode == 2


def test_changes_report_lists_the_edit_and_the_deletion(edited):
    flags, base = edited
    result = run_cli(*flags, "changes", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert sorted((r["change_kind"], r["canonical_url"]) for r in rows) == [
        ("deleted", base + DELETED_PATH),
        ("edited", base + EDIT["path"]),
    ]
    edit = next(r for r in rows if r["change_kind"] == "edited")
    assert edit["changed_sentence"] == EDIT["new"] and edit["silent"] is True


def test_changes_report_filters(edited):
    flags, _ = edited

    def kinds(*args):
        result = run_cli(*flags, "changes", *args, "--format", "json")
        assert result.returncode == 0, result.stderr
        return sorted(r["change_kind"] for r in json.loads(result.stdout))

    assert kinds("--kind", "deleted") == ["deleted"]
    assert kinds("--silent") == ["edited"]
    assert kinds("--source", "globaltimes") == ["edited"]
    assert kinds("--source", "chinadaily") == ["deleted"]
    unknown = run_cli(*flags, "changes", "--source", "nowhere")
    assert unknown.returncode == 1 and "the warehouse has no source named 'nowhere'" in unknown.stderr
    assert kinds("--source", "xjgov") == []  # a source that changed nothing
    assert kinds("--since", "2000-01-01") == ["deleted", "edited"]
    assert kinds("--since", "all") == ["deleted", "edited"]
    assert kinds("--kind", "reextracted") == []


def test_changes_table_and_csv(edited):
    flags, base = edited
    table = run_cli(*flags, "changes")
    assert table.returncode == 0, table.stderr
    words = table.stdout.split()  # the change column may wrap "edited (silent)"; URLs never wrap
    assert "2 change(s)," in table.stdout and {"edited", "(silent)", "deleted", "(404)"} <= set(words)
    csv_out = run_cli(*flags, "changes", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("detected_at,source,change_kind,silent,title,canonical_url") and len(csv_out) == 3


def test_changes_table_keeps_urls_whole_so_they_copy_into_diff(edited):
    flags, base = edited
    table = run_cli(*flags, "changes")
    assert table.returncode == 0, table.stderr
    urls = re.findall(r"http://\S+", table.stdout)
    assert sorted(urls) == sorted([base + DELETED_PATH, base + EDIT["path"]])
    edited_url = next(url for url in urls if url.endswith(EDIT["path"]))
    diff = run_cli(*flags, "diff", edited_url)
    assert diff.returncode == 0, diff.stderr
    assert EDIT["new"].split()[-1] in diff.stdout


def test_an_empty_changes_report_says_so(edited):
    flags, _ = edited
    nothing = run_cli(*flags, "changes", "--kind", "reextracted", "--source", "chinadaily")
    assert nothing.returncode == 0, nothing.stderr
    assert nothing.stdout.startswith("no changes since ") and "(source chinadaily; kind reextracted)" in nothing.stdout
    assert "┏" not in nothing.stdout  # no empty table


def test_changes_rejects_bad_usage(edited):
    flags, _ = edited
    bad_kind = run_cli(*flags, "changes", "--kind", "edited,rewritten")
    assert bad_kind.returncode == 2 and "unknown kind(s) rewritten" in bad_kind.stderr
    bad_since = run_cli(*flags, "changes", "--since", "last week")
    assert bad_since.returncode == 2 and "--since" in bad_since.stderr


def test_cjk_text_is_compared_character_by_character():
    ops = segments("自治区人民政府新闻办公室举行发布会。", "自治区政府新闻办举行记者会。")
    assert [(s.op, s.text) for s in ops] == [
        ("equal", "自治区"),
        ("delete", "人民"),
        ("equal", "政府新闻办"),
        ("delete", "公室"),
        ("equal", "举行"),
        ("delete", "发布"),
        ("insert", "记者"),
        ("equal", "会。"),
    ]


def test_cjk_diff_json_from_a_crawled_gbk_page(pipeline):
    paragraphs = [
        "记者从自治区人民政府新闻办公室获悉，原职业技能教育培训中心结业学员已全部实现稳定就业。",
        "据介绍，结业学员通过学习国家通用语言文字、法律知识和职业技能，摆脱了极端思想的影响。",
        "喀什地区疏附县结业学员阿依古丽在当地一家服装厂工作，月收入三千余元，日子越过越好。",
        "自治区有关负责人表示，将继续为有意愿的农村居民免费提供职业技能培训课程。",
    ]

    def page(paras):
        return article_html("结业学员实现稳定就业", paras, lang="zh-CN", charset="gbk").encode("gbk")

    with StaticSite() as static:
        static.routes["/list.html"] = Route('<a href="/a/1.html">一</a>')
        static.routes["/a/1.html"] = Route(page(paragraphs), content_type="text/html")
        pipeline.use_registry(
            registry_entry(
                "xjtest",
                static.url,
                language="zh",
                listings=[static.url + "/list.html"],
                article_pattern=r"/a/\d+\.html$",
            )
        )
        pipeline.crawl()
        edited_paragraphs = list(paragraphs)
        edited_paragraphs[1] = edited_paragraphs[1].replace("极端思想", "宗教极端思想")
        static.routes["/a/1.html"] = Route(page(edited_paragraphs), content_type="text/html")
        pipeline.crawl()
    assert pipeline.scalar("SELECT count(*) FROM article_versions WHERE change_kind = 'edited'") == 1
    flags = ["--db", str(pipeline.settings.db), "--data", str(pipeline.settings.data)]
    result = run_cli(*flags, "diff", static.url + "/a/1.html", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["words_added"] == 2 and data["words_removed"] == 0
    changed = [op for hunk in data["hunks"] for p in hunk["paragraphs"] for op in p if op["op"] != "equal"]
    assert changed == [{"op": "insert", "text": "宗教"}]
