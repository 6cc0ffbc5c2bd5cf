"""An article's versions, the differences between two of them, and the report of recent changes.

Reads only: everything here goes through the `article_history` macro and the `article_changes`
view of migration 002, so what the command line shows is what an analyst's SQL sees.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from warehouse.db import connect
from warehouse.errors import WarehouseError
from warehouse.query import require_sources
from warehouse.textdiff import opcodes, word_counts

CHANGE_KINDS = ("edited", "retitled", "deleted", "restored", "reextracted", "template")
CHANGE_COLUMNS = (
    "detected_at",
    "source",
    "change_kind",
    "silent",
    "title",
    "canonical_url",
    "words_added",
    "words_removed",
    "previous_sentence",
    "changed_sentence",
    "previous_title",
    "from_version",
    "to_version",
    "http_status",
)


class UnknownArticle(WarehouseError):
    """No article in the warehouse was ever seen at that URL."""


class UnknownVersion(WarehouseError):
    """The article has no version with that number, or none fit for the request."""


@dataclass(frozen=True)
class Version:
    """One stored version of an article (a row of `article_history`)."""

    article_id: str
    version: int
    change_kind: str
    canonical_url: str
    url: str | None
    source: str
    title: str | None
    text: str | None
    language: str | None
    valid_from: datetime
    valid_to: datetime | None
    http_status: int | None
    extractor_version: str | None
    raw_hash: str | None
    warc_file: str | None
    warc_offset: int | None
    warc_length: int | None

    @property
    def is_tombstone(self) -> bool:
        return self.change_kind == "deleted"


_VERSION_COLUMNS = ", ".join(Version.__dataclass_fields__)


def spellings(url: str | Sequence[str]) -> list[str]:
    """One URL or several spellings of it, as a list."""
    return [url] if isinstance(url, str) else list(url)


def article_versions(db, url: str | Sequence[str], wait: float = 5.0) -> list[Version]:
    """Every version of the article at `url` (canonical or fetched; several spellings allowed), oldest first.

    Raises UnknownArticle when no version matches.
    """
    urls = spellings(url)
    found: dict[str, list[Version]] = {}
    with connect(db, read_only=True, wait=wait) as con:
        for spelling in urls:
            rows = con.execute(f"SELECT {_VERSION_COLUMNS} FROM article_history(?)", [spelling]).fetchall()
            for row in rows:
                version = Version(*row)
                found.setdefault(version.article_id, []).append(version)
            if found:
                break
    if not found:
        raise UnknownArticle(
            f"no article was ever seen at {urls[0]}; list known ones with "
            '`presswatch sql "select canonical_url, title from articles"`'
        )
    return _pick(found, urls)


def _pick(found: dict[str, list[Version]], urls: list[str]) -> list[Version]:
    """One article: the one whose canonical URL was asked for, else the one seen most recently."""
    for versions in found.values():
        if versions[0].canonical_url in urls:
            return _dedupe(versions)
    return _dedupe(max(found.values(), key=lambda vs: vs[-1].valid_from))


def _dedupe(versions: list[Version]) -> list[Version]:
    return sorted({v.version: v for v in versions}.values(), key=lambda v: v.version)


# ---------------------------------------------------------------------------------------- diffs


@dataclass(frozen=True)
class Segment:
    """A run of text that both versions share (`equal`), or only the old (`delete`) or new (`insert`) has."""

    op: str
    text: str


@dataclass
class Hunk:
    """Changed paragraphs with a little unchanged context; each paragraph is a list of segments."""

    old_start: int  # 1-based paragraph numbers where the hunk begins in each version
    new_start: int
    paragraphs: list[list[Segment]] = field(default_factory=list)


@dataclass
class VersionDiff:
    """What changed between two versions of one article."""

    old: Version
    new: Version
    title: list[Segment] | None  # None when the title did not change
    hunks: list[Hunk]
    words_added: int
    words_removed: int

    @property
    def unchanged(self) -> bool:
        return self.title is None and not self.hunks


def segments(old: str | None, new: str | None) -> list[Segment]:
    """Word-level (CJK: character-level) runs turning `old` into `new`; a replacement is a delete then an insert.

    Two replacements separated only by white space become one, so a reworded clause reads as one
    change ("[-nothing but lies-]{+not supported+}") rather than as alternating single words.
    """
    runs: list[list[str]] = []  # ["equal", text] or ["change", deleted, inserted]
    for tag, before, after in opcodes(old, new):
        if tag == "equal":
            runs.append(["equal", "".join(before)])
            continue
        deleted, inserted = "".join(before), "".join(after)
        if len(runs) >= 2 and _replacement(runs[-2]) and deleted and inserted and runs[-1][1].isspace():
            space = runs.pop()[1]
            runs[-1][1] += space + deleted
            runs[-1][2] += space + inserted
        elif runs and runs[-1][0] == "change":
            runs[-1][1] += deleted
            runs[-1][2] += inserted
        else:
            runs.append(["change", deleted, inserted])
    out: list[Segment] = []
    for run in runs:
        if run[0] == "equal":
            _append(out, "equal", run[1])
        else:
            _append(out, "delete", run[1])
            _append(out, "insert", run[2])
    return out


def _replacement(run: list[str]) -> bool:
    return run[0] == "change" and bool(run[1]) and bool(run[2])


def _append(out: list[Segment], op: str, text: str) -> None:
    if not text:
        return
    if out and out[-1].op == op:
        out[-1] = Segment(op, out[-1].text + text)
    else:
        out.append(Segment(op, text))


def diff_texts(old: str | None, new: str | None, context: int = 1) -> list[Hunk]:
    """Hunks of changed paragraphs (lines of the stored text), each with up to `context` unchanged ones around it."""
    a = (old or "").split("\n") if old else []
    b = (new or "").split("\n") if new else []
    # Units: ("equal", i, j, paragraph) or ("change", i, j, [paragraphs as segment lists]).
    units: list[tuple] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            units.extend(("equal", i1 + k, j1 + k, [[Segment("equal", a[i1 + k])]]) for k in range(i2 - i1))
        else:
            joined = segments("\n".join(a[i1:i2]), "\n".join(b[j1:j2]))
            units.append(("change", i1, j1, _split_lines(joined)))
    changed = [n for n, unit in enumerate(units) if unit[0] == "change"]
    shown = {n + d for n in changed for d in range(-context, context + 1) if 0 <= n + d < len(units)}
    hunks: list[Hunk] = []
    previous = None
    for n in sorted(shown):
        kind, i, j, paragraphs = units[n]
        if previous is None or n != previous + 1:
            hunks.append(Hunk(old_start=i + 1, new_start=j + 1))
        hunks[-1].paragraphs.extend(paragraphs)
        previous = n
    return hunks


def _split_lines(runs: list[Segment]) -> list[list[Segment]]:
    """Cut segments at line breaks so that each paragraph is its own list."""
    lines: list[list[Segment]] = [[]]
    for segment in runs:
        parts = segment.text.split("\n")
        for k, part in enumerate(parts):
            if k:
                lines.append([])
            if part:
                lines[-1].append(Segment(segment.op, part))
    return [line for line in lines if line]


def compare(old: Version, new: Version, context: int = 1) -> VersionDiff:
    """The difference between two versions (a tombstone counts as an empty text)."""
    old_text = None if old.is_tombstone else old.text
    new_text = None if new.is_tombstone else new.text
    title = segments(old.title, new.title) if (old.title or "") != (new.title or "") else None
    added, removed = word_counts(old_text, new_text)
    return VersionDiff(old, new, title, diff_texts(old_text, new_text, context), added, removed)


def version_diff(
    db,
    url: str | Sequence[str],
    from_version: int | None = None,
    to_version: int | None = None,
    context: int = 1,
    wait: float = 5.0,
) -> VersionDiff:
    """Diff two versions of the article at `url`; by default the latest and the last one before it with text."""
    versions = article_versions(db, url, wait=wait)
    old, new = choose_pair(versions, from_version, to_version)
    return compare(old, new, context)


def choose_pair(versions: list[Version], from_version: int | None, to_version: int | None) -> tuple[Version, Version]:
    """The two versions to compare: by default the latest, and the last version before it that holds text."""
    by_number = {v.version: v for v in versions}
    url = versions[-1].canonical_url
    for number in (from_version, to_version):
        if number is not None and number not in by_number:
            raise UnknownVersion(f"{url} has versions 1 to {versions[-1].version}, not {number}")
    with_text = [v for v in versions if not v.is_tombstone]
    # The latest may be a tombstone: the diff then shows the whole text removed.
    new = by_number[to_version] if to_version is not None else versions[-1]
    if from_version is not None:
        old = by_number[from_version]
    else:
        earlier = [v for v in with_text if v.version < new.version]
        if not earlier:
            raise UnknownVersion(
                f"{url} has no earlier version to compare version {new.version} with "
                f"(it has {len(versions)} version(s)); see `presswatch history {url}`"
            )
        old = earlier[-1]
    if old.version == new.version:
        raise UnknownVersion(f"--from and --to name the same version ({old.version}) of {url}")
    return old, new


# ------------------------------------------------------------------------------------ the report


def recent_changes(
    db,
    since: datetime | None = None,
    sources: Sequence[str] = (),
    kinds: Sequence[str] | None = None,
    silent_only: bool = False,
    wait: float = 5.0,
) -> tuple[list[str], list[tuple]]:
    """Changes detected since `since` (UTC), newest first, from `article_changes`.

    Without `kinds`, every publisher change (re-extractions left out); `silent_only` keeps silent edits.
    Template events (kind `template`, one per change of a source's site template) come with them.
    """
    where: list[str] = ["true"]
    params: list = []
    if since is not None:
        where.append("detected_at >= ?")
        params.append(since)
    if sources:
        where.append(f"source IN ({', '.join('?' for _ in sources)})")
        params.extend(sources)
    if kinds:
        where.append(f"change_kind IN ({', '.join('?' for _ in kinds)})")
        params.extend(kinds)
    else:
        where.append("publisher_change")
    if silent_only:
        where.append("silent")
    columns = ", ".join(CHANGE_COLUMNS)
    sql = (
        f"SELECT {columns} FROM (SELECT {columns}, publisher_change FROM article_changes "
        f"UNION ALL BY NAME SELECT {columns}, publisher_change FROM template_changes) WHERE {' AND '.join(where)} "
        "ORDER BY detected_at DESC, source, canonical_url"
    )
    with connect(db, read_only=True, wait=wait) as con:
        require_sources(con, sources)
        rows = con.execute(sql, params).fetchall()
    return list(CHANGE_COLUMNS), rows
