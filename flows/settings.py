"""Run settings, resolved once (defaults, then environment, then flags) and passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from crawlers.registry import registry_path
from warehouse.errors import ArchiveNotShared
from warehouse.location import POSTGRES_PREFIX, db_path, parse


@dataclass(frozen=True)
class Settings:
    db: Path | str  # a folder (embedded warehouse) or ducklake:postgres:...
    data: Path
    registry: Path
    parallel: int = 2
    load_wait: float = 30.0
    crawl_retries: int = 2
    retry_delay: float = 30.0
    log_level: str = "WARNING"

    @property
    def staging(self) -> Path:
        return self.data / "staging"

    @property
    def loaded(self) -> Path:
        return self.data / "loaded"

    @property
    def archive(self) -> Path:
        return self.data / "archive"

    @property
    def shared(self) -> bool:
        """Whether the warehouse is shared between machines (a PostgreSQL catalog)."""
        return str(self.db).startswith(POSTGRES_PREFIX)

    @property
    def archive_root(self) -> Path | str:
        """Where captures are read from: PRESSWATCH_ARCHIVE (shared storage, an fsspec URL) or the local archive.

        A shared warehouse needs a shared archive: with this machine's own folder, its versions would
        point at captures no other machine has (ArchiveNotShared, before anything loads).
        """
        self.check_archive()
        return os.environ.get("PRESSWATCH_ARCHIVE") or self.archive

    def check_archive(self) -> None:
        """Raise ArchiveNotShared for a shared warehouse whose archive would be this machine's own folder."""
        if self.shared and not os.environ.get("PRESSWATCH_ARCHIVE"):
            raise ArchiveNotShared(
                f"the warehouse {parse(self.db)} is shared, but PRESSWATCH_ARCHIVE is not set, so its "
                f"captures would stay in this machine's {self.archive}: set PRESSWATCH_ARCHIVE to storage "
                "every machine reaches (s3://bucket/archive, or a shared mount)"
            )

    @property
    def work(self) -> Path:
        return self.data / "work"

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def resolve(db: str | None = None, sources: str | None = None, data: str | None = None, **overrides) -> Settings:
    """Flags win over PRESSWATCH_* environment variables, which win over the defaults."""
    database = db_path(db)
    folder: str | Path | None = data or os.environ.get("PRESSWATCH_DATA")
    if not folder:
        explicit = db or os.environ.get("PRESSWATCH_DB")
        folder = database.parent if explicit and isinstance(database, Path) else Path("data")
    env_numbers = {
        "parallel": ("PRESSWATCH_PARALLEL", int),
        "load_wait": ("PRESSWATCH_LOAD_WAIT", float),
        "crawl_retries": ("PRESSWATCH_CRAWL_RETRIES", int),
        "retry_delay": ("PRESSWATCH_RETRY_DELAY", float),
    }
    values: dict = {}
    for key, (variable, kind) in env_numbers.items():
        if os.environ.get(variable):
            values[key] = kind(os.environ[variable])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(db=database, data=Path(folder), registry=registry_path(sources), **values)
