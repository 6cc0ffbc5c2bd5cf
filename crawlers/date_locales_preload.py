"""Imported by an extraction fork server whose pool will be recycled: every locale's date patterns, built once.

htmldate hands dateparser the date-like strings it cannot read itself, and dateparser tries every
locale (about 200) on one that none reads, building three patterns for each as it goes. Real pages
hold such strings in their sidebars and footers, so a fresh worker spent about a second of CPU on
its first hundred pages building them, and again after every recycle (docs/benchmarks.md, issue 23,
round nine). Built here they cost that second once, and the workers share them with the server.
The patterns are cached per parser settings, so they must be built through htmldate's own parser.
Runs under 1,000 articles, or that start only one or two workers, do without
(crawlers/pipelines/extract.py): their workers build what their pages need, which costs them less.
"""

from __future__ import annotations

import gc

# A date no locale reads: dateparser tries every locale on it.
UNREADABLE_DATE = "12 qqzx 2021"


def build_date_locales() -> None:
    """Have htmldate's dateparser build every locale's patterns. Only a saving: on any failure each
    worker builds what it needs, as it would without this module."""
    try:
        from htmldate.extractors import get_external_parser

        get_external_parser().get_date_data(UNREADABLE_DATE)
    except Exception:  # noqa: BLE001 - a saving, never a reason for the fork server to fail
        return


build_date_locales()
gc.freeze()
