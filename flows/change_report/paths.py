"""Where the change report lives and how its pages are named, for the site writer and the alerts that link to it."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


def page_name(article_id: str) -> str:
    """The file name of an article's page: its id when that is safe in a path, else a hash of it."""
    stem = article_id if _SAFE.match(article_id) else hashlib.sha1(article_id.encode()).hexdigest()[:20]
    return f"{stem}.html"


def report_dir(data: Path) -> Path:
    """The report `serve` keeps current: data/report/."""
    return data / "report"


def report_base(data: Path) -> str:
    """The address alerts link to: PRESSWATCH_REPORT_URL (where the report is published), else the file on disk."""
    published = os.environ.get("PRESSWATCH_REPORT_URL")
    if published:
        return published.rstrip("/") + "/"
    return report_dir(data).resolve().as_uri() + "/"


def page_url(base: str, article_id: str, version: int | None = None) -> str:
    """An article's page in the report (at a version's anchor)."""
    anchor = f"#v{version}" if version else ""
    return f"{base}articles/{page_name(article_id)}{anchor}"
