"""The value types of the registry's keys (sources and alert rules) as pydantic types, and the one
sentence each problem becomes.

pydantic checks types and ranges; every type carries what its value must be (`Must`), so a wrong
value reads "concurrency must be a whole number of at least 1, not 0". Checks pydantic does not
know (regular expressions, cron, durations, URLs) raise `Invalid(...)` with the whole sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from croniter import croniter
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)

from crawlers.durations import parse_duration

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
SLUG = re.compile(SLUG_PATTERN)
_HTTP_URL = re.compile(r"^https?://[^/\s]+")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Must:
    """What a key's value must be, as its error says it; `empty` is said of an empty list instead."""

    what: str
    empty: str = "is empty"


class Invalid(ValueError):
    """A problem pydantic does not phrase itself, said as one whole sentence."""


def problems(error: ValidationError, model: type[BaseModel], entry: dict, known_keys: bool = False) -> list[str]:
    """One sentence per problem of `entry` (a TOML table) that `model` found; unknown keys in one."""
    unknown: list[str] = []
    missing: list[str] = []
    said: list[str] = []
    for detail in error.errors():
        key = str(detail["loc"][0]) if detail["loc"] else None
        kind = detail["type"]
        if kind == "extra_forbidden":
            unknown.append(str(key))
        elif kind == "missing":
            missing.append(f"missing required key {key!r}")
        elif isinstance(detail.get("ctx", {}).get("error"), Invalid):
            said.append(str(detail["ctx"]["error"]))
        elif key is None:
            said.append(detail["msg"])
        else:
            must = next((m for m in model.model_fields[key].metadata if isinstance(m, Must)), Must("valid"))
            sentence = (
                f"{key} {must.empty}" if kind == "too_short" else f"{key} must be {must.what}, not {entry[key]!r}"
            )
            said.append(sentence)
    found = list(dict.fromkeys(missing + said))  # a list with several bad items is said once
    if unknown:
        known = f" (known: {', '.join(sorted(model.model_fields))})" if known_keys else ""
        found.insert(0, f"unknown key(s) {', '.join(sorted(unknown))}{known}")
    return found


def validate_tables(
    model: type[M],
    entries: list,
    text: str,
    table: str,
    noun: str,
    counted: str,
    defaults: dict | None = None,
    context: dict | None = None,
    known_keys: bool = False,
) -> tuple[list[M], list[str], set[str]]:
    """Each `[[table]]` entry (over `defaults`) as a `model`, the problems found, and every name given.

    A problem names its entry, the entry's number and its line: "source 'xinhua' (entry 2, line
    14): ..."; an entry without a name is called "#2".
    """
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith(f"[[{table}]]")]
    valid: list[M] = []
    found: list[str] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        given = entry.get("name") if isinstance(entry, dict) else None
        name = given if isinstance(given, str) else f"#{index + 1}"
        where = f"{noun} {name!r} ({counted} {index + 1}" + (f", line {lines[index]})" if index < len(lines) else ")")
        if not isinstance(entry, dict):
            found.append(f"{where}: must be a [[{table}]] table")
            continue
        merged = {**(defaults or {}), **entry}
        errors: list[str] = []
        item = None
        try:
            item = model.model_validate(merged, context=context)
        except ValidationError as error:
            errors = problems(error, model, merged, known_keys)
        if name in seen:
            errors.append(f"duplicate name, first defined in {counted} {seen[name] + 1}")
        seen.setdefault(name, index)
        found.extend(f"{where}: {error}" for error in errors)
        if item is not None and not errors:
            valid.append(item)
    return valid, found, set(seen)


def _regex(pattern: str, info: ValidationInfo) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise Invalid(f"{info.field_name} {pattern!r} is not a valid regular expression ({exc})") from None
    return pattern


def _css(selector: str, info: ValidationInfo) -> str:
    from cssselect import GenericTranslator, SelectorError

    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError as exc:
        raise Invalid(f"{info.field_name} {selector!r} is not a CSS selector ({exc})") from None
    return selector


def _cron(value: str, info: ValidationInfo) -> str:
    if not croniter.is_valid(value):
        raise Invalid(f"{info.field_name} {value!r} is not a valid cron expression")
    return value


def _http_url(url: str, info: ValidationInfo) -> str:
    if not _HTTP_URL.match(url):
        raise Invalid(f"{info.field_name} entry {url!r} is not an http(s) URL")
    return url


def _duration(value: Any, info: ValidationInfo) -> float:
    try:
        return parse_duration(value)
    except (ValueError, TypeError) as exc:
        raise Invalid(f"{info.field_name}: {exc}") from None


def _verified(value: Any) -> bool | str:
    """A bool, or the ISO date (a TOML date or a "YYYY-MM-DD" string) the source was verified on."""
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise Invalid(f'verified must be true, false or a date "YYYY-MM-DD", not {value!r}')


def parse_revisit(value: Any) -> tuple[tuple[float, float], ...]:
    """[[max_age, every], ...] pairs of durations, ages increasing; the last age may be "inf"."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        raise ValueError('give a list of [max_age, every] pairs such as [["2d", "0s"], ["inf", "1d"]]')
    pairs = tuple(
        (float("inf") if age == "inf" else parse_duration(age), parse_duration(every)) for age, every in value
    )
    if [a for a, _ in pairs] != sorted(a for a, _ in pairs):
        raise ValueError("ages must increase")
    return pairs


def _revisit(value: Any, info: ValidationInfo) -> tuple[tuple[float, float], ...]:
    try:
        return parse_revisit(value)
    except (ValueError, TypeError) as exc:
        raise Invalid(f"{info.field_name}: {exc}") from None


_DURATION_SCHEMA = {
    "anyOf": [{"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*[smhdw]?\s*$"}, {"type": "number", "minimum": 0}],
    "description": "seconds, or a duration such as 90s, 15m, 12h, 7d, 2w",
}

Slug = Annotated[str, Strict(), Field(pattern=SLUG_PATTERN), Must("a lower-case slug (letters, digits, - and _)")]
Text = Annotated[str, Strict(), Must("text")]
Texts = Annotated[tuple[str, ...], Must("a list of strings")]
Hosts = Annotated[
    tuple[Annotated[str, AfterValidator(str.lower)], ...], Field(min_length=1), Must("a list of host names")
]
HttpUrls = Annotated[
    tuple[
        Annotated[str, AfterValidator(_http_url), WithJsonSchema({"type": "string", "pattern": _HTTP_URL.pattern})], ...
    ],
    Must("a list of http(s) URLs"),
]
Regex = Annotated[str, Strict(), AfterValidator(_regex), Must("a regular expression")]
Regexes = Annotated[tuple[Annotated[str, AfterValidator(_regex)], ...], Must("a list of regular expressions")]
Selectors = Annotated[tuple[Annotated[str, AfterValidator(_css)], ...], Must("a list of CSS selectors")]
Cron = Annotated[str, Strict(), AfterValidator(_cron), Must('a cron expression such as "0 */6 * * *"')]
Count = Annotated[int, Strict(), Field(ge=1), Must("a whole number of at least 1")]
CountFromZero = Annotated[int, Strict(), Field(ge=0), Must("a whole number of at least 0")]
Seconds = Annotated[float, Strict(), Field(ge=0), Must("a number of seconds")]
# One article's own lines are never the site's: a site block recurs in two articles at least.
ManyArticles = Annotated[int, Strict(), Field(ge=2), Must("a whole number of at least 2")]
Share = Annotated[float, Strict(), Field(ge=0, le=1), Must("a share between 0 and 1")]
Switch = Annotated[bool, Strict(), Must("true or false")]
Duration = Annotated[float, BeforeValidator(_duration), WithJsonSchema(_DURATION_SCHEMA), Must("a duration")]
Revisit = Annotated[
    tuple[tuple[float, float], ...],
    BeforeValidator(_revisit),
    WithJsonSchema(
        {
            "type": "array",
            "items": {
                "type": "array",
                "prefixItems": [{"anyOf": [{"const": "inf"}, _DURATION_SCHEMA]}, _DURATION_SCHEMA],
            },
            "description": "[[max_age, every], ...]: revisit an article every `every` until it is `max_age` old",
        }
    ),
    Must("a list of [max_age, every] pairs"),
]
Verified = Annotated[
    bool | str,
    BeforeValidator(_verified),
    WithJsonSchema({"anyOf": [{"type": "boolean"}, {"type": "string", "format": "date"}]}),
    Must('true, false or a date "YYYY-MM-DD"'),
]
