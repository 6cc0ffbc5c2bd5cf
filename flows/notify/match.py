"""Which changes an alert rule wants: kinds, silent edits, sources, phrases, a minimum size."""

from __future__ import annotations

import re

from crawlers.alert_rules import AlertRule
from warehouse.change_kinds import EDIT_KINDS
from warehouse.changes import Change
from warehouse.cjk import CJK_CHAR
from warehouse.history import segments


def changed_text(change: Change) -> tuple[str, str]:
    """(removed, added): the words a change took out of the article and those it put in."""
    kind = change.change_kind
    if kind == "new":
        return "", "\n".join(t for t in (change.title, change.new_text) if t)
    if kind == "deleted":
        return "\n".join(t for t in (change.previous_title, change.old_text) if t), ""
    if kind == "restored":
        return "", "\n".join(t for t in (change.title, change.new_text) if t)
    removed, added = [], []
    if (change.previous_title or "") != (change.title or ""):
        removed.append(change.previous_title or "")
        added.append(change.title or "")
    for segment in segments(change.old_text, change.new_text):
        if segment.op == "delete":
            removed.append(segment.text)
        elif segment.op == "insert":
            added.append(segment.text)
    return "\n".join(removed), "\n".join(added)


def term_pattern(term: str) -> re.Pattern[str]:
    """A phrase as a pattern: whole words, case-insensitive; Chinese, Japanese, Korean anywhere."""
    words = [re.escape(w) for w in term.split()]
    body = r"\s+".join(words)
    if CJK_CHAR.search(term):
        return re.compile(body, re.IGNORECASE)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def matches(rule: AlertRule, change: Change) -> bool:
    """Whether `rule` wants to hear about `change`."""
    if change.change_kind not in rule.kinds:
        return False
    if rule.sources and change.source not in rule.sources:
        return False
    if rule.silent_only and not (change.change_kind in EDIT_KINDS and change.silent):
        return False
    words = (change.words_added or 0) + (change.words_removed or 0)
    if rule.min_words_changed and change.change_kind in EDIT_KINDS and words < rule.min_words_changed:
        return False
    if rule.terms:
        removed, added = changed_text(change)
        if not any(term_pattern(t).search(removed) or term_pattern(t).search(added) for t in rule.terms):
            return False
    return True


def matching(rule: AlertRule, changes: list[Change]) -> list[Change]:
    """The changes `rule` wants, in their order."""
    return [c for c in changes if matches(rule, c)]
