"""Prefect's environment, set before Prefect is imported: telemetry off, state under the data folder."""

from __future__ import annotations

import os
from pathlib import Path

QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY": "false",
    "PREFECT_EXPERIMENTS_WARN": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
    "DO_NOT_TRACK": "1",
}


def configure(data: Path, log_level: str = "WARNING") -> None:
    """Point Prefect at `data/prefect` unless the user chose otherwise, and keep it from phoning home."""
    for key, value in QUIET.items():
        os.environ[key] = value
    os.environ.setdefault("PREFECT_HOME", str(Path(data).resolve() / "prefect"))
    Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", log_level)
