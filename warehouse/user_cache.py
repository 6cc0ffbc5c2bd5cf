"""Where presswatch keeps what it can always rebuild: DuckDB's extension binaries, Prefect's migrated empty database."""

from __future__ import annotations

from pathlib import Path

import platformdirs


def user_cache(*parts: str) -> Path:
    """A folder under the user's cache (XDG_CACHE_HOME, else ~/.cache, then presswatch/PARTS), made on first use."""
    folder = Path(platformdirs.user_cache_dir("presswatch"), *parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
