"""Extraction: the quality gate on real pages, and what never reaches the version hash."""

import subprocess
import sys

import pytest

from crawlers import evaluate
from crawlers.extraction import ExtractionOptions, content_hash, extract_page
from tests.conftest import ROOT
from tests.servers import article_html

BODY = [
    f"The regional government said in statement {n} that the vocational education and training centers had closed."
    for n in range(3)
]


def test_extraction_quality_holds_its_pinned_floors():
    if not evaluate.FIXTURES.is_dir():
        pytest.skip("../shared/fixtures/real is absent: no real pages to evaluate")
    assert evaluate.gate() == []


def test_the_gate_fails_without_its_baseline_and_writes_none(tmp_path):
    missing = tmp_path / "eval_baseline.json"
    problems = evaluate.gate(baseline_path=missing)
    assert len(problems) == 1 and "no baseline at" in problems[0] and "--update" in problems[0]
    assert not missing.exists()
    result = subprocess.run(
        [sys.executable, "-m", "crawlers.evaluate", "--baseline", str(missing)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1 and "no baseline at" in result.stderr and not missing.exists()


def test_date_labels_and_whitespace_do_not_change_the_hash():
    first = extract_page(article_html("Title", ["Updated: 2021-02-08 10:12", *BODY]), "http://x/a", ExtractionOptions())
    second = extract_page(
        article_html("Title", ["Updated:  2021-03-01 09:00", *[b.replace(" ", "  ") for b in BODY]]),
        "http://x/a",
        ExtractionOptions(),
    )
    assert first["content_hash"] == second["content_hash"]
    assert "Updated" not in first["text"]
    assert first["updated_label"] == "2021-02-08 10:12" and second["updated_label"] == "2021-03-01 09:00"


def test_a_sentence_that_mentions_a_date_is_kept():
    text = "The report, published 2021-02-03, says the region grew."
    result = extract_page(article_html("Title", [*BODY, text]), "http://x/a", ExtractionOptions())
    assert text in result["text"]


def test_ignore_rules_remove_furniture_trafilatura_keeps():
    html = article_html("Title", [*BODY, "Share this article on Weibo and WeChat"], extra_head="")
    html = html.replace("</article>", "<div class='share-tools'>Share tools here, follow us</div></article>")
    plain = extract_page(html, "http://x/a", ExtractionOptions())
    options = ExtractionOptions(
        ignore_selectors=("div.share-tools",), ignore_patterns=(r"Share this article on \w+ and \w+",)
    )
    cleaned = extract_page(html, "http://x/a", options)
    assert "Share this article" in plain["text"] and "Share this article" not in cleaned["text"]
    assert "Share tools here" not in cleaned["text"]
    assert plain["extractor_version"] != cleaned["extractor_version"]  # options are part of the version


def test_a_page_without_an_article_is_said_so():
    assert (
        extract_page("<html><body><nav>Home</nav></body></html>", "http://x/", ExtractionOptions())["outcome"]
        == "no_article"
    )
    assert content_hash("a  b", "c\n\n d") == content_hash("a b", "c\nd")
