"""What one ingest run did, per source: the summary every step adds to and every view renders."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class SourceReport:
    source: str
    status: str = "ok"
    error: str | None = None
    counts: dict = field(default_factory=dict)
    changes: list = field(default_factory=list)


@dataclass
class RunSummary:
    run_id: str
    sources: list[SourceReport]
    loaded_batches: int = 0
    left_staged: int = 0
    load_error: str | None = None
    alerts: list = field(default_factory=list)  # one dict per message sent or failed (flows/notify/deliver.py)

    @property
    def failed_sources(self) -> list[str]:
        return [s.source for s in self.sources if s.status != "ok"]

    def as_dict(self) -> dict:
        return asdict(self)
