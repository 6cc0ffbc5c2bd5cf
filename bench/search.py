"""`python -m bench queries`: search and trends at archive scale, the lake with its term index beside
today's scan and a native DuckDB file, on a synthetic warehouse of real-text paragraphs.

Each query runs in a fresh session set up by `presswatch attach`'s statements (as any DuckDB client
would), once cold and `repeat` times warm. The index's answer is compared with the scan's on every
query timed (term_trend_scan / phrase_spread_scan are migration 003's macros, which scan every
text; a search query is scanned with mention_count clause by clause). Sizes: each index table's data
files against article_versions'.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb

from bench.harness import summarize
from bench.synthetic import build_warehouse, folder_bytes, load_lock, native_copy
from bench.synthetic import queries as readme_queries
from warehouse.attach import attach_statements
from warehouse.db import ALIAS, connect
from warehouse.search_index import SEARCH_TABLES, scan_macros
from warehouse.search_query import flat_query

TRENDS = [
    ("term_trend('police')", "term_trend_scan('police')"),
    ("term_trend('prime minister', bucket := 'month')", "term_trend_scan('prime minister', bucket := 'month')"),
    ("term_trend('police', source := 'src3')", "term_trend_scan('police', source := 'src3')"),
    ("phrase_spread('according to the')", "phrase_spread_scan('according to the')"),
]
SEARCHES = ['"prime minister" police -football', "election OR referendum", "police", "title:vaccine"]
FLOOR = "SELECT count(*) FROM search_settings"
TREND_COLUMNS = {"term_trend": "term, bucket, source, articles, mentions", "phrase_spread": "*"}


def session(target: Path) -> duckdb.DuckDBPyConnection:
    """A fresh session on the lake (attach's statements) or on a native file, with the scan macros."""
    if target.is_file():
        con = duckdb.connect(str(target), read_only=True)
    else:
        con = duckdb.connect()
        for statement in attach_statements(target):
            con.execute(statement)
    con.execute("SET enable_progress_bar = false")
    for statement in scan_macros():
        con.execute(statement)
    return con


def timed(con, sql: str, repeat: int) -> tuple[dict, list]:
    times, rows = [], []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        rows = con.execute(sql).fetchall()
        times.append(time.perf_counter() - started)
    return {"cold_s": round(times[0], 4), "warm_s": summarize(times[1:]), "rows": len(rows)}, rows


def scan_search_sql(con, query: str) -> str:
    """A scan of every live text that answers `query` as search() does (article ids, any order)."""
    clauses = con.execute("SELECT pw_clauses(?)", [flat_query(query)]).fetchall()[0][0]
    groups: dict[int, list[str]] = {}
    for clause in clauses:
        term = clause["term"].replace("'", "''")
        if clause["field"] == "source":
            test = f"source = '{term}'"
        else:
            body = "title" if clause["field"] == "title" else "article_body(title, text)"
            test = f"pw_mentions({body}, '{term}', {str(clause['prefix']).lower()}) > 0"
        groups.setdefault(clause["grp"], []).append(f"NOT ({test})" if clause["neg"] else test)
    where = " AND ".join("(" + " OR ".join(tests) + ")" for tests in groups.values())
    return f"SELECT article_id FROM articles WHERE {where}"


def compare(index_rows: list, scan_rows: list) -> bool:
    return sorted(map(repr, index_rows)) == sorted(map(repr, scan_rows))


def run_queries(target: Path, repeat: int, scan_repeat: int, quick: bool = False) -> dict:
    out: dict = {}
    with session(target) as con:
        # The floor: a query that reads one tiny table (on the lake: DuckLake's per-query catalog work).
        out[f"floor: {FLOOR}"], _ = timed(con, FLOOR, repeat)
        for index_call, scan_call in TRENDS[::3] if quick else TRENDS:
            columns = TREND_COLUMNS[index_call.split("(")[0]]
            fast, rows = timed(con, f"SELECT * FROM {index_call}", repeat)
            slow, scan_rows = timed(con, f"SELECT * FROM {scan_call}", scan_repeat)
            _, same = timed(con, f"SELECT {columns} FROM {index_call}", 0)
            out[index_call] = {"index": fast, "scan": slow, "identical_to_scan": compare(same, scan_rows)}
        for query in SEARCHES[:2] if quick else SEARCHES:
            call = f"search('{flat_query(query)}')"
            page, _ = timed(con, f"SELECT * FROM {call[:-1]}, newest := 20)", repeat)
            count, _ = timed(con, f"SELECT count(*) FROM {call}", repeat)
            matches = (  # the counting macro of migration 017 (absent from older native copies)
                timed(con, f"SELECT count(*) FROM search_matches{call[len('search') :]}", repeat)[0]
                if _has_macro(con, "search_matches")
                else None
            )
            every, rows = timed(con, f"SELECT article_id FROM {call}", repeat)
            slow, scan_rows = timed(con, scan_search_sql(con, query), scan_repeat)
            out[f"search {query}"] = {
                "index_newest_20": page,
                "index_count": count,
                "index_matches_count": matches,
                "index_all": every,
                "scan": slow,
                "matches": len(rows),
                "identical_to_scan": compare(rows, scan_rows),
            }
        sample = con.execute("SELECT url FROM article_versions WHERE version = 4 LIMIT 1 OFFSET 777").fetchall()
        for name, sql, needs in [] if quick else readme_queries(con, sample[0][0] if sample else ""):
            if (
                needs
                and not _has_macro(con, needs)
                and not con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [needs]).fetchall()[0][0]
            ):
                continue
            if "term_trend" in name:
                continue  # above, with its scan
            out[name], _ = timed(con, sql, repeat)
    return out


def sizes(lake: Path) -> dict:
    """Bytes of each table's live data files, and the index's share of article_versions'."""
    with session(lake) as con:
        meta = f"__ducklake_metadata_{ALIAS}"
        rows = con.execute(
            f"""
            SELECT t.table_name, sum(f.file_size_bytes), sum(f.record_count)
            FROM {meta}.ducklake_data_file f JOIN {meta}.ducklake_table t USING (table_id)
            WHERE f.end_snapshot IS NULL AND t.end_snapshot IS NULL GROUP BY 1
            """
        ).fetchall()
    tables = {name: {"mb": round(size / 2**20, 1), "rows": int(count)} for name, size, count in rows}
    index = sum(tables.get(t, {}).get("mb", 0) for t in SEARCH_TABLES)
    versions = tables.get("article_versions", {}).get("mb", 0)
    return {
        "tables": tables,
        "index_mb": round(index, 1),
        "article_versions_mb": versions,
        "index_share_of_article_versions": round(index / versions, 3) if versions else None,
    }


def measure(args) -> dict:
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {"command": args.command_line, "versions": {}}
    for versions in args.versions:
        lake = work / f"lake-{versions}"
        entry: dict = {}
        if args.reuse_built and (lake / "catalog.sqlite").exists():
            with connect(lake):  # a writer's connection: the migrations this code has and the lake does not
                pass
            entry["warehouse"] = {"reused": str(lake), "file_mb": round(folder_bytes(lake) / 2**20, 1)}
        else:
            entry["warehouse"] = build_warehouse(lake, versions)
        entry["sizes"] = sizes(lake)
        entry["lake"] = run_queries(lake, args.repeat, args.scan_repeat, args.quick)
        if not args.skip_native:
            native = work / f"native-{versions}.duckdb"
            if not (args.reuse_built and native.exists()):
                entry["native_copy"] = native_copy(lake, native)
            entry["native"] = run_queries(native, args.repeat, args.scan_repeat, args.quick)
        if args.load_articles:
            entry["load_lock"] = load_lock(work / "loads", args.load_articles, 1, lake if args.load_into_big else None)
        results["versions"][str(versions)] = entry
        Path(args.out).write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    if args.no_reuse_versions:
        lake = work / f"lake-unique-{args.no_reuse_versions}"
        built = build_warehouse(lake, args.no_reuse_versions, reuse=False)
        results["no_paragraph_reuse"] = {
            "warehouse": built,
            "sizes": sizes(lake),
            "lake": run_queries(lake, args.repeat, args.scan_repeat, args.quick),
        }
        if not args.keep:
            shutil.rmtree(lake, ignore_errors=True)
    return results


def table(results: dict) -> str:
    """The figures, one line per query: index warm median (lake, native), scan, identical."""
    lines = []
    for versions, entry in results.get("versions", {}).items():
        s = entry["sizes"]
        lines.append(
            f"\n{int(versions):,} versions: index {s['index_mb']} MB = {s['index_share_of_article_versions']:.0%} of article_versions ({s['article_versions_mb']} MB)"
        )
        native = entry.get("native", {})
        for name, got in entry["lake"].items():
            other = native.get(name, {})
            line = (
                f"  {name[:58]:<58} lake {_seconds(_index_timing(got)):>7}  native {_seconds(_index_timing(other)):>7}"
            )
            if "scan" in got:
                line += f"  scan {_seconds(got['scan']):>7}  identical {got['identical_to_scan']}"
            target = target_s(name, int(versions))
            if target is not None:
                warm = (_index_timing(got).get("warm_s") or {}).get("median")
                line += f"  target {target} s: {'met' if warm is not None and warm <= target else 'MISSED'}"
            lines.append(line)
            if got.get("index_count") and target is not None:
                lines.append("    " + _count_line(got, target))
        for kind, lock in (entry.get("load_lock") or {}).items():
            if isinstance(lock, dict) and "lock_s" in lock:
                lines.append(f"  load lock, {lock.get('articles', '?')} articles {kind}: {lock['lock_s']['median']} s")
    if "no_paragraph_reuse" in results:
        s = results["no_paragraph_reuse"]["sizes"]
        lines.append(
            f"\nno paragraph reuse: index {s['index_mb']} MB = {s['index_share_of_article_versions']:.0%} of article_versions ({s['article_versions_mb']} MB)"
        )
    return "\n".join(lines)


def _count_line(got: dict, target: float) -> str:
    """Every match counted: with search() (titles and snippets looked up) and search_matches()."""
    whole = (got["index_count"].get("warm_s") or {}).get("median")
    bare = ((got.get("index_matches_count") or {}).get("warm_s") or {}).get("median")
    line = f"count(*) of every match: search() {whole} s, search_matches() {bare if bare is not None else '-'} s"
    timed = [x for x in (whole, bare) if x is not None]
    if not timed:  # no warm run (--repeat 0)
        return line
    return line + f"  target {target} s: {'met' if min(timed) <= target else 'MISSED'}"


def _has_macro(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [name]).fetchall()[0][0])


def target_s(name: str, versions: int) -> float | None:
    """The issue's target for a query (warm, lake): term_trend, phrase_spread and search 0.1 s at
    1M versions, the README's other queries 0.5 s; 0.5 s for all at 10M. None for the floor."""
    if name.startswith("floor"):
        return None
    if versions > 1_000_000:
        return 0.5
    index_query = name.startswith(("term_trend", "phrase_spread", "search "))
    return 0.1 if index_query else 0.5


def _index_timing(entry: dict) -> dict:
    return entry.get("index") or entry.get("index_newest_20") or entry


def _seconds(timing: dict) -> str:
    """The warm median, else the cold run, in seconds."""
    if not timing:
        return "-"
    warm = (timing.get("warm_s") or {}).get("median")
    return f"{warm if warm is not None else timing.get('cold_s')} s"
