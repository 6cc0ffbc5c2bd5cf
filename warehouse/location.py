"""Where the warehouse lives, from `--db` / PRESSWATCH_DB.

* a plain path: the embedded warehouse, a folder holding a SQLite catalog (`catalog.sqlite`, WAL
  mode) and the Parquet data files (`files/`); no server.
* `ducklake:postgres:<libpq conninfo>`: a shared warehouse whose catalog is in PostgreSQL; its data
  path is PRESSWATCH_LAKE_DATA (a folder, or an `s3://bucket/prefix/` URL whose endpoint comes
  from AWS_ENDPOINT_URL and whose credentials DuckDB's `aws` extension reads from the environment
  or ~/.aws at run time: the SQL never holds the key).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from warehouse.errors import LegacyWarehouse, LocationError

DEFAULT_DB = Path("data/warehouse")
ALIAS = "presswatch"  # the name the warehouse is attached under in every DuckDB session
CATALOG_FILE = "catalog.sqlite"
DATA_FOLDER = "files"
POSTGRES_PREFIX = "ducklake:postgres:"
_DUCKDB_MAGIC = b"DUCK"


def db_path(explicit: str | os.PathLike | None = None) -> Path | str:
    """What --db / PRESSWATCH_DB names, as given (a Path for the embedded warehouse, else the URL)."""
    raw = named(explicit)
    return raw if raw.startswith("ducklake:") else Path(raw)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Location:
    """One warehouse: how to attach it and how to name it to a person."""

    spec: str  # what the user wrote (a path, or ducklake:postgres:...)
    catalog: str  # DuckLake's catalog string: sqlite:<file> or postgres:<conninfo>
    data_path: str  # folder or s3:// URL, ending in /
    folder: Path | None  # the embedded warehouse's own folder; None when shared

    @property
    def shared(self) -> bool:
        return self.folder is None

    @property
    def extensions(self) -> tuple[str, ...]:
        needed = ["ducklake", "postgres_scanner" if self.shared else "sqlite_scanner"]
        if self.data_path.startswith("s3://"):
            needed += ["httpfs", "aws"]
        return tuple(needed)

    def exists(self) -> bool:
        """Whether the catalog is there (a shared catalog is assumed to be: attaching tells)."""
        return self.folder is None or (self.folder / CATALOG_FILE).exists()

    def __str__(self) -> str:
        if self.folder is not None:
            return str(self.folder)
        return POSTGRES_PREFIX + _redact_conninfo(self.catalog.removeprefix("postgres:"))

    def attach_statements(self, read_only: bool, explicit_secret: bool = False) -> list[str]:
        """The SQL that attaches this warehouse as `presswatch` on a connection with the extensions loaded.

        An S3 data path's credentials come from the credential chain, unless `explicit_secret`
        writes the AWS_* values of this environment into the SQL itself.
        """
        statements = [f"LOAD {name}" for name in self.extensions]
        statements += s3_secret_statements(self.data_path, explicit_secret)
        options = [f"DATA_PATH {_quote(self.data_path)}"]
        if not self.shared:
            # The folder is the warehouse: its files are found beside its catalog wherever it was moved.
            options += ["META_JOURNAL_MODE 'WAL'", "OVERRIDE_DATA_PATH true"]
        if read_only:
            options.append("READ_ONLY")

        statements.append(f"ATTACH {_quote('ducklake:' + self.catalog)} AS {ALIAS} ({', '.join(options)})")
        statements.append(f"USE {ALIAS}")
        return statements


# The credential chain's sources: the AWS_* variables, then ~/.aws (profiles). Never the instance
# metadata service, which would be a network call to an address outside the deployment's own.
CREDENTIAL_CHAIN = "env;config"


def s3_secret_statements(data_path: str, explicit: bool = False) -> list[str]:
    """A DuckDB secret for an s3:// data path: its credentials read from the environment by DuckDB's
    `aws` extension when the secret is created, or (`explicit`) this environment's keys written out."""
    if not data_path.startswith("s3://"):
        return []
    parts = ["TYPE s3"]
    if explicit:
        parts.append("PROVIDER config")
        for option, variable in (
            ("KEY_ID", "AWS_ACCESS_KEY_ID"),
            ("SECRET", "AWS_SECRET_ACCESS_KEY"),
            ("SESSION_TOKEN", "AWS_SESSION_TOKEN"),
        ):
            if os.environ.get(variable):
                parts.append(f"{option} {_quote(os.environ[variable])}")
    else:
        parts += ["PROVIDER credential_chain", f"CHAIN {_quote(CREDENTIAL_CHAIN)}"]
    if os.environ.get("AWS_REGION"):
        parts.append(f"REGION {_quote(os.environ['AWS_REGION'])}")
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        split = urlsplit(endpoint if "://" in endpoint else "https://" + endpoint)
        parts.append(f"ENDPOINT {_quote(split.netloc)}")
        parts.append("URL_STYLE 'path'")
        parts.append(f"USE_SSL {'true' if split.scheme == 'https' else 'false'}")
    return [f"CREATE OR REPLACE SECRET presswatch_s3 ({', '.join(parts)})"]


def _redact_conninfo(conninfo: str) -> str:
    return " ".join("password=***" if part.lower().startswith("password=") else part for part in conninfo.split())


def named(spec: str | os.PathLike | None = None) -> str:
    """What names the warehouse, as written: `spec`, else PRESSWATCH_DB, else the default folder."""
    return str(spec or os.environ.get("PRESSWATCH_DB") or DEFAULT_DB)


def parse(spec: str | os.PathLike | None = None, data_path: str | None = None) -> Location:
    """The warehouse `spec` names (default: PRESSWATCH_DB, else data/warehouse)."""
    raw = named(spec)
    if raw.startswith(POSTGRES_PREFIX):
        conninfo = raw[len(POSTGRES_PREFIX) :].strip()
        if not conninfo:
            raise LocationError(
                f"{raw!r}: give the PostgreSQL connection after {POSTGRES_PREFIX}, e.g. "
                f"{POSTGRES_PREFIX}dbname=presswatch host=db.example.org"
            )
        lake_data = data_path or os.environ.get("PRESSWATCH_LAKE_DATA")
        if not lake_data:
            raise LocationError(
                f"a shared warehouse ({POSTGRES_PREFIX}...) needs its data path: set "
                "PRESSWATCH_LAKE_DATA to a folder or an s3://bucket/prefix/ URL"
            )
        if not lake_data.startswith("s3://"):
            lake_data = str(Path(lake_data).resolve())
        return Location(raw, "postgres:" + conninfo, lake_data.rstrip("/") + "/", None)
    if raw.startswith("ducklake:"):
        raise LocationError(
            f"{raw!r}: the only catalog presswatch attaches by URL is {POSTGRES_PREFIX}<conninfo>; "
            "for the embedded warehouse give a folder path"
        )
    folder = Path(raw).expanduser().resolve()
    if folder.is_file():
        if _is_duckdb_file(folder):
            raise LegacyWarehouse(
                f"{raw} is a one-file DuckDB warehouse of presswatch 0.1: convert it with "
                f"`presswatch upgrade {raw}` (into --db, default {DEFAULT_DB})"
            )
        raise LocationError(f"{raw} is a file, not a warehouse folder: pass --db a folder (default {DEFAULT_DB})")
    data = str(folder / DATA_FOLDER) + "/"
    return Location(raw, "sqlite:" + str(folder / CATALOG_FILE), data, folder)


def _is_duckdb_file(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        return False
    return head[8:12] == _DUCKDB_MAGIC
