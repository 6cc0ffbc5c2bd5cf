"""The docs stay true: the CLI reference is regenerated from the help, every command and option is in it."""

import re
import subprocess
import sys

from flows.cli import cli
from tests.conftest import ROOT


def test_cli_reference_is_current():
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "docs/cli.md"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, "docs/cli.md is stale: run `cog -r docs/cli.md`\n" + result.stdout + result.stderr


def test_every_command_has_help_with_an_example_and_is_documented():
    reference = (ROOT / "docs" / "cli.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for name, command in cli.commands.items():
        assert command.help and "Example" in command.help, f"`presswatch {name}` has no example in its help"
        assert f"## presswatch {name}" in reference
        for param in command.params:
            for option in getattr(param, "opts", []):
                if option.startswith("--"):
                    assert option in reference, f"{option} of `presswatch {name}` is not documented"
    for name in ("crawl", "sql", "sources", "demo"):
        assert f"presswatch {name}" in readme


def test_ci_runs_the_readmes_test_command_and_both_install_the_pinned_versions():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"^```sh\n(.*?)\n```", readme, flags=re.S | re.M)
    demo, tests = blocks[0], blocks[1]
    assert "presswatch demo" in demo and "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text().splitlines()
    for command in (demo, tests):
        assert "-c constraints.txt" in command, command
