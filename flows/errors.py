"""Named errors of the orchestration and rendering code, which the CLI alone turns into messages.

Kept apart from the modules that raise them so that catching one does not import Prefect.
"""

from __future__ import annotations


class IngestRunFailed(Exception):
    """The ingest flow run ended in a failed state; the message is Prefect's reason."""


class ChartsUnavailable(RuntimeError):
    """A PNG chart was asked for without the `charts` extra (matplotlib) installed."""


class PrefectServerError(Exception):
    """The local Prefect server did not start (the message carries the end of its log)."""
