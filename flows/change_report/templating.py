"""The change report's Jinja2 templates (flows/change_report/templates/, package data), autoescaped."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined

from warehouse.textdiff import word_gap

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
