"""Run the ingest flow from the terminal: a live count per source while it runs, a summary after."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from rich.console import Console
from rich.live import Live
from rich.table import Table

from flows import prefect_env
from flows.cli.output import console as stdout_console
from flows.errors import IngestRunFailed
from flows.prefect_server import api_for_one_command, running_server
from flows.report import change_lines, headers, rows
from flows.settings import Settings
from flows.sigterm import stopped_by_sigterm

console = Console(stderr=True)


class Summary(SimpleNamespace):
    """The flow's returned summary dict, with the one question the CLI asks of it."""

    @property
    def failed_sources(self) -> list[str]:
        return [s["source"] for s in self.sources if s["status"] != "ok"]


@contextmanager
def prefect_api(settings: Settings) -> Iterator[None]:
    """The Prefect API that this command's flow runs are recorded on (see `api_for_one_command`)."""
    prefect_env.configure(settings.data, settings.log_level)
    with api_for_one_command(Path(os.environ["PREFECT_HOME"])) as ready:
        import flows.ingest  # noqa: F401  (imported while the command's own server starts)

        ready()
        yield


def run_flow(settings: Settings, names: list[str] | None) -> Summary:
    """One ingest run: as the `ingest` flow when a Prefect server is there to record it
    (PREFECT_API_URL, or the server `presswatch serve` runs for this data folder), else in this
    process without Prefect (its run is recorded in the warehouse all the same)."""
    prefect_env.configure(settings.data, settings.log_level)
    if os.environ.get("PREFECT_API_URL") or running_server(Path(os.environ["PREFECT_HOME"])):
        return run_prefect_flow(settings, names)
    from flows.ingest_run import AllSourcesFailed
    from flows.plain_run import run_plain

    _log_to_console(settings.log_level)
    try:
        with stopped_by_sigterm():
            return Summary(**run_plain(settings, names).as_dict())
    except AllSourcesFailed as exc:
        raise IngestRunFailed(f"the ingest run failed: {exc}") from None


def run_prefect_flow(settings: Settings, names: list[str] | None) -> Summary:
    """Run the `ingest` flow in this process, on the Prefect API of `prefect_api` (entered here if not yet)."""
    if not os.environ.get("PREFECT_API_URL"):
        with prefect_api(settings):
            return run_prefect_flow(settings, names)
    from flows.ingest import ingest

    state = ingest(
        sources=names,
        db=str(settings.db),
        registry=str(settings.registry),
        data=str(settings.data),
        parallel=settings.parallel,
        crawl_retries=settings.crawl_retries,
        retry_delay=settings.retry_delay,
        load_wait=settings.load_wait,
        return_state=True,
    )
    if state.is_failed():
        raise IngestRunFailed(f"the ingest run failed: {state.message}")
    return Summary(**state.result())


def _log_to_console(level: str) -> None:
    """The run's warnings (a source failed, a load deferred) on stderr, above the live view."""
    from rich.logging import RichHandler

    logger = logging.getLogger("presswatch")
    if not any(isinstance(h, RichHandler) for h in logger.handlers):
        handler = RichHandler(console=console, show_path=False, show_time=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)


def run_with_progress(settings: Settings, names: list[str] | None, verbose: bool = False) -> Summary:
    started = time.monotonic()
    if verbose:
        summary = run_flow(settings, names)
    else:
        with Live(
            _progress_table(settings.staging, started), console=console, refresh_per_second=4, transient=True
        ) as live:
            stop = threading.Event()
            watcher = threading.Thread(target=_watch, args=(live, settings.staging, started, stop), daemon=True)
            watcher.start()
            try:
                summary = run_flow(settings, names)
            finally:
                stop.set()
                watcher.join()
    print_summary(summary, time.monotonic() - started)
    return summary


def print_summary(summary: Summary, seconds: float, show_changes: bool = True) -> None:
    out = stdout_console()
    table = Table(title=f"presswatch run ({seconds:.1f}s)")
    for header in headers():
        table.add_column(header, overflow="fold")
    for row in rows(vars(summary)):
        table.add_row(*row)
    out.print(table)
    note = f"batches loaded: {summary.loaded_batches}"
    if summary.left_staged:
        note += f"; left staged for the next run: {summary.left_staged}"
    out.print(note)
    if summary.load_error:
        out.print(f"[yellow]load deferred:[/] {summary.load_error}")
    changes = change_lines(vars(summary)) if show_changes else []
    if changes:
        out.print("\n[bold]Changes[/]")
        for line in changes:
            out.print(line, markup=False, highlight=False)


def _watch(live: Live, staging: Path, started: float, stop: threading.Event) -> None:
    while not stop.wait(0.25):
        live.update(_progress_table(staging, started))


def _progress_table(staging: Path, started: float) -> Table:
    table = Table(title=f"crawling… {time.monotonic() - started:.0f}s", box=None)
    table.add_column("source")
    table.add_column("records staged", justify="right")
    for folder in sorted(staging.glob("*/writer.json")) if staging.is_dir() else []:
        records = folder.parent / "records.jsonl"
        try:
            with open(records, "rb") as f:
                count = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 16), b""))
        except OSError:
            count = 0
        table.add_row(folder.parent.name.split("-", 1)[1].rsplit("-", 1)[0], str(count))
    return table
