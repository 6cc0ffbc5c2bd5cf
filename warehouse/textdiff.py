"""Word-level differences between two versions of a text (character-level for Chinese, Japanese, Korean)."""

from __future__ import annotations

import difflib
import re

from warehouse.cjk import CJK_CHAR, CJK_RANGES

_TOKEN = re.compile(rf"[{CJK_RANGES}]|[^\s{CJK_RANGES}]+|\s+")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n+")


def tokens(text: str | None) -> list[str]:
    """Words and white space, with each CJK character its own token."""
    return _TOKEN.findall(text or "")


def sentences(text: str | None) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text or "") if s and s.strip()]


def opcodes(old: str | None, new: str | None):
    """(tag, old tokens, new tokens) runs from difflib over tokens."""
    a, b = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        yield tag, a[i1:i2], b[j1:j2]


def word_counts(old: str | None, new: str | None) -> tuple[int, int]:
    """Words (or CJK characters) added and removed between two texts.

    Paragraphs first, then words only inside the paragraphs that differ: an edit touches a few
    paragraphs, and a word-level SequenceMatcher over a whole article costs ~17 ms (it runs inside
    the load's write lock, once per edited article).
    """
    a, b = (old or "").split("\n"), (new or "").split("\n")
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            more, fewer = _word_counts("\n".join(a[i1:i2]), "\n".join(b[j1:j2]))
            added, removed = added + more, removed + fewer
    return added, removed


def _word_counts(old: str, new: str) -> tuple[int, int]:
    added = removed = 0
    for tag, before, after in opcodes(old, new):
        if tag in ("replace", "delete"):
            removed += sum(1 for t in before if not t.isspace())
        if tag in ("replace", "insert"):
            added += sum(1 for t in after if not t.isspace())
    return added, removed


def first_changed_sentence(old: str | None, new: str | None) -> tuple[str | None, str | None]:
    """The first sentence that differs: (as it stood before, as it stands now); None where absent."""
    a, b = sentences(old), sentences(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            return (a[i1] if i1 < i2 else None), (b[j1] if j1 < j2 else None)
    return None, None


def word_gap(deleted: str, inserted: str) -> bool:
    """Whether an inline diff needs a space between a deletion and the insertion after it.

    "<del>fabricated</del><ins>not</ins>" reads "fabricatednot" wherever the marks do not show
    (copied text, a screen reader, a plain-text mail part); Chinese, Japanese and Korean text has
    no spaces between words, and a side that already has one needs no other.
    """
    ends, starts = deleted[-1:], inserted[:1]
    return not (ends.isspace() or starts.isspace() or CJK_CHAR.match(ends) or CJK_CHAR.match(starts))
