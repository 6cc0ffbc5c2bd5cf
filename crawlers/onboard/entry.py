"""Write a proposed source as a commented registry entry, and append it to a registry file."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import tomlkit
from tomlkit.items import Table

from crawlers.registry import RegistryError, load_registry, parse_registry

from .errors import EntryError
from .propose import Proposal


def render_entry(p: Proposal, today: date | None = None) -> str:
    """TOML text of one `[[sources]]` entry with a comment per choice."""
    today = today or date.today()
    covered, articles, excluded, others = p.coverage()
    entry = tomlkit.table()

    def put(key: str, value, comment: str | None = None) -> None:
        item = tomlkit.item(value)
        if comment:
            item.comment(comment)
            item.trivia.comment_ws = "  "  # the spacing of the bundled registry
        entry.add(key, item)

    put("name", p.name)
    put("label", p.label, "the site's own name")
    put("language", p.language, "detected on the sample articles")
    put("allowed_domains", list(p.allowed_domains), "and their subdomains")
    if p.feeds:
        put("feeds", [f.url for f in p.feeds], "; ".join(f"{len(f.links)} items" for f in p.feeds))
    if p.sitemaps:
        put("sitemaps", [s.url for s in p.sitemaps], "; ".join(f"{len(s.links)} URLs" for s in p.sitemaps))
    if p.listings:
        put("listings", [f.url for f in p.listings], "pages linking to articles")
    if p.listing_pattern:
        put("listing_pattern", p.listing_pattern, "their further pages")
    entry.add(
        tomlkit.comment(
            f"covers {covered} of {articles} sampled articles; excludes {excluded} of {others} other sampled pages"
        )
    )
    entry.add(
        tomlkit.comment(f"and {p.fixed_links} section links; matches {p.matched} of the {p.candidates} URLs discovered")
    )
    put("article_pattern", p.article_pattern)
    put("schedule", "0 */6 * * *", "every six hours")
    put("download_delay", float(p.delay), "seconds between requests")
    put("concurrency", 1)
    put("autothrottle", True)
    put("max_articles", 200, "new articles per run")
    put("verified", False, "`presswatch sources check NAME --write` sets the date it passed")
    document = tomlkit.document()
    document.add(tomlkit.comment(f"Proposed by `presswatch sources add {p.start_url}` on {today.isoformat()}."))
    document.append("sources", tomlkit.aot())
    document["sources"].append(entry)
    return tomlkit.dumps(document)


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
    """Set `verified = "YYYY-MM-DD"` in each named entry with tomlkit, keeping every comment and the layout."""
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    entries = document.get("sources", [])
    stamp = when.isoformat()
    for name in names:
        entry = next((e for e in entries if e.get("name") == name), None)
        if entry is None:
            raise EntryError(f"no entry named {name!r} found in the registry text")
        if "verified" in entry or not isinstance(entry, Table):
            entry["verified"] = stamp  # an existing key keeps its comment
        else:
            # Right after the name: appended at the end, it would land below the comments that
            # introduce the next entry. tomlkit has no public insert-after.
            entry.value._insert_after("name", "verified", stamp)
    text = tomlkit.dumps(document)
    parse_registry(text, path)
    path.write_text(text, encoding="utf-8")
