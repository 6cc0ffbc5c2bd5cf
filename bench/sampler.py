"""Memory, CPU and timeline of a whole process tree, sampled from /proc every 100 ms (no psutil needed).

RSS summed over the tree counts pages shared between a parent and its forked children once per
process, so it overstates; PSS (from smaps_rollup) shares them out and is reported beside it.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    found.extend(int(c) for c in f.read().split())
            except OSError:
                continue
    except OSError:
        pass
    return found


def tree(root: int) -> list[int]:
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children(pid))
    return out


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def pss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time the process has used so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()  # the command name may hold spaces
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return None


def classify(cmd: str, parent_kind: str | None) -> str:
    if "crawlers.fork_server" in cmd:  # a forked crawl keeps its server's command line
        return "crawl" if parent_kind == "fork_server" else "fork_server"
    if "crawlers.run" in cmd:  # a crawl started afresh (PRESSWATCH_CRAWL_FORK=0)
        return "crawl"
    if parent_kind in ("crawl", "workers"):
        return "workers"  # the forkserver and the extraction processes it forks
    if "warehouse.apart" in cmd:  # in a crawl, the work done apart is a big batch's load
        return "load"
    if "prefect" in cmd and ("server" in cmd or "uvicorn" in cmd):
        return "prefect_server"
    if parent_kind is None:
        return "cli"
    return parent_kind if parent_kind != "cli" else "other"


@dataclass
class TreeSampler:
    """Samples the tree under `root` in a thread; `peak` figures and a per-kind timeline when stopped."""

    root: int
    interval: float = 0.1
    pss: bool = True
    peak_rss: int = 0
    peak_pss: int = 0
    peak_rss_by_kind: dict = field(default_factory=dict)
    peak_at: dict = field(default_factory=dict)
    peak_pss_at: dict = field(default_factory=dict)  # the moment of peak PSS: PSS and processes per kind
    first_seen: dict = field(default_factory=dict)
    last_seen: dict = field(default_factory=dict)
    samples: int = 0
    max_processes: int = 0

    def __post_init__(self):
        self._stop = threading.Event()
        self._kinds: dict[int, str] = {}
        self._cpu: dict[int, float] = {}  # each process's CPU seconds at its last sample
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.monotonic()

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def stop(self) -> TreeSampler:
        self._stop.set()
        self._thread.join()
        return self

    def _kind(self, pid: int, parent: int | None) -> str:
        # Read the command line every time: a child sampled between fork and exec still shows its parent's.
        kind = classify(cmdline(pid), self._kinds.get(parent) if parent else None)
        self._kinds[pid] = kind
        return kind

    def sample(self) -> None:
        now = time.monotonic() - self.started
        total_rss = total_pss = 0
        by_kind: dict[str, int] = {}
        pss_by_kind: dict[str, int] = {}
        processes: dict[str, int] = {}
        todo: list[tuple[int, int | None]] = [(self.root, None)]
        count = 0
        while todo:
            pid, parent = todo.pop()
            rss = rss_bytes(pid)
            if not rss:
                continue
            count += 1
            kind = self._kind(pid, parent)
            cpu = cpu_seconds(pid)
            if cpu is not None:
                self._cpu[pid] = cpu
            by_kind[kind] = by_kind.get(kind, 0) + rss
            total_rss += rss
            processes[kind] = processes.get(kind, 0) + 1
            if self.pss:
                pss = pss_bytes(pid)
                total_pss += pss
                pss_by_kind[kind] = pss_by_kind.get(kind, 0) + pss
            self.first_seen.setdefault(kind, now)
            self.last_seen[kind] = now
            todo.extend((c, pid) for c in children(pid))
        self.samples += 1
        self.max_processes = max(self.max_processes, count)
        if total_rss > self.peak_rss:
            self.peak_rss = total_rss
            self.peak_at = {"t": round(now, 1), **{k: round(v / 2**20, 1) for k, v in by_kind.items()}}
        if total_pss > self.peak_pss:
            self.peak_pss = total_pss
            self.peak_pss_at = {
                "t": round(now, 1),
                "pss_mb": {k: round(v / 2**20, 1) for k, v in pss_by_kind.items()},
                "processes": processes,
            }
        for kind, value in by_kind.items():
            self.peak_rss_by_kind[kind] = max(self.peak_rss_by_kind.get(kind, 0), value)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def cpu_by_kind(self) -> dict[str, float]:
        """CPU seconds per kind of process, each process as of its last sample: a process loses what
        it used after that (under one interval each), so this is a lower bound."""
        out: dict[str, float] = {}
        for pid, seconds in self._cpu.items():
            kind = self._kinds.get(pid, "other")
            out[kind] = out.get(kind, 0.0) + seconds
        return {k: round(v, 2) for k, v in sorted(out.items())}

    def summary(self) -> dict:
        mb = lambda b: round(b / 2**20, 1)  # noqa: E731
        return {
            "cpu_s_by_kind": self.cpu_by_kind(),
            "peak_rss_mb": mb(self.peak_rss),
            "peak_pss_mb": mb(self.peak_pss) if self.pss else None,
            "peak_rss_by_kind_mb": {k: mb(v) for k, v in sorted(self.peak_rss_by_kind.items())},
            "at_peak_mb": self.peak_at,
            "at_peak_pss": self.peak_pss_at,
            "max_processes": self.max_processes,
            "samples": self.samples,
            "seen_s": {k: [round(self.first_seen[k], 2), round(self.last_seen[k], 2)] for k in sorted(self.first_seen)},
        }
