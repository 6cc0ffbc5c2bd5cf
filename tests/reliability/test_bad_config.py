"""Bad configuration and usage: every command answers one clear line and a documented exit code, never a traceback.

Each case runs the real `presswatch` in a subprocess. Exit codes (flows/cli/__init__.py, flows/cli/check.py):
1 an error (the line names it and the next step), 2 bad usage or a broken registry, 3 a run where
some sources failed, 4 `check` found violations. The cases run concurrently from one fixture.

`demo` is left out (it takes half a minute); `serve` only meets a broken registry (with a good one
it serves until stopped). The cases come in three groups, each computed by its own test class on its
own pytest-xdist worker: a warehouse that is missing or of the old kind, a corrupt one, and
everything else.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import duckdb
import pytest

from crawlers.registry import load_registry
from flows.crawl_step import CrawlFailed, crawl_source_process
from flows.settings import Settings
from tests.reliability.conftest import presswatch, shared_result, synthetic_warehouse
from tests.servers import registry_entry
from warehouse.db import connect

URL = "http://127.0.0.1:9/news/1.html"
# Arguments that get each command past click's own parsing to the point where it opens things.
COMMANDS = {
    "capture": ["capture", URL],
    "changes": ["changes"],
    "check": ["check"],
    "crawl": ["crawl"],
    "diff": ["diff", URL],
    "export": ["export", "{tmp}/export"],
    "history": ["history", URL],
    "reextract": ["reextract"],
    "runs": ["runs"],
    "sources": ["sources"],
    "spread": ["spread", "story"],
    "sql": ["sql", "select 1"],
    "stories": ["stories"],
    "trend": ["trend", "story"],
    "serve": ["serve"],
    "attach": ["attach"],
    "maintain": ["maintain"],
    "upgrade": ["upgrade", "{legacy}"],
    "deploy": ["deploy", "--pool", "p"],
    "alerts": ["alerts"],
    "feed": ["feed"],
    "report": ["report", "{tmp}/report"],
    "search": ["search", "story"],
    "reindex": ["reindex"],
}
NOT_RUN = {"demo": "takes half a minute; covered by its own tests"}
# need an existing warehouse (`alerts` lists a registry without rules without one)
READERS = sorted(set(COMMANDS) - {"crawl", "sources", "serve", "upgrade", "deploy", "alerts"})
REGISTRY_READERS = ["alerts", "crawl", "reextract", "serve", "sources"]
# Prefect's embedded server makes `crawl` slow; no retries, so a failing source fails at once.
FAST = {"PRESSWATCH_CRAWL_RETRIES": "0", "PRESSWATCH_RETRY_DELAY": "0", "PRESSWATCH_LOAD_WAIT": "2"}


@dataclass
class Case:
    """One command in one bad situation, and what its answer must say."""

    scenario: str
    command: str
    codes: tuple[int, ...]
    says: tuple[str, ...]  # words the answer (stderr, else stdout) must contain
    xfail: str | None = None
    max_lines: int = 1  # lines of the error message (a broken registry lists each problem)


def cases() -> list[Case]:
    found = []
    for command in READERS:
        found.append(Case("missing-db", command, (1,), ("{missing}", "does not exist", "presswatch crawl")))
    for command in sorted(set(COMMANDS) - {"serve", "deploy", "alerts"}):
        found.append(Case("corrupt-db", command, (1,), ("{corrupt}", "cannot be attached", "check --db")))
    for command in READERS:
        found.append(Case("legacy-db", command, (1,), ("{legacy}", "one-file DuckDB warehouse", "presswatch upgrade")))
    for command in REGISTRY_READERS:
        found.append(Case("registry-not-toml", command, (2,), ("{bad_toml}", "not valid TOML"), max_lines=2))
        found.append(
            Case(
                "registry-bad-entries",
                command,
                (2,),
                (
                    "{bad_entries}",
                    "source 'one' (entry 1, line 1)",
                    "article_pattern",
                    "source 'two' (entry 2, line 6)",
                    "not a valid regular expression",
                ),
                max_lines=3,
            )
        )
        found.append(Case("registry-missing", command, (2,), ("{no_registry}", "does not exist", "--sources")))
    found += [
        Case("unknown-source", "crawl", (2,), ("no source named 'nope'", "presswatch sources")),
        Case("unknown-source", "reextract", (2,), ("no source named 'nope'", "presswatch sources")),
        Case("unknown-source", "trend", (1, 2), ("no source named 'nope'", "known: synthetic")),
        Case("unknown-source", "changes", (1, 2), ("nope",)),
        Case("staging-is-a-file", "crawl", (1, 2, 3), ("staging",), max_lines=99),
        Case("staging-is-a-file", "check", (4,), ("{file_data}/staging is a file",), max_lines=99),
        Case("data-is-a-file", "sql", (2,), ("--data", "is a file"), max_lines=3),
        Case("no-prefect-server", "deploy", (2,), ("set PREFECT_API_URL",)),
        Case("write-locked", "maintain", (1,), ("another load (process", "is writing to", "waited 2s")),
    ]
    return found


CASES = cases()
# Each group's cases run in a test class of their own ("usage": every other scenario).
GROUPS = {"warehouse": ("missing-db", "legacy-db"), "corrupt": ("corrupt-db",)}


def cases_of(group: str) -> list[Case]:
    """The cases of one group of GROUPS, or of "usage" (the scenarios no group names)."""
    grouped = {scenario for scenarios in GROUPS.values() for scenario in scenarios}
    return [c for c in CASES if c.scenario in GROUPS.get(group, ()) or (group == "usage" and c.scenario not in grouped)]


def _id(case: Case) -> str:
    return f"{case.scenario}-{case.command}"


def arguments(case: Case, paths: dict) -> list[str]:
    command = [a.format(**paths) for a in COMMANDS[case.command]]
    flags = {"--db": paths["good_db"], "--sources": paths["good_registry"], "--data": paths["data"]}
    if case.scenario == "missing-db":
        flags["--db"] = paths["missing"]
    elif case.scenario == "corrupt-db":
        flags["--db"] = paths["corrupt"]
    elif case.scenario == "legacy-db":
        flags["--db"] = paths["legacy"]
    elif case.scenario.startswith("registry-"):
        flags["--sources"] = paths[
            {"registry-not-toml": "bad_toml", "registry-bad-entries": "bad_entries", "registry-missing": "no_registry"}[
                case.scenario
            ]
        ]
    elif case.scenario == "unknown-source":
        command += ["--source", "nope"] if case.command == "trend" else ["-s", "nope"]
    elif case.scenario == "staging-is-a-file":
        flags["--data"] = paths["file_data"]
        if case.command == "crawl":
            flags["--db"] = paths["missing"]
    elif case.scenario == "data-is-a-file":
        flags["--data"] = paths["a_file"]
    if case.command == "crawl" and case.scenario != "staging-is-a-file":
        flags["--data"] = f"{paths['tmp']}/crawl-{case.scenario}"  # its Prefect state and work files apart
    env_flags = [part for flag, value in flags.items() for part in (flag, value)]
    return env_flags + command


def answers_of(group: str, tmp):
    """The answers of one group's cases, and the paths they ran on."""
    good_db, good_data = synthetic_warehouse(tmp / "good")
    (tmp / "good.toml").write_text(
        registry_entry(
            "synthetic", "http://127.0.0.1:9", feeds=["http://127.0.0.1:9/feed.xml"], article_pattern="/news/"
        )
    )
    (tmp / "corrupt").mkdir()
    (tmp / "corrupt" / "catalog.sqlite").write_text("this is a text file, not a SQLite catalog\n")
    (tmp / "a-file.txt").write_text("a file, not a folder\n")
    duckdb.connect(str(tmp / "legacy.duckdb")).close()  # a one-file warehouse of presswatch 0.1
    (tmp / "bad.toml").write_text("[[sources]]\nname = 'unterminated\n")
    (tmp / "bad-entries.toml").write_text(
        "[[sources]]\nname = 'one'\nlabel = 'One'\nlanguage = 'en'\nallowed_domains = ['127.0.0.1']\n"
        "[[sources]]\nname = 'two'\nlabel = 'Two'\nlanguage = 'en'\nallowed_domains = ['127.0.0.1']\n"
        "article_pattern = '(unclosed'\nfeeds = ['http://127.0.0.1:9/feed.xml']\n"
    )
    (tmp / "file-data").mkdir()
    (tmp / "file-data" / "staging").write_text("a file where the staging folder should be\n")
    paths = {
        "tmp": str(tmp),
        "good_db": str(good_db),
        "data": str(good_data),
        "missing": str(tmp / "missing.duckdb"),
        "corrupt": str(tmp / "corrupt"),
        "legacy": str(tmp / "legacy.duckdb"),
        "a_file": str(tmp / "a-file.txt"),
        "good_registry": str(tmp / "good.toml"),
        "bad_toml": str(tmp / "bad.toml"),
        "bad_entries": str(tmp / "bad-entries.toml"),
        "no_registry": str(tmp / "nowhere.toml"),
        "file_data": str(tmp / "file-data"),
    }
    ordered = sorted(cases_of(group), key=lambda c: c.command != "crawl")  # the slow ones start first
    locked = [c for c in ordered if c.scenario == "write-locked"]
    results = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {
            _id(c): pool.submit(presswatch, *arguments(c, paths), env=FAST, timeout=180)
            for c in ordered
            if c not in locked
        }
        results.update({key: future.result() for key, future in futures.items()})
    with connect(paths["good_db"]):  # a load holds the write lock: writers give up, readers go on
        for case in locked:
            results[_id(case)] = presswatch(*arguments(case, paths), env=FAST)
        if group == "usage":
            for command in ("sql", "check"):
                results[f"read-while-locked-{command}"] = presswatch(
                    *arguments(Case("", command, (), ()), paths), env=FAST
                )
    return results, paths


def pytest_generate_tests(metafunc):
    """Each group's class gets that group's cases."""
    if "case" in metafunc.fixturenames:
        metafunc.parametrize(
            "case",
            [
                pytest.param(c, id=_id(c), marks=pytest.mark.xfail(reason=c.xfail, strict=True))
                if c.xfail
                else pytest.param(c, id=_id(c))
                for c in cases_of(metafunc.cls.GROUP)
            ],
        )


class GroupAnswers:
    """The answers of one group of cases. One class per group: `--dist loadscope` hands each class to
    a worker of its own, so the groups' commands run at once."""

    GROUP = "usage"

    @pytest.fixture(scope="class")
    @classmethod
    def answers(cls, tmp_path_factory):
        """This group's answers, computed once per session: the commands run four at a time, the slow crawls first."""
        group = cls.GROUP
        return shared_result(tmp_path_factory, f"badconfig-{group}", lambda tmp: answers_of(group, tmp))

    def test_answer_is_one_clear_line(self, answers, case):
        results, paths = answers
        result = results[_id(case)]
        output = result.stdout + result.stderr
        assert "Traceback" not in output, output[-2000:]
        assert result.returncode in case.codes, (result.returncode, output[-1000:])
        message = result.stderr.strip() or result.stdout.strip()
        for word in case.says:
            assert word.format(**paths) in output, f"{word.format(**paths)!r} not in {message!r}"
        lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
        assert 1 <= len(lines) <= case.max_lines, lines


class TestMissingOrOldWarehouse(GroupAnswers):
    GROUP = "warehouse"


class TestCorruptWarehouse(GroupAnswers):
    GROUP = "corrupt"


class TestUsage(GroupAnswers):
    """Broken or missing registries, unknown sources, files where folders should be, no Prefect
    server, a held write lock; and readers while a load holds the lock."""

    GROUP = "usage"

    @pytest.mark.parametrize("command", ["sql", "check"])
    def test_readers_never_wait_for_a_load(self, answers, command):
        results, _ = answers
        result = results[f"read-while-locked-{command}"]
        assert result.returncode == 0, result.stderr


def test_a_crawl_that_cannot_stage_its_batch_fails(tmp_path):
    """Below the CLI (the flows, `serve`): a crawl that never opened its batch is a failed crawl, not an empty one."""
    settings = Settings(
        db=tmp_path / "w",
        data=tmp_path / "data",
        registry=tmp_path / "sources.toml",
        load_wait=2.0,
        crawl_retries=0,
        retry_delay=0.0,
    )
    settings.registry.write_text(
        registry_entry("one", "http://127.0.0.1:9", feeds=["http://127.0.0.1:9/feed.xml"], article_pattern="/a/")
    )
    settings.data.mkdir()
    settings.staging.write_text("a file where the staging folder should be\n")
    with pytest.raises(CrawlFailed, match="staging"):
        crawl_source_process(load_registry(settings.registry).get("one"), settings)


def test_sources_without_a_warehouse_lists_the_registry(tmp_path):
    """Not an error: a first-time user sees their sources, each never run."""
    registry = tmp_path / "sources.toml"
    registry.write_text(
        registry_entry("first", "http://127.0.0.1:9", feeds=["http://127.0.0.1:9/feed.xml"], article_pattern="/a/")
    )
    result = presswatch("--db", str(tmp_path / "none.duckdb"), "--sources", str(registry), "sources")
    assert result.returncode == 0, result.stderr
    assert "first" in result.stdout and "never" in result.stdout


def test_every_command_is_covered():
    """A new command must join COMMANDS (or NOT_RUN with a reason) and so meet these cases."""
    result = presswatch("--help")
    listed = set(re.findall(r"^  ([a-z][a-z-]*)\s", result.stdout.split("Commands:", 1)[1], re.MULTILINE))
    assert listed == set(COMMANDS) | set(NOT_RUN), listed ^ (set(COMMANDS) | set(NOT_RUN))


@pytest.mark.skipif(
    os.geteuid() == 0, reason="runs as root: permission bits do not stop root (the file-as-folder case covers it)"
)
def test_unreadable_staging_folder(tmp_path):
    db, data = synthetic_warehouse(tmp_path)
    (data / "staging").chmod(0)
    try:
        result = presswatch("--db", str(db), "--data", str(data), "check")
    finally:
        (data / "staging").chmod(0o755)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode in (1, 4) and "staging" in result.stdout + result.stderr
