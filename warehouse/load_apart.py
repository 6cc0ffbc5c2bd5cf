"""Big batches load in a process of their own, with DuckDB held to the load's memory bound.

A load's working tables live until its transaction commits, so a first load of 20,000 pages took
the command to 1.1-1.6 GB. Under a bound DuckDB spills them instead, but DuckDB 1.5.5 corrupted its
heap in a later `ducklake_rewrite_data_files` of a process that had loaded under one (2 of 50 runs
of the bench's upkeep), so a bounded load runs in a process that does nothing else and exits: the
bound never outlives the load, and the command that waits keeps none of the load's memory. The
process dies with the command, as a machine's death would end both. Small batches, a scheduled
run's usual, load in the command's process as before: a process start costs about half a second.

PRESSWATCH_LOAD_APART is the size of a batch's records from which it loads apart (DuckDB's units;
default 64MB: about 8,000 real articles, or 20,000 of the bench's synthetic ones); "0", "none" or
"off" loads every batch in the command.
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse.errors import LoadSettingError, WarehouseError
from warehouse.load_memory import size_bytes
from warehouse.staging import StagedBatch

if TYPE_CHECKING:
    from warehouse.loader import LoadResult

LOAD_APART_ENV = "PRESSWATCH_LOAD_APART"
DEFAULT_LOAD_APART = "64MB"
_PR_SET_PDEATHSIG = 1  # prctl(2)

log = logging.getLogger(__name__)


def load_apart_bytes() -> int | None:
    """The records size from which a batch loads in a process of its own, or None for never.

    Raises LoadSettingError naming the variable when its value is not a size."""
    value = os.environ.get(LOAD_APART_ENV, "").strip() or DEFAULT_LOAD_APART
    try:
        return size_bytes(value)
    except ValueError:
        raise LoadSettingError(
            f"{LOAD_APART_ENV}={value!r} is not a size: give one like 64MB, or 0 to load every batch in the command"
        ) from None


def wants_own_process(batches: Sequence[StagedBatch]) -> bool:
    """Whether any of `batches` is big enough to load apart (see the module)."""
    threshold = load_apart_bytes()
    if threshold is None:
        return False
    return any(b.records.exists() and b.records.stat().st_size >= threshold for b in batches)


def load_in_own_process(
    db, staging: Path, loaded: Path, wait: float, batch_ids: list[str], archive, memory: str
) -> list[LoadResult] | None:
    """Load the batches `batch_ids` (in the order they are pending) in a new Python process held to
    `memory`, and give back its results, or raise the named error it raised.

    None when the process ended without an answer (killed, crashed): what it had not committed is
    still staged, and the caller loads it."""
    request = {
        "db": db,
        "staging": Path(staging),
        "loaded": Path(loaded),
        "wait": wait,
        "batch_ids": list(batch_ids),
        "archive": archive,
        "memory": memory,
    }
    with tempfile.TemporaryDirectory(prefix="presswatch-load-") as folder:
        asked, answered = Path(folder) / "request.pickle", Path(folder) / "answer.pickle"
        asked.write_bytes(pickle.dumps(request))
        process = subprocess.Popen(
            [sys.executable, "-m", "warehouse.load_apart", str(asked), str(answered), str(os.getpid())]
        )
        try:
            code = process.wait()
        except BaseException:  # the command is stopping: so does its load, whose transaction rolls back
            process.terminate()
            process.wait()
            raise
        if not answered.exists():
            log.warning(
                "the load of %d batch(es) in a process of its own ended with exit code %s and no answer:"
                " loading what it left staged in this process, without a memory bound",
                len(batch_ids),
                code,
            )
            return None
        answer = pickle.loads(answered.read_bytes())
    for name, level, message in answer["logged"]:
        logging.getLogger(name).log(level, "%s", message)
    if answer["error"] is not None:
        raise answer["error"]
    return answer["results"]


class _Kept(logging.Handler):
    """The load's warnings, sent back to the command to log as its own."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


def _portable(exc: Exception) -> Exception:
    """`exc` if it survives pickling, else a WarehouseError with its message."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return WarehouseError(f"{type(exc).__name__}: {exc}")


def _die_with(command: int) -> None:
    """Have the kernel kill this process when the command that started it dies (Linux), as the
    machine's death would: a load must not outlive a command that was killed, still holding the lock."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: a killed command's load finishes on its own
        return
    if os.getppid() != command:  # it died before the request above
        os._exit(1)


def main(asked: str, answered: str, command: str) -> int:
    _die_with(int(command))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C reaches the command, which stops this process
    from warehouse.loader import load_pending_here

    request = pickle.loads(Path(asked).read_bytes())
    kept = _Kept()
    logging.getLogger().addHandler(kept)
    ids = set(request["batch_ids"])
    answer: dict = {"results": [], "error": None}
    try:
        answer["results"] = load_pending_here(
            request["db"],
            request["staging"],
            request["loaded"],
            request["wait"],
            lambda batch: batch.batch_id in ids,
            request["archive"],
            request["memory"],
        )
    except Exception as exc:  # the command raises it as its own
        answer["error"] = _portable(exc)
    answer["logged"] = kept.records
    partial = Path(answered).with_suffix(".partial")
    partial.write_bytes(pickle.dumps(answer))
    partial.rename(answered)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
