"""Write a proposed source as a commented registry entry, and append it to a registry file."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from crawlers.registry import RegistryError, load_registry, parse_registry

from .errors import EntryError
from .propose import Proposal


def _s(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _list(values) -> str:
    return "[" + ", ".join(_s(v) for v in values) + "]"


def render_entry(p: Proposal, today: date | None = None) -> str:
    """TOML text of one `[[sources]]` entry with a comment per choice."""
    today = today or date.today()
    covered, articles, excluded, others = p.coverage()
    lines = [
        f"# Proposed by `presswatch sources add {p.start_url}` on {today.isoformat()}.",
        "[[sources]]",
        f"name = {_s(p.name)}",
        f"label = {_s(p.label)}  # the site's own name",
        f"language = {_s(p.language)}  # detected on the sample articles",
        f"allowed_domains = {_list(p.allowed_domains)}  # and their subdomains",
    ]
    if p.feeds:
        lines.append(
            f"feeds = {_list(f.url for f in p.feeds)}  # " + "; ".join(f"{len(f.links)} items" for f in p.feeds)
        )
    if p.sitemaps:
        lines.append(
            f"sitemaps = {_list(s.url for s in p.sitemaps)}  # " + "; ".join(f"{len(s.links)} URLs" for s in p.sitemaps)
        )
    if p.listings:
        lines.append(f"listings = {_list(f.url for f in p.listings)}  # pages linking to articles")
    if p.listing_pattern:
        lines.append(f"listing_pattern = {_s(p.listing_pattern)}  # their further pages")
    lines += [
        f"# covers {covered} of {articles} sampled articles; excludes {excluded} of {others} other sampled pages",
        f"# and {p.fixed_links} section links; matches {p.matched} of the {p.candidates} URLs discovered",
        f"article_pattern = {_s(p.article_pattern)}",
        'schedule = "0 */6 * * *"  # every six hours',
        f"download_delay = {float(p.delay)}  # seconds between requests",
        "concurrency = 1",
        "autothrottle = true",
        "max_articles = 200  # new articles per run",
        "verified = false  # `presswatch sources check NAME --write` sets the date it passed",
    ]
    return "\n".join(lines) + "\n"


def append_entry(path: Path, text: str, name: str) -> None:
    """Append `text` to the registry at `path` (created if absent); refuse duplicates or a broken result."""
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    if existing.strip():
        try:
            registry = load_registry(path)
        except RegistryError as exc:
            raise EntryError(f"the registry {path} is already broken, not written: {'; '.join(exc.problems)}") from None
        if any(s.name == name for s in registry.sources):
            raise EntryError(
                f"the registry {path} already has a source named {name!r}: not written; pass --name to choose another"
            )
    combined = (
        existing
        + ("\n" if existing and not existing.endswith("\n") else "")
        + ("\n" if existing.strip() else "")
        + text
    )
    try:
        parse_registry(combined, path)
    except RegistryError as exc:
        raise EntryError(f"the entry would break {path}, not written: {'; '.join(exc.problems)}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(combined, encoding="utf-8")
    load_registry(path)  # what is on disk validates


def set_verified(path: Path, names, when: date) -> None:
    """Set `verified = "YYYY-MM-DD"` in each named entry, editing the TOML text in place (comments kept)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    blocks = [i for i, line in enumerate(lines) if line.strip().startswith("[[sources]]")]
    stamp = f'verified = "{when.isoformat()}"'
    for name in names:
        start = _block_of(lines, blocks, name)
        end = next((b for b in blocks if b > start), None)
        end = end if end is not None else _next_table(lines, start)
        for i in range(start + 1, end):
            if re.match(r"\s*verified\s*=", lines[i]):
                comment = lines[i].split("#", 1)[1].rstrip("\n") if "#" in lines[i] else ""
                lines[i] = stamp + (f"  #{comment}" if comment else "") + "\n"
                break
        else:
            name_line = next(i for i in range(start + 1, end) if re.match(r"\s*name\s*=", lines[i]))
            lines.insert(name_line + 1, stamp + "\n")
            blocks = [b + 1 if b > name_line else b for b in blocks]
    text = "".join(lines)
    parse_registry(text, path)
    path.write_text(text, encoding="utf-8")


def _block_of(lines, blocks, name) -> int:
    pattern = re.compile(r"\s*name\s*=\s*[\"']" + re.escape(name) + r"[\"']")
    for n, start in enumerate(blocks):
        end = blocks[n + 1] if n + 1 < len(blocks) else len(lines)
        if any(pattern.match(lines[i]) for i in range(start + 1, end)):
            return start
    raise EntryError(f"no entry named {name!r} found in the registry text")


def _next_table(lines, start) -> int:
    for i in range(start + 1, len(lines)):
        if lines[i].startswith("["):  # a table header; indented "[" lines continue an array value
            return i
    return len(lines)
