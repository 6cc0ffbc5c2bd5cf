"""What a registry and the warehouse disagree on: sources the warehouse holds that the registry
does not list, and sources of the same name whose runs came from another registry file.

Commands run with one registry on a warehouse crawled with another (the demo writes its own)
say so instead of silently skipping or mixing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from crawlers.registry import Registry

UNRECORDED = "a registry presswatch did not record"


@dataclass
class RegistryGap:
    registry: Path
    missing: dict[str, str] = field(default_factory=dict)  # in the warehouse only: name -> registry it came from
    elsewhere: dict[str, str] = field(default_factory=dict)  # in both, last crawled from another registry

    def notes(self) -> list[str]:
        """One sentence per other registry, naming the sources and the --sources that shows them."""
        found = []
        for origin, names in _by_origin(self.missing).items():
            hint = f": pass --sources {origin} for them" if origin != UNRECORDED else ""
            found.append(
                f"the warehouse also holds {', '.join(names)}, crawled from {origin}, which {self.registry} "
                f"does not list{hint}"
            )
        for origin, names in _by_origin(self.elsewhere).items():
            found.append(f"{', '.join(names)}: the warehouse's runs came from {origin}, not {self.registry}")
        return found


def registry_gap(registry: Registry, recorded: dict[str, str | None]) -> RegistryGap:
    """Compare `registry` with `recorded`, each warehouse source's registry file (None: not recorded)."""
    listed = {source.name for source in registry.sources}
    here = str(registry.path.resolve())
    gap = RegistryGap(registry.path)
    for name, origin in sorted(recorded.items()):
        if name not in listed:
            gap.missing[name] = origin or UNRECORDED
        elif origin and origin != here:
            gap.elsewhere[name] = origin
    return gap


def warehouse_gap(registry: Registry, runs: dict[str, dict]) -> RegistryGap:
    """The gap between `registry` and the warehouse's sources, from `warehouse.query.last_runs`."""
    return registry_gap(registry, {name: run["registry"] for name, run in runs.items()})


def _by_origin(names: dict[str, str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, origin in names.items():
        grouped.setdefault(origin, []).append(name)
    return grouped
