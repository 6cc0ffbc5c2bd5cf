"""What the code imports is declared in pyproject.toml, and constraints.txt pins every declared
distribution to a version its bounds allow (CI and the README install from it)."""

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crawlers", "flows", "warehouse", "demo_site")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _requirements(extras: bool = True) -> list[Requirement]:
    found = [Requirement(line) for line in PROJECT["dependencies"]]
    if extras:
        for lines in PROJECT["optional-dependencies"].values():
            found += [Requirement(line) for line in lines]
    return [r for r in found if canonicalize_name(r.name) != "presswatch"]


def _pins() -> dict[str, str]:
    pins = {}
    for number, line in enumerate((ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#")[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"constraints.txt:{number}: {line!r} is not an exact pin (name==version)"
            pins[canonicalize_name(name)] = version
    return pins


def _imported_modules() -> set[str]:
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - set(PACKAGES) - {"__future__"}


def test_every_declared_distribution_is_pinned_within_its_bounds():
    pins = _pins()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is declared in pyproject.toml but not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {requirement.name}=={pins[name]}, outside pyproject's {requirement.specifier}"
        )


def test_every_distribution_the_code_imports_is_declared():
    declared = {canonicalize_name(r.name) for r in _requirements()}
    owners = packages_distributions()
    undeclared = {}
    for module in sorted(_imported_modules()):
        distributions = {canonicalize_name(d) for d in owners.get(module, [])}
        assert distributions, f"{module} is imported but no installed distribution provides it"
        if not distributions & declared:
            undeclared[module] = sorted(distributions)
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_every_declared_dependency_has_an_upper_bound_or_an_exact_pin():
    for requirement in _requirements():
        operators = {spec.operator for spec in requirement.specifier}
        calendar = requirement.name in ("fsspec", "s3fs", "twisted")  # calendar versions: every release is a "major"
        assert calendar or operators & {"<", "==", "~="}, f"{requirement} has no upper bound"
