"""Where a first crawl's CPU goes, per page, against what the 2-process ceiling leaves it.

When the crawl keeps every core busy (it does on the bench's 2-core machine), it reaches `ratio`
times the ceiling (bare extraction on 2 processes) only if its whole process tree spends at most
2 / (ratio x the ceiling's pages/s) core-seconds a page; bare extraction on one process, the part
no crawl avoids, is given beside it. The tree's CPU comes from the sampler (bench/sampler.py), a
lower bound by under one sampling interval per process.
"""

from __future__ import annotations

CEILING_PROCESSES = 2


def cpu_per_page(run: dict, pages: int) -> dict | None:
    """The run's CPU in milliseconds a page, in all and per kind of process."""
    cpu = (run.get("memory") or {}).get("cpu_s_by_kind")
    if not cpu or not pages:
        return None
    by_kind = {kind: round(1000 * seconds / pages, 2) for kind, seconds in cpu.items() if seconds}
    return {"total_ms": round(sum(by_kind.values()), 2), "by_kind_ms": by_kind}


def budget(first: dict, pages: int, bare_1: dict | None, bare_2: dict | None, ratio: float) -> dict | None:
    """The first crawl's CPU a page beside what `ratio` x the ceiling allows and what extraction takes."""
    spent = cpu_per_page(first, pages)
    if spent is None or not bare_2 or not bare_2.get("pages_per_s"):
        return None
    out = {**spent, "ratio": ratio, "allowed_ms": round(1000 * CEILING_PROCESSES / (ratio * bare_2["pages_per_s"]), 2)}
    if bare_1 and bare_1.get("pages_per_s"):
        out["extraction_ms"] = round(1000 / bare_1["pages_per_s"], 2)
    return out


def describe(b: dict) -> str:
    """One line: the CPU a page by kind of process, the budget, and bare extraction's share of it."""
    kinds = ", ".join(f"{kind} {ms:g}" for kind, ms in sorted(b["by_kind_ms"].items(), key=lambda kv: -kv[1]))
    line = f"CPU {b['total_ms']:g} ms a page ({kinds}); {b['ratio']:g}x the ceiling allows {b['allowed_ms']:g}"
    if "extraction_ms" in b:
        line += f", of which bare extraction on 1 process takes {b['extraction_ms']:g}"
    return line
