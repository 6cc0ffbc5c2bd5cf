"""Alert rules: the registry's `[[alerts]]` tables, validated with the sources.

A rule says which changes an analyst wants to hear about (kinds, silent edits only, sources,
phrases, a minimum size) and where to send them (Apprise URLs). Without a `schedule` a rule is
delivered after every run; with a cron it is a digest of what matched since the last one.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, WithJsonSchema

from crawlers.registry_types import (
    CountFromZero,
    Cron,
    Invalid,
    Must,
    Slug,
    Switch,
    Texts,
    validate_tables,
)
from warehouse.change_kinds import ALERT_KINDS, CHANGED_KINDS

# Apprise schemes a rule may use (https://github.com/caronc/apprise/wiki); checked against the
# installed Apprise too, so a scheme it cannot send to is refused up front.
_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://\S+$", re.IGNORECASE)
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@functools.cache
def supported_schemes() -> frozenset[str]:
    """Every URL scheme the installed Apprise can notify."""
    from apprise import Apprise

    schemes: set[str] = set()
    for entry in Apprise().details()["schemas"]:
        for key in ("protocols", "secure_protocols"):
            schemes.update(s.lower() for s in entry.get(key) or ())
    return frozenset(schemes)


def env_names(url: str) -> list[str]:
    """The ${VAR} names a channel URL reads from the environment."""
    return _ENV.findall(url)


def _channel(url: str) -> str:
    match = _URL.match(url)
    if not match:
        raise Invalid(f"channel {_redact_for_error(url)!r} is not a URL (scheme://...)")
    if match.group("scheme").lower() not in supported_schemes():
        raise Invalid(f"channel scheme {match.group('scheme')!r}:// is not one Apprise can send to")
    return url


def _known_kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [k for k in kinds if k not in ALERT_KINDS]
    if unknown:
        raise Invalid(f"unknown kind(s) {', '.join(unknown)}; choose from {', '.join(ALERT_KINDS)}")
    return kinds


def _known_sources(names: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    unknown = [s for s in names if s not in (info.context or {}).get("sources", ())]
    if unknown:
        raise Invalid(f"unknown source(s) {', '.join(unknown)}")
    return names


def _term(term: str) -> str:
    if not term.strip():
        raise Invalid("terms must not be empty strings")
    return term


Channels = Annotated[
    tuple[Annotated[str, AfterValidator(_channel)], ...],
    Field(min_length=1),
    Must(
        "a list of Apprise URLs",
        empty="is empty: give at least one Apprise URL (mailto://, json://, slack://, ntfy://, ...)",
    ),
]
Kinds = Annotated[
    tuple[str, ...],
    Field(min_length=1),
    AfterValidator(_known_kinds),
    WithJsonSchema({"type": "array", "items": {"enum": list(ALERT_KINDS)}, "minItems": 1}),
    Must("a list of strings"),
]


class AlertRule(BaseModel):
    """One `[[alerts]]` table: what to match and where to send it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Slug = Field(description="the rule's name on the command line and in the ledger")
    channels: Channels = Field(description="Apprise URLs to send to; ${VAR} reads a secret from the environment")
    kinds: Kinds = Field(
        CHANGED_KINDS, description="kinds of change to send (`template`: a change of a source's site template)"
    )
    silent_only: Switch = Field(False, description="only edits whose page dates did not move")
    sources: Annotated[Texts, AfterValidator(_known_sources)] = Field((), description="only these sources (empty: all)")
    terms: Annotated[tuple[Annotated[str, AfterValidator(_term)], ...], Must("a list of strings")] = Field(
        (), description="only changes whose removed or added words hold one of these phrases (empty: any)"
    )
    min_words_changed: CountFromZero = Field(0, description="only edits changing at least this many words")
    schedule: Cron | None = Field(None, description="a digest on this cron (none: after every run)")

    @property
    def is_digest(self) -> bool:
        return self.schedule is not None


def parse_alerts(entries: Any, text: str, source_names: set[str]) -> tuple[list[AlertRule], list[str]]:
    """Rules from the registry's `alerts` array, and the problems (each naming the rule and its line)."""
    if not isinstance(entries, list):
        return [], ["alerts must be an array of [[alerts]] tables"]
    rules, found, _ = validate_tables(
        AlertRule, entries, text, "alerts", "alert", "rule", context={"sources": source_names}, known_keys=True
    )
    return rules, found


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
