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


def is_url_column(name) -> bool:
    """URL columns (url, canonical_url, ...) are printed whole, so they can be copied into `diff`."""
    name = str(name).lower()
    return name == "url" or name.endswith("_url")


def print_rows(
    columns,
    rows,
    fmt: str = "table",
    title: str | None = None,
    empty: str | None = None,
    no_wrap: tuple[str, ...] | None = None,
) -> None:
    """Rows as a table, CSV or JSON (`fmt` in any case). `empty` is said instead of an empty
    table; columns in `no_wrap` [default: the URL columns] are never broken or shortened."""
    fmt = fmt.lower()
    if no_wrap is None:
        no_wrap = tuple(str(column) for column in columns if is_url_column(column))
    if fmt == "table" and not rows and empty:
        console().print(empty, highlight=False)
        return
    if fmt == "csv":
        # "\n", not the csv module's "\r\n": shell pipelines (tail, $(...)) get clean lines.
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    elif fmt == "json":
        print(
            json.dumps([dict(zip(columns, row)) for row in rows], ensure_ascii=False, default=_json_default, indent=1)
        )
    else:
        table = Table(title=title, show_lines=False)
        for column in columns:
            if column in no_wrap:
                table.add_column(str(column), no_wrap=True, overflow="ignore")
            else:
                table.add_column(str(column), overflow="fold")
        whole = [column in no_wrap for column in columns]
        cells = [[_cell(v, w) for v, w in zip(row, whole)] for row in rows]
        for row in cells:
            table.add_row(*row)
        out = console()
        needed = _width_needed(columns, cells, whole)
        if needed > out.width:
            # Wider than the terminal rather than cut a URL: the terminal wraps the line, and a
            # copy of it still gives the whole URL.
            out = Console(width=needed)
        out.print(table)


def _width_needed(columns, cells, whole: list[bool], narrowest: int = 10) -> int:
    """Columns' widths with every no-wrap cell whole and the others at `narrowest`, plus the borders."""
    width = 1
    for index, column in enumerate(columns):
        longest = max([len(str(column))] + [len(row[index]) for row in cells])
        width += (longest if whole[index] else min(longest, narrowest)) + 3
    return width
