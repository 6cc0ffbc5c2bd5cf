"""Staged batches: what a crawl hands to the loader, one folder per crawl of one source.

A folder holds `records.jsonl` (one JSON record per line, appended as the crawl goes) and, once
the crawl ends, `manifest.json`. A folder without a manifest whose writer has died is salvaged:
its last partial line is cut and it is marked interrupted, so what was fetched is not lost.

The writer holds an exclusive `flock` on its `writer.json` for its whole life, taken before the
file appears; the kernel lets go when the process dies, so a writer is alive exactly while its lock
is held (a PID can be reused by another process; a lock cannot be faked). Salvage takes that same
lock, so two salvagers, or a salvager and a writer that is just closing, never interleave.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

RECORDS = "records.jsonl"
MANIFEST = "manifest.json"
WRITER = "writer.json"


def new_batch_id(source: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{source}-{secrets.token_hex(3)}"


class BatchWriter:
    """Appends records to one batch folder; `close()` writes the manifest that makes it loadable."""

    def __init__(self, folder: Path, batch_id: str, source: str, loader_settings: dict, run_id: str | None = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.batch_id = batch_id
        self.source = source
        self.loader_settings = loader_settings
        self.run_id = run_id
        self.started_at = datetime.now(UTC).isoformat()
        self.counts: dict[str, int] = {}
        self._lock: IO[bytes] | None = _write_locked_json(
            self.folder / WRITER,
            {
                "pid": os.getpid(),
                "locked": True,  # alive while writer.json is flocked (older writers only left their pid)
                "batch_id": batch_id,
                "source": source,
                "run_id": run_id,
                "started_at": self.started_at,
                "loader_settings": loader_settings,
            },
        )
        self._out = open(self.folder / RECORDS, "a", encoding="utf-8")

    def write(self, record: dict) -> None:
        self._out.write(json.dumps({**record, "batch_id": self.batch_id}, ensure_ascii=False, default=str) + "\n")
        self._out.flush()
        key = record.get("outcome") or record["type"]
        self.counts[key] = self.counts.get(key, 0) + 1

    def close(self, status: str = "complete", extra: dict | None = None) -> Path:
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        manifest = {
            "batch_id": self.batch_id,
            "source": self.source,
            "run_id": self.run_id,
            "status": status,
            "started_at": self.started_at,
            "finished_at": datetime.now(UTC).isoformat(),
            "counts": self.counts,
            "loader_settings": self.loader_settings,
            **(extra or {}),
        }
        _write_json(self.folder / MANIFEST, manifest)
        (self.folder / WRITER).unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.close()  # a salvager waiting on the lock now finds the manifest
            self._lock = None
        return self.folder


@dataclass(frozen=True)
class StagedBatch:
    folder: Path
    manifest: dict

    @property
    def batch_id(self) -> str:
        return self.manifest["batch_id"]

    @property
    def records(self) -> Path:
        return self.folder / RECORDS


def pending_batches(staging: Path) -> list[StagedBatch]:
    """Every loadable batch under `staging`, oldest first, salvaging those whose crawl died."""
    staging = Path(staging)
    if not staging.is_dir():
        return []
    batches = []
    for folder in sorted(p for p in staging.iterdir() if p.is_dir()):
        manifest_path = folder / MANIFEST
        if not manifest_path.exists() and not salvage(folder):
            continue
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        batches.append(StagedBatch(folder, manifest))
    return sorted(batches, key=lambda b: b.manifest.get("started_at", ""))


def salvage(folder: Path) -> bool:
    """Make a dead crawl's batch loadable: cut a torn last line and write an `interrupted` manifest.

    True when the folder is loadable afterwards (salvaged now, or closed by its writer meanwhile).
    """
    folder = Path(folder)
    with _writer_lock(folder) as info:
        if info is None:  # a live writer, or no writer file at all
            return (folder / MANIFEST).exists()
        if (folder / MANIFEST).exists():  # the writer closed the batch while we waited for its lock
            return True
        _cut_partial_line(folder / RECORDS)
        _write_json(
            folder / MANIFEST,
            {
                "batch_id": info.get("batch_id", folder.name),
                "source": info.get("source"),
                "run_id": info.get("run_id"),
                "status": "interrupted",
                "started_at": info.get("started_at"),
                "finished_at": None,
                "counts": {},
                "loader_settings": info.get("loader_settings", {}),
            },
        )
        (folder / WRITER).unlink(missing_ok=True)
    return True


def writer_alive(folder: Path) -> bool:
    """Whether the crawl writing the batch in `folder` still runs (its writer's lock is held)."""
    try:
        handle = open(Path(folder) / WRITER, "rb")
    except OSError:
        return False
    with handle:
        info = _read_info(handle)
        if not info.get("locked"):
            return process_alive(info.get("pid"))
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False


@contextmanager
def _writer_lock(folder: Path):
    """Yield the dead writer's info while holding its lock (None when the writer lives or is gone)."""
    try:
        handle = open(folder / WRITER, "rb")
    except OSError:
        yield None
        return
    with handle:
        info = _read_info(handle)
        if not info:  # unreadable (a disk error): not salvaged blindly
            yield None
            return
        if info.get("locked"):
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None  # the writer holds it: alive
                return
        elif process_alive(info.get("pid")):  # a batch staged by a presswatch that did not lock its writer file
            yield None
            return
        yield info


def _read_info(handle: IO[bytes]) -> dict:
    try:
        info = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def note_error(folder: Path, error: str) -> None:
    """Record in a batch's manifest why its crawl ended early; the loader copies it to crawl_runs."""
    update_manifest(folder, error=error)


def update_manifest(folder: Path, **fields) -> None:
    """Set `fields` in a batch's manifest (rewritten whole, atomically), if it has one."""
    path = Path(folder) / MANIFEST
    if path.exists():
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest.update(fields)
        _write_json(path, manifest)


def mark_loaded(batch: StagedBatch, loaded_root: Path) -> Path:
    """Move a loaded batch out of the pending folder (kept, not deleted, for audit and re-loads)."""
    loaded_root = Path(loaded_root)
    loaded_root.mkdir(parents=True, exist_ok=True)
    target = loaded_root / batch.folder.name
    if not batch.folder.exists():
        return target  # another loader already moved it
    if target.exists():
        shutil.rmtree(target)
    batch.folder.rename(target)
    return target


def _cut_partial_line(path: Path) -> None:
    if not path.exists():
        path.touch()
        return
    with open(path, "rb+") as f:
        data = f.read()
        end = data.rfind(b"\n") + 1
        if end != len(data):
            f.truncate(end)


def sweep_abandoned(root: Path, prefix: str) -> None:
    """Remove the folders named `prefix`PID-... under `root` whose process PID is gone (killed before
    it could remove them itself)."""
    for folder in root.glob(f"{prefix}*-*"):
        pid = folder.name[len(prefix) :].split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def process_alive(pid) -> bool:
    """Whether process `pid` runs (a zombie does not; another user's does)."""
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


def _write_json(path: Path, data: dict) -> None:
    """Write `path` atomically: a temporary file of its own (never shared with another writer), fsynced,
    renamed over it."""
    _replace(path, data, locked=False).close()


def _write_locked_json(path: Path, data: dict) -> IO[bytes]:
    """`_write_json`, the file flocked before it appears; the lock lasts until the returned handle is
    closed or the process dies."""
    return _replace(path, data, locked=True)


def _replace(path: Path, data: dict, locked: bool) -> IO[bytes]:
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        if locked:
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(json.dumps(data, ensure_ascii=False, indent=1, default=str).encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        handle.close()
        Path(handle.name).unlink(missing_ok=True)
        raise
    return handle
