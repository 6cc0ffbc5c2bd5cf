"""A non-editable install (`pip install .`) run from another folder has everything it needs:
the bundled registry, the migrations, the demo site and its version."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from importlib.metadata import version
from pathlib import Path

import pytest

from demo_site import demo_registry
from demo_site.content import CHINADAILY_FEED, EXPECTED
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A venv with presswatch installed from a copy of the source (not editable); its dependencies
    come from the test environment's site-packages, so nothing is downloaded."""
    base = tmp_path_factory.mktemp("install")
    source = base / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in ("crawlers", "flows", "warehouse", "demo_site"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # A path line in a .pth adds that folder only: the test venv's editable-install hook stays out.
    Path(site, "test-env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    shutil.rmtree(source)  # the install must not lean on the source folder
    return venv


def _run(venv: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESSWATCH_")}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(venv / "bin" / "presswatch"), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def test_installed_presswatch_lists_the_bundled_sources_from_another_folder(installed, tmp_path):
    result = _run(installed, "sources", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "chinadaily" in result.stdout and "unnews" in result.stdout
    assert "Traceback" not in result.stderr


def test_installed_presswatch_says_its_version(installed, tmp_path):
    result = _run(installed, "--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"presswatch {version('presswatch')}"


def test_installed_package_has_its_migrations_and_demo_site(installed, tmp_path):
    probe = (
        "import json, demo_site, warehouse.db; "
        "print(json.dumps([demo_site.__file__, [m[1] for m in warehouse.db.migrations()]]))"
    )
    result = subprocess.run(
        [str(installed / "bin" / "python"), "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    demo_file, migrations = json.loads(result.stdout)
    assert Path(demo_file).is_relative_to(installed), demo_file
    assert migrations == sorted(p.name for p in (ROOT / "warehouse" / "migrations").glob("*.sql"))
    server = subprocess.Popen(
        [str(installed / "bin" / "python"), "-m", "demo_site", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        with urllib.request.urlopen(url + CHINADAILY_FEED, timeout=30) as response:
            assert response.status == 200 and b"<rss" in response.read()
    finally:
        server.kill()
        server.wait()


def test_a_missing_registry_is_not_found_not_broken(installed, tmp_path):
    result = _run(installed, "--sources", str(tmp_path / "none.toml"), "sources", cwd=tmp_path)
    assert result.returncode == 2
    assert f"the source registry {tmp_path / 'none.toml'} does not exist" in result.stderr
    assert "broken" not in result.stderr


def test_installed_presswatch_crawls_and_loads_from_another_folder(installed, tmp_path, site):
    registry = tmp_path / "mine.toml"
    registry.write_text(demo_registry(site.base_url))
    db = tmp_path / "w.duckdb"
    crawl = _run(installed, "crawl", "--source", "unnews", "--db", str(db), "--sources", str(registry), cwd=tmp_path)
    assert crawl.returncode == 0, crawl.stderr
    count = _run(
        installed, "sql", "select count(*) as n from articles", "--db", str(db), "--format", "csv", cwd=tmp_path
    )
    assert count.stdout == f"n\n{EXPECTED['unnews']}\n", count.stderr
