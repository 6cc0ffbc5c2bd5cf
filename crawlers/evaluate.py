"""Extraction quality on real saved pages of the outlets, gated by pinned floors.

`python -m crawlers.evaluate` scores `extract_page` on the pages in ../shared/fixtures/real that
come with ground truth (trafilatura's with/without snippets, newspaper4k's and fundus's texts,
readability's expected article) and fails when a score drops below its floor in
tests/eval_baseline.json. The baseline pins a hash of the corpus, so changed fixtures cannot move
scores unnoticed; `--update` rewrites it (only when a lower floor is deliberate).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

import lxml.html

from crawlers.encoding import decode_html
from crawlers.extraction import ExtractionOptions, extract_page, normalise_text
from warehouse.textdiff import tokens

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "real"
BASELINE = ROOT / "tests" / "eval_baseline.json"
SNIPPET_SETS = ("gov_other/trafilatura_evaldata_subset.json", "xinhua/trafilatura_evaldata_subset.json")
FULL_TEXT = {  # page -> (kind of truth, truth file)
    "chinadaily/china_chinadaily_WS65571297a310d5acd876f404.html": (
        "text",
        "chinadaily/china_chinadaily_WS65571297a310d5acd876f404.newspaper4k.txt",
    ),
    "xinhua/news_cn_fortune_c_1129981476.html": ("text", "xinhua/news_cn_fortune_c_1129981476.newspaper4k.txt"),
    "people/politics_people_com_cn_40223222.html": ("fundus", "people/politics_people_com_cn_40223222.fundus.json"),
    "other_state_media/gmw_cn_motions_23937776.html": (
        "html",
        "other_state_media/gmw_cn_motions_23937776.readability_expected.html",
    ),
}


def _extract(page: Path, url: str) -> str:
    decoded = decode_html(page.read_bytes(), None)
    result = extract_page(decoded.text, url, ExtractionOptions())
    return result.get("text") or ""


def _truth_text(kind: str, path: Path) -> str:
    if kind == "text":
        return path.read_text(encoding="utf-8")
    if kind == "fundus":
        body = json.loads(path.read_text(encoding="utf-8"))["V1"]["body"]
        return "\n".join(p for section in body["sections"] for p in section["paragraphs"])
    return lxml.html.fromstring(path.read_text(encoding="utf-8")).text_content()


def token_f1(extracted: str, truth: str) -> float:
    """F1 over word tokens (CJK characters count one each), as a bag of tokens."""
    got = Counter(t for t in tokens(normalise_text(extracted)) if not t.isspace())
    want = Counter(t for t in tokens(normalise_text(truth)) if not t.isspace())
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def score() -> dict[str, float]:
    """Each page's score: snippet accuracy (with found, without absent) or token F1 against a full text."""
    scores = {}
    for name in SNIPPET_SETS:
        folder = (FIXTURES / name).parent
        for file, truth in json.loads((FIXTURES / name).read_text(encoding="utf-8")).items():
            text = normalise_text(_extract(folder / file, truth["url"]))
            checks = [normalise_text(s) in text for s in truth["with"]]
            checks += [normalise_text(s) not in text for s in truth["without"]]
            scores[f"{folder.name}/{file}"] = round(sum(checks) / len(checks), 3)
    for page, (kind, truth_file) in FULL_TEXT.items():
        text = _extract(FIXTURES / page, f"http://example.org/{page}")
        scores[page] = round(token_f1(text, _truth_text(kind, FIXTURES / truth_file)), 3)
    return scores


def corpus_hash() -> str:
    digest = hashlib.sha256()
    names = [*SNIPPET_SETS, *FULL_TEXT, *(t for _, t in FULL_TEXT.values())]
    for name in SNIPPET_SETS:
        names += [f"{Path(name).parent}/{f}" for f in json.loads((FIXTURES / name).read_text(encoding="utf-8"))]
    for name in sorted(set(names)):
        digest.update(name.encode() + (FIXTURES / name).read_bytes())
    return digest.hexdigest()


def gate(update: bool = False, margin: float = 0.02, baseline_path: Path | None = None) -> list[str]:
    """Problems with the current scores against the pinned baseline (empty when all floors hold).

    A missing baseline is a problem, never a fresh pass: only `update` (--update) writes one."""
    baseline_path = baseline_path or BASELINE
    if not update and not baseline_path.is_file():
        return [f"no baseline at {baseline_path}: pin one with `python -m crawlers.evaluate --update` and commit it"]
    scores, corpus = score(), corpus_hash()
    if update:
        floors = {page: max(0.0, round(value - margin, 3)) for page, value in scores.items()}
        baseline_path.write_text(
            json.dumps({"corpus_sha256": corpus, "floors": floors}, indent=1, sort_keys=True) + "\n"
        )
        return []
    baseline = json.loads(baseline_path.read_text())
    if baseline["corpus_sha256"] != corpus:
        return ["the fixture corpus changed since the baseline was pinned: review and run with --update"]
    return [
        f"{page}: {scores.get(page, 0.0):.3f} is below its floor {floor:.3f}"
        for page, floor in sorted(baseline["floors"].items())
        if scores.get(page, 0.0) < floor
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="re-pin the floors (score - 0.02) and corpus hash")
    parser.add_argument("--baseline", type=Path, default=BASELINE, help=f"the pinned floors [default: {BASELINE}]")
    args = parser.parse_args(argv)
    if not args.update and not args.baseline.is_file():
        print(
            f"REGRESSION: no baseline at {args.baseline}: pin one with `python -m crawlers.evaluate --update` "
            "and commit it",
            file=sys.stderr,
        )
        return 1
    if not FIXTURES.is_dir():
        print(f"no fixtures at {FIXTURES}: nothing to evaluate", file=sys.stderr)
        return 0
    for page, value in sorted(score().items()):
        print(f"{value:6.3f}  {page}")
    problems = gate(args.update, baseline_path=args.baseline)
    for problem in problems:
        print(f"REGRESSION: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
