"""Alert rules: the registry's `[[alerts]]` tables, validated with the sources.

A rule says which changes an analyst wants to hear about (kinds, silent edits only, sources,
phrases, a minimum size) and where to send them (Apprise URLs). Without a `schedule` a rule is
delivered after every run; with a cron it is a digest of what matched since the last one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from croniter import croniter

# "template": a change of a source's site template (one per change, never one per page); only rules
# that list it get it.
ALERT_KINDS = ("new", "edited", "retitled", "deleted", "restored", "template")
# Apprise schemes a rule may use (https://github.com/caronc/apprise/wiki); checked against the
# installed Apprise too, so a scheme it cannot send to is refused up front.
_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://\S+$", re.IGNORECASE)
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_KEYS = {"name", "kinds", "silent_only", "sources", "terms", "min_words_changed", "channels", "schedule"}


@dataclass(frozen=True)
class AlertRule:
    """One `[[alerts]]` table: what to match and where to send it."""

    name: str
    channels: tuple[str, ...]
    kinds: tuple[str, ...] = ("edited", "retitled", "deleted", "restored")
    silent_only: bool = False
    sources: tuple[str, ...] = ()  # empty: every source
    terms: tuple[str, ...] = ()  # empty: any text
    min_words_changed: int = 0
    schedule: str | None = None  # None: after every run; a cron: a digest
    line: int | None = None

    @property
    def is_digest(self) -> bool:
        return self.schedule is not None


def supported_schemes() -> set[str]:
    """Every URL scheme the installed Apprise can notify."""
    from apprise import Apprise

    schemes: set[str] = set()
    for entry in Apprise().details()["schemas"]:
        for key in ("protocols", "secure_protocols"):
            schemes.update(s.lower() for s in entry.get(key) or ())
    return schemes


def env_names(url: str) -> list[str]:
    """The ${VAR} names a channel URL reads from the environment."""
    return _ENV.findall(url)


def parse_alerts(entries, text: str, source_names: set[str]) -> tuple[list[AlertRule], list[str]]:
    """Rules from the registry's `alerts` array, and the problems (each naming the rule and its line)."""
    if not isinstance(entries, list):
        return [], ["alerts must be an array of [[alerts]] tables"]
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith("[[alerts]]")]
    rules: list[AlertRule] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    schemes: set[str] | None = None
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else None
        name = entry.get("name") if isinstance(entry.get("name"), str) else f"#{index + 1}"
        where = f"alert {name!r} (rule {index + 1}" + (f", line {line})" if line else ")")
        if schemes is None and entry.get("channels"):
            schemes = supported_schemes()
        errors = _validate(entry, source_names, schemes or set())
        if name in seen:
            errors.append(f"duplicate name, first defined in rule {seen[name] + 1}")
        seen.setdefault(name, index)
        if errors:
            problems.extend(f"{where}: {error}" for error in errors)
            continue
        rules.append(
            AlertRule(
                name=entry["name"],
                channels=tuple(entry["channels"]),
                kinds=tuple(entry.get("kinds", AlertRule.kinds)),
                silent_only=entry.get("silent_only", False),
                sources=tuple(entry.get("sources", ())),
                terms=tuple(entry.get("terms", ())),
                min_words_changed=entry.get("min_words_changed", 0),
                schedule=entry.get("schedule"),
                line=line,
            )
        )
    return rules, problems


def _validate(entry: dict, source_names: set[str], schemes: set[str]) -> list[str]:
    errors = []
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        errors.append(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(_KEYS))})")
    for key in ("name", "channels"):
        if key not in entry:
            errors.append(f"missing required key {key!r}")
    if "name" in entry and not (isinstance(entry["name"], str) and SLUG.match(entry["name"])):
        errors.append("name must be a lower-case slug (letters, digits, - and _)")
    for key in ("kinds", "sources", "terms", "channels"):
        if key in entry and not (isinstance(entry[key], list) and all(isinstance(v, str) for v in entry[key])):
            errors.append(f"{key} must be a list of strings")
    if errors:
        return errors
    bad_kinds = [k for k in entry.get("kinds", []) if k not in ALERT_KINDS]
    if bad_kinds:
        errors.append(f"unknown kind(s) {', '.join(bad_kinds)}; choose from {', '.join(ALERT_KINDS)}")
    if "kinds" in entry and not entry["kinds"]:
        errors.append("kinds is empty")
    unknown_sources = [s for s in entry.get("sources", []) if s not in source_names]
    if unknown_sources:
        errors.append(f"unknown source(s) {', '.join(unknown_sources)}")
    if any(not t.strip() for t in entry.get("terms", [])):
        errors.append("terms must not be empty strings")
    if not entry["channels"]:
        errors.append("channels is empty: give at least one Apprise URL (mailto://, json://, slack://, ntfy://, ...)")
    for url in entry["channels"]:
        match = _URL.match(url)
        if not match:
            errors.append(f"channel {_redact_for_error(url)!r} is not a URL (scheme://...)")
        elif match.group("scheme").lower() not in schemes:
            errors.append(f"channel scheme {match.group('scheme')!r}:// is not one Apprise can send to")
    if "silent_only" in entry and not isinstance(entry["silent_only"], bool):
        errors.append(f"silent_only must be true or false, not {entry['silent_only']!r}")
    words = entry.get("min_words_changed", 0)
    if not isinstance(words, int) or isinstance(words, bool) or words < 0:
        errors.append(f"min_words_changed must be a whole number of at least 0, not {words!r}")
    schedule = entry.get("schedule")
    if schedule is not None and not (isinstance(schedule, str) and croniter.is_valid(schedule)):
        errors.append(f"schedule {schedule!r} is not a valid cron expression")
    return errors


def _redact_for_error(url: str) -> str:
    """Enough of a broken channel to find it, without what may be a secret after its first characters."""
    return url if len(url) <= 12 else url[:12] + "…"


class UnknownAlert(Exception):
    """An alert rule name that the registry does not hold."""


def get_rule(rules: list[AlertRule], name: str, path) -> AlertRule:
    """The rule called `name`; UnknownAlert lists the known ones."""
    for rule in rules:
        if rule.name == name:
            return rule
    known = ", ".join(r.name for r in rules) or "none"
    raise UnknownAlert(f"no alert rule named {name!r} in {path} (known: {known})")
