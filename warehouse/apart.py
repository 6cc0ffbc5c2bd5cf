"""Warehouse work run in a Python process of its own, which exits once the work is done.

Two kinds of work run apart: a big batch's load, held to a memory bound that must not outlive it
(warehouse/load_apart.py), and upkeep, whose DuckLake calls crash their process now and then
(warehouse/maintain.py). The caller gets back what the work returned, its warnings (logged again
under their own loggers' names) and the named error it raised; ProcessEnded when the process ended
without an answer (killed, crashed). The process dies with its caller (Linux), as a machine's
death would end both, and a Ctrl-C reaches the caller, which stops it.
"""

from __future__ import annotations

import ctypes
import importlib
import logging
import os
import pickle
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from warehouse.errors import WarehouseError
from warehouse.staging import sweep_abandoned

FOLDER_PREFIX = "presswatch-apart-"
_PR_SET_PDEATHSIG = 1  # prctl(2)


class ProcessEnded(WarehouseError):
    """The process doing the work ended without an answer; `code` is its exit status (negative: the signal)."""

    def __init__(self, target: str, code: int) -> None:
        how = f"signal {-code} ({_signal_name(-code)})" if code < 0 else f"exit code {code}"
        super().__init__(f"{target} ended with {how} and no answer")
        self.code, self.how = code, how


def call_apart(target: str, *args: Any) -> Any:
    """`target(*args)` ("module:function", its arguments picklable) in a new Python process.

    Raises what the function raised (one that does not pickle becomes a WarehouseError with its
    type and message), or ProcessEnded."""
    sweep_abandoned(Path(tempfile.gettempdir()), FOLDER_PREFIX)  # those of callers killed outright
    with tempfile.TemporaryDirectory(prefix=f"{FOLDER_PREFIX}{os.getpid()}-") as folder:
        asked, answered = Path(folder) / "request.pickle", Path(folder) / "answer.pickle"
        asked.write_bytes(pickle.dumps({"target": target, "args": args}))
        process = subprocess.Popen(
            [sys.executable, "-m", "warehouse.apart", str(asked), str(answered), str(os.getpid())]
        )
        try:
            code = process.wait()
        except BaseException:  # the caller is stopping: so does its work, whose transaction rolls back
            process.terminate()
            process.wait()
            raise
        if not answered.exists():
            raise ProcessEnded(target, code)
        answer = pickle.loads(answered.read_bytes())
    for name, level, message in answer["logged"]:
        logging.getLogger(name).log(level, "%s", message)
    if answer["error"] is not None:
        raise answer["error"]
    return answer["result"]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown"


class _Kept(logging.Handler):
    """The work's warnings, sent back to the caller to log as its own."""

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


def _die_with(caller: int) -> None:
    """Have the kernel kill this process when its caller dies (Linux), as the machine's death would:
    work must not outlive a command that was killed, still holding the write lock."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: a killed command's work finishes on its own
        return
    if os.getppid() != caller:  # it died before the request above
        os._exit(1)


def main(asked: str, answered: str, caller: str) -> int:
    _die_with(int(caller))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C reaches the caller, which stops this process
    request = pickle.loads(Path(asked).read_bytes())
    module, _, name = request["target"].partition(":")
    kept = _Kept()
    logging.getLogger().addHandler(kept)
    answer: dict = {"result": None, "error": None}
    try:
        answer["result"] = getattr(importlib.import_module(module), name)(*request["args"])
    except Exception as exc:  # the caller raises it as its own
        answer["error"] = _portable(exc)
    answer["logged"] = kept.records
    partial = Path(answered).with_suffix(".partial")
    partial.write_bytes(pickle.dumps(answer))
    partial.rename(answered)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
