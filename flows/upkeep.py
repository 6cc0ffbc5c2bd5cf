"""The warehouse's upkeep as a Prefect flow, which `serve` runs daily (PRESSWATCH_MAINTAIN_SCHEDULE)."""

from __future__ import annotations

import os
from datetime import timedelta

from prefect import flow, get_run_logger

from crawlers.durations import parse_duration
from flows.settings import resolve

DEFAULT_SCHEDULE = "30 3 * * *"


def schedule() -> str:
    return os.environ.get("PRESSWATCH_MAINTAIN_SCHEDULE") or DEFAULT_SCHEDULE


@flow(name="maintain")
def maintain_warehouse(
    db: str | None = None, data: str | None = None, retention: str = "30d", grace: str = "6h"
) -> dict:
    """Merge small files, expire snapshots older than `retention`, delete files unreferenced for `grace`."""
    from warehouse.maintain import maintain

    settings = resolve(db=db, data=data)
    upkeep = maintain(
        settings.db,
        retention=timedelta(seconds=parse_duration(retention)),
        grace=timedelta(seconds=parse_duration(grace)),
        wait=max(settings.load_wait, 60.0),
    )
    get_run_logger().info(
        "upkeep: %s data files -> %s, %s snapshots -> %s",
        upkeep.before.data_files,
        upkeep.after.data_files,
        upkeep.before.snapshots,
        upkeep.after.snapshots,
    )
    return upkeep.as_dict()
