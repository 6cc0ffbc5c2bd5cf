"""URL shapes and the `article_pattern` regex inferred from them.

A shape generalises a URL's path the way news sites number their articles: digit runs, long
hexadecimal ids and hyphenated slugs become classes, words and punctuation stay literal. So
`/a/202102/08/WS601f5a2fa31024ad0baa7b6f.html` has the shape `/a/\\d{6}/\\d{2}/WS[0-9a-f]{24}\\.html`.
The pattern is the alternation of the shapes whose sampled pages extracted as articles.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

_HEX = re.compile(r"[0-9a-f]{16,}")
_TOKEN = re.compile(r"\d+|[A-Za-z]+|.", re.DOTALL)
_SLUG = re.compile(r"^[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+){2,}$")
_EXT = re.compile(r"^(.*?)(\.[A-Za-z0-9]{2,6})$")
# Digit runs of one width across a shape are dates when they are eight digits (20210215) or a
# whole segment or dash-separated part of these widths (2021, 202102, 08, 2021-02); any other run
# is an id that grows over time, so it gets \d+.
_DATE_WIDTHS = {2, 4, 6, 8}
PREFIX = "^https?://[^/]+"


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, value) tokens: kind is 'hex', 'num', 'slug' or 'lit'."""
    base, ext = text, ""
    match = _EXT.match(text)
    if match:
        base, ext = match.groups()
    if _SLUG.match(base) and re.search(r"[A-Za-z]", base) and len(base) > 12:
        return [("slug", base)] + ([("lit", ext)] if ext else [])
    out, i = [], 0
    while i < len(text):
        hexrun = _HEX.match(text, i)
        if hexrun and re.search(r"\d", hexrun.group()) and re.search(r"[a-f]", hexrun.group()):
            out.append(("hex", hexrun.group()))
            i = hexrun.end()
            continue
        matched = _TOKEN.match(text, i)
        assert matched is not None  # _TOKEN matches any one character
        token = matched.group()
        out.append(("num" if token.isdigit() else "lit", token))
        i += len(token)
    return out


def url_tokens(url: str) -> tuple[str, list[tuple[str, str]]]:
    """The URL's host and the tokens of its path (and query)."""
    parts = urlsplit(url)
    tokens: list[tuple[str, str]] = []
    for segment in parts.path.split("/")[1:]:
        tokens.append(("lit", "/"))
        tokens.extend(_tokens(segment))
    if parts.query:
        tokens.append(("lit", "?"))
        for n, pair in enumerate(parts.query.split("&")):
            if n:
                tokens.append(("lit", "&"))
            key, _, value = pair.partition("=")
            tokens.append(("lit", key + "="))
            tokens.extend(_tokens(value))
    return (parts.hostname or ""), tokens


def shape_key(url: str) -> tuple:
    host, tokens = url_tokens(url)
    return (host,) + tuple(value if kind == "lit" else kind for kind, value in tokens)


@dataclass
class Shape:
    """URLs that share one shape, and the regex of that shape."""

    key: tuple
    urls: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        return self.key[0]

    @property
    def fixed(self) -> bool:
        """No digits, id or slug anywhere: a section or a page such as /about.html, never an article."""
        return all(isinstance(part, str) and part not in ("num", "hex", "slug") for part in self.key[1:])

    @property
    def example(self) -> str:
        return self.urls[0]

    @property
    def path_regex(self) -> str:
        """The path (and query) part of the shape as a regex, widths fitted to its URLs."""
        token_lists = [url_tokens(u)[1] for u in self.urls]
        parts = []
        for position, (kind, value) in enumerate(token_lists[0]):
            widths = {len(tokens[position][1]) for tokens in token_lists}
            if kind == "lit":
                parts.append(re.escape(value).replace("\\-", "-"))
            elif kind == "num":
                width = next(iter(widths))
                after = token_lists[0][position - 1][1] if position else "/"
                datelike = width == 8 or (width in _DATE_WIDTHS and after in ("/", "-"))
                parts.append(rf"\d{{{width}}}" if len(widths) == 1 and datelike else r"\d+")
            elif kind == "hex":
                parts.append(f"[0-9a-f]{{{next(iter(widths))}}}" if len(widths) == 1 else "[0-9a-f]+")
            else:
                parts.append("[A-Za-z0-9_-]+")
        return "".join(parts)

    @property
    def display(self) -> str:
        return self.host + self.path_regex.replace("\\", "")


def group_shapes(urls) -> list[Shape]:
    """Shapes of the URLs, the most populous first (ties in first-seen order)."""
    shapes: dict[tuple, Shape] = {}
    for url in urls:
        key = shape_key(url)
        shapes.setdefault(key, Shape(key)).urls.append(url)
    return sorted(shapes.values(), key=lambda s: -len(s.urls))


def pattern_for(shapes: list[Shape]) -> str:
    """One `re.search` regex matching exactly the given shapes (any host: allowed_domains bounds hosts)."""
    bodies = list(dict.fromkeys(s.path_regex for s in shapes))
    if len(bodies) == 1:
        return f"{PREFIX}{bodies[0]}$"
    return f"{PREFIX}(?:{'|'.join(bodies)})$"


def shapes_not_matching(pattern: str, urls, limit: int = 5) -> list[tuple[str, int, str]]:
    """The main shapes among `urls` that `pattern` leaves out: (shape, count, example)."""
    regex = re.compile(pattern)
    missed = [u for u in urls if not regex.search(u)]
    return [(s.display, len(s.urls), s.example) for s in group_shapes(missed)[:limit]]


def count_matching(pattern: str, urls) -> int:
    regex = re.compile(pattern)
    return sum(1 for u in urls if regex.search(u))


def most_common(values) -> str | None:
    counted = Counter(v for v in values if v)
    return counted.most_common(1)[0][0] if counted else None
