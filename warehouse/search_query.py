"""The search query language with parentheses, parsed by luqum (Lucene's syntax), rewritten into the
flat form the `search()` macro reads: groups of alternatives that must all hold, i.e. the query's
conjunctive normal form, `a OR b c OR -d` for `(a OR b) AND (c OR NOT d)`.

So `presswatch search` and `SELECT * FROM search(...)` share one implementation, and the SQL the
command prints can be run by any DuckDB client.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from luqum import tree
from luqum.exceptions import ParseError
from luqum.parser import parser

from warehouse.errors import WarehouseError

FIELDS = ("title", "source")
MAX_CLAUSES = 64  # after rewriting: `(a OR b) (c OR d)...` multiplies out


class BadQuery(WarehouseError):
    """A search query that cannot be parsed or searched; says where."""


@dataclass(frozen=True)
class Clause:
    field: str  # any | title | source
    term: str
    prefix: bool = False
    negated: bool = False

    def flat(self) -> str:
        if self.field == "source":
            text = f"source:{self.term}"
        else:
            text = ("title:" if self.field == "title" else "") + (f"{self.term}*" if self.prefix else f'"{self.term}"')
        return ("-" if self.negated else "") + text


def flat_query(query: str) -> str:
    """The query in the flat form of the `search()` macro; BadQuery names what is wrong and where."""
    if not query.strip():
        raise BadQuery('the query is empty: give a word or a "phrase"')
    if query.count('"') % 2:
        raise BadQuery(f'the query has an unbalanced " (at character {query.rfind(chr(34)) + 1})')
    _check_parentheses(query)
    try:
        parsed = parser.parse(query)
    except ParseError as exc:
        raise BadQuery(_parse_problem(query, str(exc))) from None
    groups = _cnf(_expression(parsed, query, None, False))
    if len(groups) > MAX_CLAUSES or sum(len(g) for g in groups) > MAX_CLAUSES:
        raise BadQuery(f"the query is too complex once its parentheses are multiplied out (over {MAX_CLAUSES} terms)")
    return " ".join(" OR ".join(clause.flat() for clause in group) for group in groups)


def _check_parentheses(query: str) -> None:
    opened: list[int] = []
    quoted = False
    for position, char in enumerate(query):
        if char == '"' and (position == 0 or query[position - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char == "(":
            opened.append(position)
        elif not quoted and char == ")":
            if not opened:
                raise BadQuery(f"the ) at character {position + 1} closes nothing")
            opened.pop()
    if opened:
        raise BadQuery(f"the ( at character {opened[-1] + 1} is never closed")


def _parse_problem(query: str, message: str) -> str:
    found = re.search(r"at position (\d+)", message)
    if found:
        position = int(found.group(1))
        return f"cannot read the query at character {position + 1}: {query[position : position + 20]!r}"
    if "end" in message:
        return "the query ends too soon: an OR, AND, NOT or ( is not followed by what it applies to"
    return f"cannot read the query: {message.split(':')[0]}"


# An expression is ("and", [..]) | ("or", [..]) | ("not", expr) | Clause.
def _expression(node, query: str, field: str | None, negated: bool):
    if isinstance(node, (tree.UnknownOperation, tree.AndOperation)):
        return ("and", [_expression(child, query, field, False) for child in node.children])
    if isinstance(node, tree.OrOperation):
        if any(isinstance(child, tree.AndOperation) for child in node.children):
            raise BadQuery(
                f"AND and OR together need parentheses (at character {_position(node, query)}): "
                "write (a AND b) OR c or a AND (b OR c)"
            )
        return ("or", [_expression(child, query, field, False) for child in node.children])
    if isinstance(node, (tree.Not, tree.Prohibit)):
        return ("not", _expression(node.a, query, field, False))
    if isinstance(node, tree.Plus):
        return _expression(node.a, query, field, False)
    if isinstance(node, (tree.Group, tree.FieldGroup)):
        return _expression(node.expr, query, field, False)
    if isinstance(node, tree.SearchField):
        name = node.name.lower()
        if name not in FIELDS:
            raise BadQuery(f"unknown field {node.name}: (at character {_position(node, query)}): use title: or source:")
        if field is not None:
            raise BadQuery(f"a field inside a field (at character {_position(node, query)})")
        return _expression(node.expr, query, name, False)
    if isinstance(node, tree.Phrase):
        return _clause(node.value[1:-1], False, node, query, field)
    if isinstance(node, tree.Word):
        value = node.value
        prefix = value.endswith("*") and len(value) > 1
        return _clause(value[:-1] if prefix else value, prefix, node, query, field)
    raise BadQuery(
        f"{type(node).__name__.lower()} {str(node).strip()!r} (at character {_position(node, query)}) is not supported: "
        'use words, "phrases", -, NOT, OR, parentheses, title:, source: and word*'
    )


def _clause(text: str, prefix: bool, node, query: str, field: str | None) -> Clause:
    text = re.sub(r"\\(.)", r"\1", text).strip()  # Lucene's escapes: \( \: ...
    where = f"(at character {_position(node, query)})"
    if "*" in text or "?" in text:
        raise BadQuery(f"{text!r} {where}: a * may only end a single word, as in vaccin*")
    if field == "source":
        if prefix or not text or " " in text:
            raise BadQuery(f"source:{text} {where}: give one source name, as in source:xinhua")
        return Clause("source", text)
    if not any(c.isalnum() for c in text):
        raise BadQuery(f"{text!r} {where}: nothing to search for, give words with letters or digits")
    if prefix and not re.fullmatch(r"[^\W_]+", text):
        raise BadQuery(f"{text}* {where}: a * may only end a single word, as in vaccin*")
    return Clause(field or "any", text, prefix)


def _position(node, query: str) -> int:
    position = getattr(node, "pos", None)
    return (position if position is not None else max(0, query.find(str(node).strip()))) + 1


def _cnf(expression) -> list[list[Clause]]:
    """Groups of alternatives, every group required (negations pushed down to the clauses)."""
    return [list(dict.fromkeys(group)) for group in _to_cnf(expression, False)]


def _to_cnf(expression, negated: bool) -> list[list[Clause]]:
    if isinstance(expression, Clause):
        return [[Clause(expression.field, expression.term, expression.prefix, negated)]]
    kind, body = expression
    if kind == "not":
        return _to_cnf(body, not negated)
    if (kind == "and") != negated:  # an AND, or a negated OR: every part must hold
        return [group for part in body for group in _to_cnf(part, negated)]
    parts = [_to_cnf(part, negated) for part in body]  # an OR, or a negated AND: distribute
    groups = []
    for combination in itertools.product(*parts):
        groups.append([clause for group in combination for clause in group])
        if len(groups) > MAX_CLAUSES:
            raise BadQuery(
                f"the query is too complex once its parentheses are multiplied out (over {MAX_CLAUSES} groups)"
            )
    return groups
