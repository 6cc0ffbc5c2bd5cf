"""Prefect's database, migrated once per Prefect version: a server on a new PREFECT_HOME starts from a copy.

A Prefect server on a new SQLite file first runs every one of Prefect's migrations: on 2 cores
that is 9 s of CPU before it answers, against 3 s for a server whose database is up to date
(docs/benchmarks.md). So the first server of a Prefect version keeps a copy of its database as
it is when it first answers (migrated, no run recorded yet) in the user's cache, and a server
on a new database starts from that copy. The cache is only ever a shortcut: when it cannot be
read or written, the server migrates as before.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from warehouse.user_cache import user_cache

logger = logging.getLogger(__name__)


def template_path() -> Path:
    """The migrated, empty database of the installed Prefect version."""
    return user_cache("prefect") / f"empty-{importlib.metadata.version('prefect')}.db"


def start_from_template(database: Path) -> bool:
    """Put a copy of the template at `database` (a file that does not exist yet); False without one."""
    try:
        template = template_path()
        if not template.is_file():
            return False
        partial = database.with_name(database.name + ".partial")
        shutil.copyfile(template, partial)
        os.replace(partial, database)
    except OSError as exc:
        logger.debug("Prefect's database starts empty: its template cannot be copied (%s)", exc)
        return False
    return True


def save_template(database: Path) -> None:
    """Keep `database`, a server's just after its migrations, as the template (a consistent copy)."""
    try:
        template = template_path()
        with closing(sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)) as source:
            if not source.execute("SELECT count(*) FROM alembic_version").fetchone()[0]:
                return
            handle, partial = tempfile.mkstemp(dir=template.parent, suffix=".partial")
            os.close(handle)
            try:
                with closing(sqlite3.connect(partial)) as copy:
                    source.backup(copy)
                os.replace(partial, template)
            finally:
                Path(partial).unlink(missing_ok=True)
    except (OSError, sqlite3.Error) as exc:
        logger.debug("Prefect's migrated database is not kept as a template (%s)", exc)
