"""Printing query results and run summaries for people (tables) and programs (CSV, JSON)."""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime

from rich.console import Console
from rich.table import Table

MAX_CELL = 80


def console(stderr: bool = False) -> Console:
    """A console that keeps tables readable when the output is a file or a pipe."""
    probe = Console(stderr=stderr)
    return probe if probe.is_terminal else Console(stderr=stderr, width=160)


def _cell(value, whole: bool = False) -> str:
    if value is None:
        return ""
    text = value.isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else str(value)
    text = text.replace("\n", " ")
    return text if whole or len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def print_rows(columns, rows, fmt: str = "table", title: str | None = None, empty: str | None = None,
               no_wrap: tuple[str, ...] = ()) -> None:
    """Rows as a table, CSV or JSON (`fmt` in any case). `empty` is said instead of an
    empty table; columns named in `no_wrap` (URLs) are never broken across lines."""
    fmt = fmt.lower()
    if fmt == "table" and not rows and empty:
        console().print(empty, highlight=False)
        return
    if fmt == "csv":
        # "\n", not the csv module's "\r\n": shell pipelines (tail, $(...)) get clean lines.
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        print(json.dumps([dict(zip(columns, row)) for row in rows], ensure_ascii=False, default=_json_default, indent=1))
    else:
        table = Table(title=title, show_lines=False)
        for column in columns:
            if column in no_wrap:
                table.add_column(str(column), no_wrap=True, overflow="ignore")
            else:
                table.add_column(str(column), overflow="fold")
        whole = [column in no_wrap for column in columns]
        for row in rows:
            table.add_row(*(_cell(v, w) for v, w in zip(row, whole)))
        console().print(table)
