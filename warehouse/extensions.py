"""DuckDB's extensions, offline: the binaries the pinned `duckdb-extension-*` wheels carry, laid out
as an extension directory (`v<version>/<platform>/<name>.duckdb_extension`) that DuckDB loads with
its signature check on, so nothing is ever downloaded.

The sqlite wheel's binary is `sqlite.duckdb_extension`, but its entry point is `sqlite_scanner`, so
it is laid out under that name.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

import duckdb

from warehouse.cores import cores_setting
from warehouse.errors import ExtensionMissing
from warehouse.user_cache import user_cache

# DuckDB's name for an extension -> (the wheel's module, the binary's file name in it)
WHEELS = {
    "ducklake": ("duckdb_extension_ducklake", "ducklake.duckdb_extension"),
    "sqlite_scanner": ("duckdb_extension_sqlite", "sqlite.duckdb_extension"),
    "postgres_scanner": ("duckdb_extension_postgres_scanner", "postgres_scanner.duckdb_extension"),
    "httpfs": ("duckdb_extension_httpfs", "httpfs.duckdb_extension"),
    "aws": ("duckdb_extension_aws", "aws.duckdb_extension"),
}


def _version() -> str:
    return "v" + duckdb.__version__


@cache
def _platform() -> str:
    # A connection of its own: the module's default connection is shared by every thread.
    with duckdb.connect() as con:
        return con.execute("PRAGMA platform").fetchall()[0][0]


def _cache_root() -> Path:
    explicit = os.environ.get("PRESSWATCH_EXTENSION_DIR")
    if explicit:
        return Path(explicit)
    return user_cache("duckdb-extensions")


def _wheel_binary(name: str) -> Path:
    module, filename = WHEELS[name]
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ExtensionMissing(
            f"DuckDB's {name} extension is not installed: pip install '{module.replace('_', '-')}=="
            f"{duckdb.__version__}'"
        )
    binary = Path(spec.origin).parent / "extensions" / _version() / filename
    if not binary.exists():
        raise ExtensionMissing(f"{binary} is missing: the {module} wheel does not match duckdb {duckdb.__version__}")
    return binary


@cache
def extension_directory(*names: str) -> str:
    """The extension directory holding `names` (copied there from their wheels once)."""
    root = _cache_root()
    folder = root / _version() / _platform()
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = folder / f"{name}.duckdb_extension"
        source = _wheel_binary(name)
        if target.exists() and target.stat().st_size == source.stat().st_size:
            continue
        with tempfile.NamedTemporaryFile(dir=folder, delete=False) as handle:
            temporary = Path(handle.name)
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)  # atomic: a concurrent process sees the old or the whole new file
    return str(root)


# For readers: a join hands the scan on its other side the list of its keys (rather than their range
# alone) up to this many keys (DuckDB's default: 50), so a search whose clauses hold a few hundred
# index blocks reads the row groups of search_lines that hold them, not the whole range between the
# first and the last (87 ms -> 15 ms for a phrase search at a million versions). `presswatch attach`
# and read-only connections set it; writers keep DuckDB's default: the list is also tested on every
# row, and a load's join of 500 article ids with search_docs took 0.42 s with it instead of 0.02 s.
DYNAMIC_OR_FILTER_THRESHOLD = 1000
# Also for readers: the footers of the Parquet files a query reads are kept between its queries (a
# lake's data files never change once written), where DuckDB parses them again for every query:
# 10 ms of every search or trend at a million versions, whose index tables hold hundreds of row groups.
READER_SETTINGS = (
    f"SET dynamic_or_filter_threshold = {DYNAMIC_OR_FILTER_THRESHOLD}",
    "SET parquet_metadata_cache = true",
)


def connection_config(*names: str) -> dict:
    """DuckDB config for a connection that loads `names` offline and never installs anything, with
    as many threads as PRESSWATCH_CORES allows when it is set (presswatch sharing a machine).

    What a query spills goes to a folder of this process's own under the system's temporary folder
    (DuckDB's default is `.tmp` in the working directory, and two processes spilling into one
    folder overwrite each other's files); DuckDB removes it when the instance closes."""
    config: dict = {
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
        "extension_directory": extension_directory(*names),
        "temp_directory": str(Path(tempfile.gettempdir()) / f"presswatch-duckdb-{os.getpid()}"),
    }
    cores = cores_setting()
    if cores:
        config["threads"] = cores
    return config
