"""The source registry: a TOML file of `[[sources]]` entries, validated up front.

A broken registry is refused as a whole with every problem listed, each naming the file, the
entry and (where it can be found) the line, so a typo never silently drops a source.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crawlers.alert_rules import AlertRule, parse_alerts
from crawlers.registry_types import (
    Count,
    CountFromZero,
    Cron,
    Duration,
    Hosts,
    HttpUrls,
    Invalid,
    ManyArticles,
    Regex,
    Regexes,
    Revisit,
    Seconds,
    Selectors,
    Share,
    Slug,
    Switch,
    Text,
    Verified,
    validate_tables,
)
from warehouse.rules import CONFIRM_DELETION, DELETION_GRACE, TEMPLATE_MIN_ARTICLES, TEMPLATE_SHARE

# Package data, so a non-editable install has it too (pyproject.toml lists it).
DEFAULT_REGISTRY = Path(str(resources.files("crawlers").joinpath("sources.toml")))
DEFAULT_USER_AGENT = "presswatch/0.1 (media monitoring; +https://github.com/presswatch/presswatch)"
# Revisit intervals by article age: every run for 2 days, daily to 14 days, weekly to 90, then monthly.
DEFAULT_REVISIT = (("2d", "0s"), ("14d", "1d"), ("90d", "7d"), ("inf", "30d"))


class RegistryError(Exception):
    """The registry file cannot be used; `problems` lists each reason."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


class RegistryNotFound(RegistryError):
    """No registry file at the path given (or at the bundled default)."""

    def __init__(self, path: Path):
        super().__init__(path, ["the file does not exist"])


class UnknownSource(Exception):
    """A source name that the registry does not hold."""


class Source(BaseModel):
    """One outlet or press office, as the spider, the flows and the loader see it (a `[[sources]]` entry)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Slug = Field(description="slug used on the command line and in the warehouse")
    label: Text = Field(description="display name")
    language: Text = Field(description="ISO 639-1 code of the articles")
    allowed_domains: Hosts = Field(description="hosts (and their subdomains) the crawl may fetch")
    article_pattern: Regex = Field(description="regex an article URL must match (re.search on the normalised URL)")
    feeds: HttpUrls = Field((), description="RSS/Atom feed URLs")
    sitemaps: HttpUrls = Field((), description="sitemaps or sitemap indexes (Google News sitemaps too)")
    listings: HttpUrls = Field((), description="listing pages whose article links are followed")
    listing_pattern: Regex | None = Field(None, description="regex for further listing pages (pagination)")
    schedule: Cron = Field("0 */6 * * *", description="cron for `presswatch serve`")
    download_delay: Seconds = Field(2.0, description="seconds between requests")
    concurrency: Count = Field(1, description="simultaneous requests to the source")
    autothrottle: Switch = Field(True, description="Scrapy's AutoThrottle")
    user_agent: Text = Field(DEFAULT_USER_AGENT, description="the User-Agent header")
    max_articles: Count = Field(300, description="new articles per run")
    max_listing_pages: Count = Field(20, description="listing pages followed per run")
    max_depth: CountFromZero = Field(3, description="links followed from a listing page")
    max_download_bytes: Count = Field(10 * 1024 * 1024, description="largest response body, in bytes")
    download_timeout: Seconds = Field(30.0, description="seconds a request may take")
    retry_after_max: Seconds = Field(120.0, description="longest wait a 429/503 Retry-After may impose")
    crawl_timeout: Seconds = Field(1800.0, description="seconds one crawl of the source may take")
    confirm_deletion: Count = Field(CONFIRM_DELETION, description="consecutive 404/410/soft-404 checks")
    deletion_grace: Duration = Field(DELETION_GRACE, description="between the first and the confirming check")
    conditional_get: Switch = Field(True, description="ETag/Last-Modified requests (off for stale ETags)")
    revisit: Revisit = Field(DEFAULT_REVISIT, validate_default=True)
    revisit_after_edit: Duration = Field(7 * 86400.0, description="revisit every run for this long after an edit")
    ignore_selectors: Selectors = Field((), description="CSS selectors removed before hashing")
    ignore_patterns: Regexes = Field((), description="regexes removed from the text before hashing")
    template_min_articles: ManyArticles = Field(
        TEMPLATE_MIN_ARTICLES, description="a site block recurs in at least this many articles..."
    )
    template_share: Share = Field(TEMPLATE_SHARE, description="...and in this share of them (warehouse/rules.py)")
    verified: Verified = Field(False, description="false, or the date `presswatch sources check --write` passed")
    notes: Text = ""

    @model_validator(mode="after")
    def _discoverable(self) -> Source:
        if not (self.feeds or self.sitemaps or self.listings):
            raise Invalid("no discovery method: give at least one of feeds, sitemaps, listings")
        return self

    @property
    def verified_on(self) -> str:
        """How the listing shows it: the date it was verified, "yes" (no date given) or "no"."""
        if isinstance(self.verified, str):
            return self.verified
        return "yes" if self.verified else "no"

    @property
    def article_regex(self) -> re.Pattern[str]:
        return re.compile(self.article_pattern)

    def matches_article(self, url: str) -> bool:
        return self.article_regex.search(url) is not None

    def loader_settings(self, registry: Path | None = None) -> dict:
        """The settings the warehouse loader needs, carried inside each staged batch.

        `registry` is the file this entry was read from; the warehouse keeps it per source.
        """
        return {
            "confirm_deletion": self.confirm_deletion,
            "deletion_grace": self.deletion_grace,
            "template_min_articles": self.template_min_articles,
            "template_share": self.template_share,
            "language": self.language,
            "label": self.label,
            "allowed_domains": list(self.allowed_domains),
            "registry": str(Path(registry).resolve()) if registry else None,
        }


def source_defaults() -> dict:
    """Every registry key's default: the one table Scrapy's settings and the docs take them from."""
    return {name: f.default for name, f in Source.model_fields.items() if not f.is_required()}


@dataclass
class Registry:
    """All sources of one registry file, in file order."""

    path: Path
    sources: list[Source] = field(default_factory=list)
    alerts: list[AlertRule] = field(default_factory=list)  # the [[alerts]] rules (crawlers/alert_rules.py)

    def get(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise UnknownSource(f"no source named {name!r} in {self.path} (known: {known})")

    def select(self, names: list[str] | tuple[str, ...] | None) -> list[Source]:
        if not names:
            return list(self.sources)
        return [self.get(name) for name in names]


def registry_path(explicit: str | os.PathLike | None = None) -> Path:
    """The registry to use: the flag, else PRESSWATCH_SOURCES, else the bundled sources.toml."""
    chosen = explicit or os.environ.get("PRESSWATCH_SOURCES") or DEFAULT_REGISTRY
    return Path(chosen)


def load_registry(path: str | os.PathLike | None = None) -> Registry:
    """Read and validate a registry file; raise RegistryError naming every problem."""
    path = registry_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RegistryNotFound(path) from None
    except OSError as exc:
        raise RegistryError(path, [f"cannot read the file ({exc.strerror or exc})"]) from None
    except UnicodeDecodeError:
        raise RegistryError(path, ["the file is not UTF-8 text"]) from None
    return parse_registry(text, path)


def parse_registry(text: str, path: Path) -> Registry:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(path, [f"not valid TOML: {exc}"]) from None
    found: list[str] = []
    unknown_top = set(data) - {"defaults", "sources", "alerts"}
    if unknown_top:
        found.append(f"unknown top-level key(s): {', '.join(sorted(unknown_top))}")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        found.append("defaults must be a [defaults] table")
        defaults = {}
    entries = data.get("sources", [])
    if not isinstance(entries, list) or not entries:
        found.append("no [[sources]] entries")
        raise RegistryError(path, found)
    sources, entry_problems, names = validate_tables(Source, entries, text, "sources", "source", "entry", defaults)
    found.extend(entry_problems)
    alerts, alert_problems = parse_alerts(data.get("alerts", []), text, names)
    found.extend(alert_problems)
    if found:
        raise RegistryError(path, found)
    return Registry(path=path, sources=sources, alerts=alerts)
