"""What an article looks like, or whether it exists, at a given stage of the demo site."""

from __future__ import annotations

import hashlib
import math

from .content import (
    ARTICLES,
    BY_PATH,
    EDIT,
    REDESIGN_EDITS,
    REDESIGN_PROMO,
    REDESIGN_SHARES,
    RETITLE,
    STAGE_CHANGES,
    Article,
)

OK, DELETED, GONE = 200, 404, 410


def status(path: str, stage: int) -> int | None:
    """HTTP status of an article path at `stage`; None when the path is no article at all."""
    if path not in BY_PATH:
        return None
    changes = STAGE_CHANGES[stage]
    if path in changes["deleted"]:
        return DELETED
    if path in changes["gone"]:
        return GONE
    return OK


def title(article: Article, stage: int) -> str:
    if article.path in STAGE_CHANGES[stage]["retitled"]:
        return RETITLE["new"]
    return article.title


def paragraphs(article: Article, stage: int, redesign: int = 0) -> tuple[str, ...]:
    """The article's paragraphs at `stage` and redesign step `redesign` (its edits and its promo)."""
    found = article.paragraphs
    if article.path in STAGE_CHANGES[stage]["edited"]:
        found = tuple(p.replace(EDIT["old"], EDIT["new"]) for p in found)
    for edit in REDESIGN_EDITS[:redesign]:
        if edit["path"] == article.path:
            found = (
                found + (edit["new"],)
                if edit["old"] is None
                else tuple(p.replace(edit["old"], edit["new"]) for p in found)
            )
    if redesigned(article, redesign):
        found = found[:1] + (REDESIGN_PROMO[article.outlet],) + found[1:]
    return found


def redesigned(article: Article, redesign: int) -> bool:
    """Whether the article is on the new template at redesign step `redesign`."""
    mates = sorted((a for a in ARTICLES if a.outlet == article.outlet), key=_rollout_order)
    return mates.index(article) < math.ceil(REDESIGN_SHARES[redesign] * len(mates))


def _rollout_order(article: Article) -> str:
    return hashlib.sha1(article.path.encode()).hexdigest()


def visible(outlet: str, stage: int, include_private: bool = False) -> list[Article]:
    """The outlet's live articles at `stage`, newest first."""
    found = [
        a for a in ARTICLES if a.outlet == outlet and status(a.path, stage) == OK and (include_private or not a.private)
    ]
    return sorted(found, key=lambda a: a.published, reverse=True)


def expected_counts(stage: int) -> dict[str, int]:
    """Visible (non-private) articles per outlet at `stage`."""
    outlets = dict.fromkeys(a.outlet for a in ARTICLES)
    return {name: len(visible(name, stage)) for name in outlets}
