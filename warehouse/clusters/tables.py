"""The SQL side of the clusters: handing numpy columns to DuckDB and reading stored signatures back."""

from __future__ import annotations

import numpy as np

from warehouse.clusters.signatures import from_blob

_SEPARATOR = "\x1f"  # the unit separator: in no article id, source name, hash or hex


def strings(values) -> np.ndarray:
    """A numpy unicode array: DuckDB 1.5 scans those natively, but probes for pandas on every object of an object array.
    It registers one as an ENUM of its distinct values (np.unique over it): for short, few strings only."""
    return np.array(list(values), dtype=str) if len(values) else np.array([], dtype="<U1")


def string_rows(con, table: str, columns: dict[str, list[str]]) -> None:
    """A temporary table of string columns and their `row` (0, 1, ...), each column handed over as
    one delimited parameter: a numpy unicode array becomes an ENUM (sorting 10,000 signatures'
    hex took 0.5 s of a load's lock) and a list parameter converts item by item (0.5 s for 10,000 ids)."""
    rows = len(next(iter(columns.values())))
    splits = ", ".join(f"string_split(?, chr(31)) AS {name}" for name in columns)
    picks = ", ".join(f"s.{name}[r + 1] AS {name}" for name in columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT r AS row, {picks} FROM (SELECT {splits}) s, range(?) t(r)",
        [*(_SEPARATOR.join(values) for values in columns.values()), rows],
    )


def insert_rows(con, table: str, columns: tuple[str, ...], rows: list[tuple], **computed: str) -> None:
    """Append rows in one statement (executemany is one statement per row); `computed` are SQL expressions."""
    if not rows:
        return
    data = {
        name: strings(values) if isinstance(values[0], str) else np.array(values)
        for name, values in zip(columns, zip(*rows))
    }
    con.register("pw_story_rows", data)
    names = ", ".join([*columns, *computed])
    values = ", ".join([*(f"{c}::VARCHAR" if data[c].dtype.kind == "U" else c for c in columns), *computed.values()])
    try:
        con.execute(f"INSERT INTO {table} ({names}) SELECT {values} FROM pw_story_rows")
    finally:
        con.unregister("pw_story_rows")


def stored_signatures(con, ids: set[str]) -> dict[str, np.ndarray]:
    con.register("pw_story_want", {"article_id": strings(sorted(ids))})
    try:
        rows = con.execute(
            "SELECT s.article_id, s.signature FROM story_signatures s SEMI JOIN pw_story_want w ON w.article_id = s.article_id"
        ).fetchall()
    finally:
        con.unregister("pw_story_want")
    return {article_id: from_blob(blob) for article_id, blob in rows}
