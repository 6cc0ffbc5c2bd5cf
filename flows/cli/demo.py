"""`presswatch demo`: the whole pipeline against the bundled demo site on 127.0.0.1, offline.

Crawl the site, let it publish an edit and a deletion, crawl again, and show what changed. With
`redesign` the site also rolls out a redesign (a banner and a newsletter promo in every article, with
three more real edits) before the second crawl: the four edits and the deletion are shown, and one
template event per outlet rather than a version per page.
"""

from __future__ import annotations

import time

from demo_site import DemoSite, demo_registry
from flows.cli.output import console as make_console
from flows.cli.running import prefect_api, print_summary, run_flow
from flows.settings import Settings
from warehouse.db import DEFAULT_DB

console = make_console()


def start_site(port: int) -> DemoSite:
    """The demo site on `port`, or on any free port when that one is taken."""
    try:
        site = DemoSite(port=port)
        site.start()
    except OSError:
        site = DemoSite(port=0)
        site.start()
    return site


def run_demo(settings: Settings, port: int = 8321, redesign: bool = False) -> None:
    started = time.monotonic()
    site = start_site(port)
    try:
        registry = settings.data / "demo-sources.toml"
        registry.parent.mkdir(parents=True, exist_ok=True)
        registry.write_text(demo_registry(site.base_url), encoding="utf-8")
        settings = settings.with_(registry=registry, crawl_retries=0, retry_delay=0.0)
        console.print(f"[bold]presswatch demo[/]: site at {site.base_url}, warehouse {settings.db}")

        console.print("\n[bold]1. First crawl[/]: every outlet, every article")
        step = time.monotonic()
        with prefect_api(settings):  # one Prefect API for both runs
            print_summary(run_flow(settings, None), time.monotonic() - step)

            site.set_stage(2)
            if redesign:
                site.set_redesign(3)
                console.print(
                    "\n[bold]2. The site is redesigned[/] (a banner, a newsletter promo in every article) "
                    "[bold]while it edits four articles and deletes one; second crawl[/]"
                )
            else:
                console.print("\n[bold]2. The site edits one article and deletes another; second crawl[/]")
            step = time.monotonic()
            summary = run_flow(settings, None)
            print_summary(summary, time.monotonic() - step, show_changes=False)
    finally:
        site.stop()
    changes = [c for s in summary.sources for c in s["changes"]]
    console.print(f"\n[bold]What changed[/] ({len(changes)} change(s), demo took {time.monotonic() - started:.0f}s)")
    for change in changes:
        flag = " [yellow](silent: the page's dates did not move)[/]" if change.get("silent") else ""
        kind = f"{change['kind']} of {change['source']}" if change["kind"] == "template" else change["kind"]
        console.print(f"  [bold]{kind}[/]{flag}: {change['title']}", highlight=False)
        console.print(f"    {change['url']}", highlight=False, markup=False)
        if change.get("previous_sentence"):
            console.print(f"    [red]- {change['previous_sentence']}[/]", highlight=False)
        if change.get("changed_sentence"):
            console.print(f"    [green]+ {change['changed_sentence']}[/]", highlight=False)
    db_flag = "" if settings.db == DEFAULT_DB else f" --db {settings.db}"
    console.print(
        f'\nQuery it: presswatch{db_flag} sql "select source, count(*) as articles from articles group by source"'
    )
