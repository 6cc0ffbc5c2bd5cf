"""The change report's Jinja2 templates (flows/change_report/templates/, package data), autoescaped."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined

from warehouse.cjk import CJK_CHAR


def word_gap(deleted: str, inserted: str) -> bool:
    """Whether an inline diff needs a space between a deletion and the insertion after it.

    "<del>fabricated</del><ins>not</ins>" reads "fabricatednot" wherever the marks do not show
    (copied text, a screen reader, a plain-text mail part); Chinese, Japanese and Korean text has
    no spaces between words, and a side that already has one needs no other.
    """
    ends, starts = deleted[-1:], inserted[:1]
    return not (ends.isspace() or starts.isspace() or CJK_CHAR.match(ends) or CJK_CHAR.match(starts))


TEMPLATES = Environment(
    loader=PackageLoader("flows.change_report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.tests["word_gap"] = word_gap


def render(template: str, **context) -> str:
    """One template filled in: every value is HTML-escaped unless the template marks it safe."""
    return TEMPLATES.get_template(template).render(**context)
