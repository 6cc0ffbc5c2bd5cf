"""The run summary (RunSummary.as_dict()) as text: a Markdown artifact for Prefect and a table for the terminal."""

from __future__ import annotations

from warehouse.change_kinds import CHANGED_KINDS

COLUMNS = (
    ("pages_fetched", "fetched"),
    ("new", "new"),
    ("edited", "edited"),
    ("retitled", "retitled"),
    ("deleted", "deleted"),
    ("restored", "restored"),
    ("same", "unchanged"),
    ("not_modified", "304/same bytes"),
    ("errors", "errors"),
)


def rows(summary) -> list[list[str]]:
    """One row per source: name, status, then the COLUMNS counts and archive bytes per capture."""
    table = []
    for entry in summary["sources"]:
        counts = entry["counts"]
        archived = counts.get("captures_archived", 0)
        per_capture = f"{counts.get('archive_bytes', 0) / archived:,.0f}" if archived else "-"
        status = entry["status"] if not entry["error"] else f"{entry['status']}: {entry['error']}"
        table.append([entry["source"], status, *(str(counts.get(key, 0)) for key, _ in COLUMNS), per_capture])
    return table


def headers() -> list[str]:
    return ["source", "status", *(label for _, label in COLUMNS), "archive B/capture"]


def change_lines(summary) -> list[str]:
    """One line per change: kind, source, title, URL, and the changed sentence for edits."""
    lines = []
    for entry in summary["sources"]:
        for change in entry["changes"]:
            silent = " (silent)" if change.get("silent") else ""
            lines.append(f"{change['kind']}{silent} · {change['source']} · {change['title']} · {change['url']}")
            if change.get("previous_sentence") or change.get("changed_sentence"):
                lines.append(f"    - {change.get('previous_sentence') or ''}")
                lines.append(f"    + {change.get('changed_sentence') or ''}")
    return lines


def markdown_report(summary) -> str:
    out = [f"# presswatch ingest run {summary['run_id']}", ""]
    out.append("| " + " | ".join(headers()) + " |")
    out.append("|" + "---|" * len(headers()))
    for row in rows(summary):
        out.append("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")
    out.append("")
    out.append(f"Batches loaded: {summary['loaded_batches']}; left staged: {summary['left_staged']}.")
    if summary["load_error"]:
        out.append(f"Load deferred: {summary['load_error']}")
    changes = change_lines(summary)
    if changes:
        out += ["", "## Changes", "", "```", *changes, "```"]
    return "\n".join(out)


def one_line(summary) -> str:
    """The run in one log line: each source's status and counts, then what was loaded."""
    parts = []
    for entry in summary["sources"]:
        c = entry["counts"]
        changed = sum(c.get(k, 0) for k in CHANGED_KINDS)
        status = "ok" if entry["status"] == "ok" else f"FAILED ({entry['error']})"
        parts.append(
            f"{entry['source']} {status}: {c.get('pages_fetched', 0)} fetched, {c.get('new', 0)} new, "
            f"{changed} changed, {c.get('errors', 0)} errors"
        )
    tail = f"batches loaded {summary['loaded_batches']}, left staged {summary['left_staged']}"
    if summary["load_error"]:
        tail += f" (load deferred: {summary['load_error']})"
    return "; ".join(parts + [tail])
