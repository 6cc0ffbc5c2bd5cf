"""The source registry: a TOML file of `[[sources]]` entries, validated up front.

A broken registry is refused as a whole with every problem listed, each naming the file, the
entry and (where it can be found) the line, so a typo never silently drops a source.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import MISSING, dataclass, field, fields
from importlib import resources
from pathlib import Path

from croniter import croniter

from crawlers.alert_rules import AlertRule, parse_alerts
from crawlers.durations import parse_duration
from warehouse.rules import CONFIRM_DELETION, DELETION_GRACE, TEMPLATE_MIN_ARTICLES, TEMPLATE_SHARE

# Package data, so a non-editable install has it too (pyproject.toml lists it).
DEFAULT_REGISTRY = Path(str(resources.files("crawlers").joinpath("sources.toml")))
DEFAULT_USER_AGENT = "presswatch/0.1 (media monitoring; +https://github.com/presswatch/presswatch)"
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
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


@dataclass(frozen=True)
class Source:
    """One outlet or press office, as the spider, the flows and the loader see it."""

    name: str
    label: str
    language: str
    allowed_domains: tuple[str, ...]
    article_pattern: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    listing_pattern: str | None = None
    schedule: str = "0 */6 * * *"
    download_delay: float = 2.0
    concurrency: int = 1
    autothrottle: bool = True
    user_agent: str = DEFAULT_USER_AGENT
    max_articles: int = 300
    max_listing_pages: int = 20
    max_depth: int = 3
    max_download_bytes: int = 10 * 1024 * 1024
    download_timeout: float = 30.0
    retry_after_max: float = 120.0
    crawl_timeout: float = 1800.0
    confirm_deletion: int = CONFIRM_DELETION
    deletion_grace: float = DELETION_GRACE
    conditional_get: bool = True
    revisit: tuple[tuple[float, float], ...] = ()
    revisit_after_edit: float = 7 * 86400.0
    ignore_selectors: tuple[str, ...] = ()
    ignore_patterns: tuple[str, ...] = ()
    template_min_articles: int = TEMPLATE_MIN_ARTICLES  # a site block recurs in at least this many articles...
    template_share: float = TEMPLATE_SHARE  # ...and this share of them (warehouse/rules.py)
    verified: bool | str = False  # false, true, or the date "YYYY-MM-DD" `presswatch sources check` passed
    notes: str = ""

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


_FIELDS = {f.name: f for f in fields(Source)}


def source_defaults() -> dict:
    """Every registry key's default: the one table Scrapy's settings and the docs take them from."""
    return {name: f.default for name, f in _FIELDS.items() if f.default is not MISSING}


_LISTS = {"allowed_domains", "feeds", "sitemaps", "listings", "ignore_selectors", "ignore_patterns"}
_DURATIONS = {"deletion_grace", "revisit_after_edit"}
_REQUIRED = ("name", "label", "language", "allowed_domains", "article_pattern")


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
    problems: list[str] = []
    unknown_top = set(data) - {"defaults", "sources", "alerts"}
    if unknown_top:
        problems.append(f"unknown top-level key(s): {', '.join(sorted(unknown_top))}")
    defaults = data.get("defaults", {})
    entries = data.get("sources", [])
    if not isinstance(entries, list) or not entries:
        problems.append("no [[sources]] entries")
        raise RegistryError(path, problems)
    header_lines = _entry_lines(text)
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        line = header_lines[index] if index < len(header_lines) else None
        name = entry.get("name") if isinstance(entry.get("name"), str) else f"#{index + 1}"
        where = f"source {name!r} (entry {index + 1}" + (f", line {line})" if line else ")")
        merged = {**defaults, **entry}
        errors = _validate(merged)
        if name in seen:
            errors.append(f"duplicate name, first defined in entry {seen[name] + 1}")
        seen.setdefault(name, index)
        if errors:
            problems.extend(f"{where}: {error}" for error in errors)
            continue
        sources.append(_build(merged))
    alerts, alert_problems = parse_alerts(data.get("alerts", []), text, set(seen))
    problems.extend(alert_problems)
    if problems:
        raise RegistryError(path, problems)
    return Registry(path=path, sources=sources, alerts=alerts)


def _entry_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith("[[sources]]")]


def _validate(entry: dict) -> list[str]:
    errors = []
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        errors.append(f"unknown key(s) {', '.join(unknown)}")
    for key in _REQUIRED:
        if key not in entry:
            errors.append(f"missing required key {key!r}")
    if errors:
        return errors
    if not SLUG.match(str(entry["name"])):
        errors.append("name must be a lower-case slug (letters, digits, - and _)")
    for key in _LISTS & set(entry):
        value = entry[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(f"{key} must be a list of strings")
    if errors:
        return errors
    if not entry["allowed_domains"]:
        errors.append("allowed_domains is empty")
    if not (entry.get("feeds") or entry.get("sitemaps") or entry.get("listings")):
        errors.append("no discovery method: give at least one of feeds, sitemaps, listings")
    for key in ("feeds", "sitemaps", "listings"):
        for url in entry.get(key, []):
            if not re.match(r"^https?://[^/\s]+", url):
                errors.append(f"{key} entry {url!r} is not an http(s) URL")
    for key in ("article_pattern", "listing_pattern", "ignore_patterns"):
        patterns = entry.get(key)
        for pattern in patterns if isinstance(patterns, list) else [patterns] if patterns else []:
            try:
                re.compile(pattern)
            except re.error as exc:
                errors.append(f"{key} {pattern!r} is not a valid regular expression ({exc})")
    schedule = entry.get("schedule")
    if schedule is not None and not (isinstance(schedule, str) and croniter.is_valid(schedule)):
        errors.append(f"schedule {schedule!r} is not a valid cron expression")
    for key in _DURATIONS & set(entry):
        try:
            parse_duration(entry[key])
        except ValueError as exc:
            errors.append(f"{key}: {exc}")
    errors.extend(_check_numbers(entry))
    if "revisit" in entry:
        try:
            _parse_revisit(entry["revisit"])
        except (ValueError, TypeError) as exc:
            errors.append(f"revisit: {exc}")
    return errors


def _check_numbers(entry: dict) -> list[str]:
    errors = []
    positive_ints = ("concurrency", "max_articles", "max_listing_pages", "max_download_bytes", "confirm_deletion")
    for key in positive_ints:
        if key in entry and (not isinstance(entry[key], int) or isinstance(entry[key], bool) or entry[key] < 1):
            errors.append(f"{key} must be a whole number of at least 1, not {entry[key]!r}")
    if "max_depth" in entry and (not isinstance(entry["max_depth"], int) or entry["max_depth"] < 0):
        errors.append(f"max_depth must be a whole number of at least 0, not {entry['max_depth']!r}")
    for key in ("download_delay", "download_timeout", "retry_after_max", "crawl_timeout"):
        if key in entry and (
            not isinstance(entry[key], (int, float)) or isinstance(entry[key], bool) or entry[key] < 0
        ):
            errors.append(f"{key} must be a number of seconds, not {entry[key]!r}")
    least = entry.get("template_min_articles", 2)  # one article's own lines are never the site's
    if not isinstance(least, int) or isinstance(least, bool) or least < 2:
        errors.append(f"template_min_articles must be a whole number of at least 2, not {least!r}")
    share = entry.get("template_share", 0.0)
    if not isinstance(share, (int, float)) or isinstance(share, bool) or not 0 <= share <= 1:
        errors.append(f"template_share must be a share between 0 and 1, not {share!r}")
    for key in ("autothrottle", "conditional_get"):
        if key in entry and not isinstance(entry[key], bool):
            errors.append(f"{key} must be true or false, not {entry[key]!r}")
    if "verified" in entry and _verified(entry["verified"]) is None:
        errors.append(f'verified must be true, false or a date "YYYY-MM-DD", not {entry["verified"]!r}')
    return errors


def _verified(value) -> bool | str | None:
    """The verified value as stored (bool or ISO date string), or None when it is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat() if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
        except ValueError:
            return None
    return None


def _parse_revisit(value) -> tuple[tuple[float, float], ...]:
    """[[max_age, every], ...] pairs of durations, ages increasing; the last may be "inf"."""
    pairs = []
    for item in value:
        max_age, every = item
        age = float("inf") if max_age == "inf" else parse_duration(max_age)
        pairs.append((age, parse_duration(every)))
    if [a for a, _ in pairs] != sorted(a for a, _ in pairs):
        raise ValueError("ages must increase")
    return tuple(pairs)


def _build(entry: dict) -> Source:
    values = dict(entry)
    for key in _LISTS & set(values):
        values[key] = tuple(values[key])
    values["allowed_domains"] = tuple(d.lower() for d in values["allowed_domains"])
    for key in _DURATIONS & set(values):
        values[key] = parse_duration(values[key])
    values["revisit"] = _parse_revisit(values.get("revisit", DEFAULT_REVISIT))
    if "download_delay" in values:
        values["download_delay"] = float(values["download_delay"])
    if "verified" in values:
        values["verified"] = _verified(values["verified"])
    return Source(**values)
