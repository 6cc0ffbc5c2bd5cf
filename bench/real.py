"""The real-pages corpus: trafilatura's evaluation pages (tests/eval, tests/evaldata.json), served by the bench server.

Pages are never committed here. `--real-pages PATH` (or PRESSWATCH_BENCH_REAL) names either a
bare git mirror of trafilatura (its `tests/` are extracted with `git archive` into
~/.cache/presswatch-bench/trafilatura-COMMIT/) or a folder that holds `evaldata.json` and the
pages under `eval/` or `cache/` (trafilatura's `tests/` folder). Each saved page is served as it
was saved (no HTTP charset: presswatch and the peers must find the encoding themselves),
replicated to N unique URLs; page i is saved page i mod n.

The quality score is trafilatura's own: each page's `with` snippets should be in the extracted
text, its `without` snippets not (whitespace-normalised substring match, tests/eval_common.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import cache
from pathlib import Path

from bench.corpus import EPOCH, PageSpec, Rendered

CACHE = Path(os.environ.get("PRESSWATCH_BENCH_CACHE", Path.home() / ".cache" / "presswatch-bench"))
ENV = "PRESSWATCH_BENCH_REAL"


class RealPagesError(Exception):
    """The real pages cannot be found or read."""


@dataclass(frozen=True)
class SavedPage:
    url: str  # where trafilatura saved it from
    file: str
    body: bytes
    with_: tuple[str, ...]
    without: tuple[str, ...]


def prepare(source: str | os.PathLike) -> Path:
    """A folder with evaldata.json and the pages: `source` itself, its tests/, or a bare mirror extracted to the cache."""
    path = Path(source).expanduser()
    for folder in (path, path / "tests"):
        if (folder / "evaldata.json").is_file():
            return folder
    if (path / "HEAD").is_file() and (path / "objects").is_dir():
        return _from_mirror(path)
    if (path / "repo" / "HEAD").is_file():
        return _from_mirror(path / "repo")
    raise RealPagesError(f"{path}: neither a folder with evaldata.json nor a bare git mirror of trafilatura")


def _from_mirror(git_dir: Path) -> Path:
    git = ["git", f"--git-dir={git_dir}"]
    try:
        commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise RealPagesError(f"{git_dir}: cannot read the mirror: {exc}") from None
    target = CACHE / f"trafilatura-{commit[:12]}"
    if (target / "evaldata.json").is_file():
        return target
    members = [
        m
        for m in ("tests/evaldata.json", "tests/eval", "tests/cache")
        if subprocess.run([*git, "cat-file", "-e", f"HEAD:{m}"], capture_output=True, check=False).returncode == 0
    ]
    archive = subprocess.run([*git, "archive", "--format=tar", "HEAD", *members], capture_output=True, check=False)
    if archive.returncode != 0:
        raise RealPagesError(f"{git_dir}: git archive failed: {archive.stderr.decode(errors='replace')[:300]}")
    partial = target.with_name(target.name + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.startswith("tests/"):
                member.name = member.name[len("tests/") :]
                tar.extract(member, partial, filter="data")
    partial.rename(target)
    return target


def load_saved(folder: Path) -> list[SavedPage]:
    """Every annotated page whose file is there, in URL order."""
    try:
        data = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RealPagesError(f"{folder}/evaldata.json: {exc}") from None
    pages = []
    for url in sorted(data):
        item = data[url]
        for sub in ("cache", "eval"):
            path = folder / sub / item["file"]
            if path.is_file():
                pages.append(
                    SavedPage(
                        url,
                        item["file"],
                        path.read_bytes(),
                        tuple(item.get("with") or ()),
                        tuple(item.get("without") or ()),
                    )
                )
                break
    if not pages:
        raise RealPagesError(f"{folder}: evaldata.json names no page that is there")
    return pages


_SLUG = re.compile(r"[^a-z0-9]+")


# A publisher's redesign (python -m bench template): a new header, and a promo paragraph inside the body.
REDESIGN_HEADER = (
    b'<header class="site-header-2024"><a href="/">Bench News</a> <nav><a href="/list/index.html">Latest</a> '
    b'<a href="/feed.xml">RSS</a></nav><p class="tagline">Independent news since 1998</p></header>'
)
REDESIGN_PROMO = "Sign up for our morning newsletter: the day's top stories, every weekday at 7 am, free in your inbox."
_BODY_TAG = re.compile(rb"<body[^>]*>", re.IGNORECASE)


class RealCorpus:
    """N pages served from the saved ones, each under its own URL; the same interface the server uses of Corpus.

    Served byte for byte unless asked otherwise: `churn` adds per-request furniture and drops the
    validators (every crawl re-reads every page), `template_share` puts that share of the pages on a
    redesigned template, `explicit_edits` edits named pages.
    """

    def __init__(self, folder: str | os.PathLike, pages: int):
        self.folder = Path(folder)
        self.saved = load_saved(self.folder)
        self.pages = pages
        self.seed = 0
        self.base = "http://127.0.0.1"
        self.edit_rounds: list[float] = []
        self.explicit_edits: list[frozenset[int]] = []
        self.template_share = 0.0
        self.churn = False

    @property
    def furniture(self) -> bool:
        """Whether the server inserts per-request furniture (only under churn)."""
        return self.churn

    def templated(self, i: int) -> bool:
        """Whether page i is on the redesigned template (a fixed order: a page once redesigned stays so)."""
        digest = hashlib.sha1(f"real:template:{i}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.template_share

    def saved_page(self, i: int) -> SavedPage:
        return self.saved[i % len(self.saved)]

    @cache  # noqa: B019 - one corpus per process
    def spec(self, i: int) -> PageSpec:
        page = self.saved_page(i)
        slug = _SLUG.sub("-", page.file.lower().rsplit(".", 1)[0]).strip("-")[:60] or "page"
        published = EPOCH - timedelta(minutes=37 * i)
        return PageSpec(i, "real", False, f"/news/real/{i}/{slug}.html", published, page.file)

    def url(self, base: str, i: int) -> str:
        return base + self.spec(i).path

    def edited(self, i: int, round_no: int, fraction: float) -> bool:
        digest = hashlib.sha1(f"real:edit:{round_no}:{i}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < fraction

    def version(self, i: int) -> int:
        rounds = sum(1 for n, fraction in enumerate(self.edit_rounds, 1) if self.edited(i, n, fraction))
        return rounds + sum(1 for pages in self.explicit_edits if i in pages)

    def apply_edits(self, fraction: float) -> list[int]:
        self.edit_rounds.append(fraction)
        n = len(self.edit_rounds)
        return [i for i in range(self.pages) if self.edited(i, n, fraction)]

    def body(self, i: int, version: int, templated: bool = False) -> bytes:
        """The saved bytes; an edited version adds a sentence to the last paragraph (ASCII fits every encoding
        here); the redesigned template adds a header after <body> and a promo paragraph after the middle one."""
        body = self.saved_page(i).body
        if version:
            cut = body.lower().rfind(b"</p>")
            if cut > 0:
                body = body[:cut] + f" Correction {version}: this paragraph was updated.".encode() + body[cut:]
        if templated:
            ends = [m.end() for m in re.finditer(rb"</p>", body, re.IGNORECASE)]
            at = ends[len(ends) // 2] if ends else len(body)
            body = body[:at] + f"<p>{REDESIGN_PROMO}</p>".encode() + body[at:]
            tag = _BODY_TAG.search(body)
            at = tag.end() if tag else 0
            body = body[:at] + REDESIGN_HEADER + body[at:]
        return body

    def render(self, i: int, version: int | None = None) -> Rendered:
        version = self.version(i) if version is None else version
        templated = self.templated(i)
        modified = self.spec(i).published + timedelta(days=version, hours=1 if templated else 0)
        etag = '"' + hashlib.sha1(f"real:{i}:{version}:{templated}".encode()).hexdigest()[:20] + '"'
        body, tail = self.body(i, version, templated), b""
        if self.churn:  # the furniture goes inside the page, before </body>
            cut = body.lower().rfind(b"</body>")
            if cut > 0:
                body, tail = body[:cut], body[cut:]
        return Rendered(body, tail, "text/html", etag, modified.astimezone(UTC).replace(microsecond=0), modified)

    def html_text(self, i: int) -> str:
        """The page decoded as presswatch decodes it (no HTTP charset): for bare extraction."""
        from crawlers.encoding import decode_html

        return decode_html(self.saved_page(i).body, None).text


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def score(pages: list[SavedPage], texts: dict[str, str | None]) -> dict:
    """trafilatura's evaluation counts over `pages` for the texts found (by saved-page URL; None = nothing extracted)."""
    tp = fp = fn = tn = 0
    for page in pages:
        result = texts.get(page.url)
        resn = norm(result) if result else ""
        hit = sum(1 for w in page.with_ if result and norm(w) in resn)
        false = sum(1 for w in page.without if result and norm(w) in resn)
        tp, fn = tp + hit, fn + len(page.with_) - hit
        fp, tn = fp + false, tn + len(page.without) - false
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pages": len(pages),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "accuracy": round((tp + tn) / max(1, tp + fp + fn + tn), 3),
        "f1": round(f1, 3),
        "extracted": sum(1 for p in pages if texts.get(p.url)),
    }


def bare_quality(pages: list[SavedPage]) -> dict:
    """trafilatura's own evaluation runner (extract(raw bytes, include_tables, no comments, no formatting))."""
    import trafilatura

    texts = {}
    for page in pages:
        try:
            texts[page.url] = trafilatura.extract(
                page.body, include_comments=False, include_tables=True, include_formatting=False
            )
        except Exception:  # noqa: BLE001 - a crash is a miss, as in trafilatura's eval
            texts[page.url] = None
    return score(pages, texts)


def presswatch_quality(corpus: RealCorpus, db: Path, base: str) -> dict:
    """The same score for the texts presswatch stored: the first copy of each saved page, read from the warehouse."""
    from warehouse.db import connect

    first = {corpus.spec(i).path: corpus.saved_page(i) for i in range(min(corpus.pages, len(corpus.saved)))}
    with connect(db, read_only=True, wait=60) as con:
        rows = con.execute("SELECT url, text FROM article_versions WHERE version = 1").fetchall()
    texts = {}
    for url, text in rows:
        path = url.removeprefix(base)
        page = first.get(path)
        if page is not None:
            texts[page.url] = text
    return score(list(first.values()), texts)


# ---------------------------------------------------------------------------- real paragraphs

MIN_PARAGRAPH = 40  # characters: shorter lines are mostly bylines, captions and menu leftovers


def _extract_text(body: bytes) -> str:
    import trafilatura

    try:
        return trafilatura.extract(body, include_comments=False, include_tables=False, include_formatting=False) or ""
    except Exception:  # noqa: BLE001 - a page trafilatura cannot read gives no paragraphs
        return ""


def real_paragraphs(folder: Path) -> list[str]:
    """The distinct paragraphs (lines of at least MIN_PARAGRAPH characters) trafilatura extracts from
    the saved pages in `folder`, in page order; cached beside the pages (paragraphs.json)."""
    cached = folder / "paragraphs.json"
    if cached.is_file():
        return json.loads(cached.read_text(encoding="utf-8"))
    from concurrent.futures import ProcessPoolExecutor

    pages = load_saved(folder)
    with ProcessPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
        texts = list(pool.map(_extract_text, [page.body for page in pages], chunksize=8))
    seen: set[str] = set()
    paragraphs = []
    for text in texts:
        for line in text.splitlines():
            line = norm(line)
            if len(line) >= MIN_PARAGRAPH and line not in seen:
                seen.add(line)
                paragraphs.append(line)
    partial = cached.with_suffix(".partial")
    partial.write_text(json.dumps(paragraphs, ensure_ascii=False), encoding="utf-8")
    partial.rename(cached)
    return paragraphs


def find_pages() -> Path | None:
    """The real pages if this machine has them: PRESSWATCH_BENCH_REAL, else a copy already extracted to the cache."""
    explicit = os.environ.get(ENV)
    if explicit:
        return prepare(explicit)
    extracted = sorted(CACHE.glob("trafilatura-*/evaldata.json"))
    return extracted[-1].parent if extracted else None
