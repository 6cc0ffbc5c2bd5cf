"""The layout is the architecture: crawl (crawlers/), store (warehouse/), orchestrate (flows/),
and a thin CLI (flows/cli/) that alone turns named errors into messages."""

import ast
from pathlib import Path

from tests.conftest import ROOT


def _imports(folder: Path) -> dict[str, set[str]]:
    found = {}
    for path in folder.rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[path.relative_to(ROOT).as_posix()] = names
    return found


def _offenders(folder: str, forbidden: tuple[str, ...], skip: str | None = None) -> dict[str, list[str]]:
    bad = {}
    for module, names in _imports(ROOT / folder).items():
        if skip and module.startswith(skip):
            continue
        hits = sorted(n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden))
        if hits:
            bad[module] = hits
    return bad


def test_crawl_and_store_never_reach_up_into_orchestration_or_the_cli():
    assert _offenders("crawlers", ("flows", "click")) == {}
    assert _offenders("warehouse", ("flows", "crawlers", "click")) == {}
    assert _offenders("demo_site", ("flows", "warehouse", "click")) == {}


def test_only_the_cli_package_speaks_click_and_nothing_imports_the_cli():
    assert _offenders("flows", ("click", "flows.cli"), skip="flows/cli/") == {}


def test_the_cli_and_its_rendering_live_in_their_own_package():
    cli = ROOT / "flows" / "cli"
    assert {p.name for p in cli.glob("*.py")} >= {"__init__.py", "output.py", "plots.py", "running.py"}
    assert not list((ROOT / "flows").glob("cli_*.py")) and not (ROOT / "crawlers" / "demo_site").exists()


def test_the_crawl_process_leaves_extraction_and_the_warehouse_to_others():
    """The reactor's process names the extraction work, its workers import the extractor; the flow
    reads the warehouse. What `python -m crawlers.run` imports to crawl holds neither."""
    import subprocess
    import sys

    modules = (
        "crawlers.run, crawlers.settings, crawlers.spiders.press, crawlers.pipelines.extract, crawlers.pipelines.stage"
    )
    code = f"import sys, {modules}; print(sorted({{m.split('.')[0] for m in sys.modules}} & {{'trafilatura', 'duckdb', 'justext', 'aiohttp'}}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]", done.stdout
