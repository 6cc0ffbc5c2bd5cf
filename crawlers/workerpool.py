"""A process pool for extraction, recycled by hand: the crawl's and `presswatch reextract`'s.

trafilatura grows in memory over long runs (trafilatura#216), so workers are replaced after a
fixed number of pages. Not with ProcessPoolExecutor(max_tasks_per_child=...): that deadlocks on
Python 3.11-3.14 once a worker retires with work queued (cpython gh-115634). Instead, after
`workers * tasks_per_worker` submissions the pool is swapped for a fresh one; the old pool
finishes what it holds and its workers exit.

Workers are forks of a fork server that has imported `preload` once, so a recycled worker is
cheap and none inherits the parent's threads or sockets.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

DEFAULT_TASKS_PER_WORKER = 500


def available_cores() -> int:
    """The cores presswatch may use: PRESSWATCH_CORES, else the cores this process may run on.

    Set it when presswatch shares a machine (the test suite runs its crawls in parallel workers).
    """
    try:
        return max(1, int(os.environ.get("PRESSWATCH_CORES") or len(os.sched_getaffinity(0))))
    except ValueError:
        return max(1, len(os.sched_getaffinity(0)))


def tasks_per_worker_default() -> int:
    """PRESSWATCH_EXTRACT_TASKS_PER_WORKER, or 500."""
    try:
        return max(1, int(os.environ.get("PRESSWATCH_EXTRACT_TASKS_PER_WORKER", DEFAULT_TASKS_PER_WORKER)))
    except ValueError:
        return DEFAULT_TASKS_PER_WORKER


class WorkerPool:
    """`submit` like an executor; `map` in order with a bounded window; `restart` after a crash or a hang."""

    def __init__(self, workers: int, tasks_per_worker: int | None = None, preload: Iterable[str] = ()):
        self.workers = max(1, workers)
        self.tasks_per_worker = max(1, tasks_per_worker or tasks_per_worker_default())
        self.preload = list(preload)
        self.pools_started = 0
        self.submitted = 0
        # Started on the first page, not before: a recrawl where every page answers 304 never pays for it.
        self.pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        if self.preload:
            context.set_forkserver_preload(self.preload)
        self.submitted = 0
        self.pools_started += 1
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context)

    def submit(self, fn: Callable, *args) -> tuple[Future, ProcessPoolExecutor]:
        """The future and the pool it went to (pass that pool to `restart` if the future breaks or hangs)."""
        if self.pool is None:
            self.pool = self._new_pool()
        elif self.submitted >= self.tasks_per_worker * self.workers:
            old, self.pool = self.pool, self._new_pool()
            old.shutdown(wait=False)
        self.submitted += 1
        pool = self.pool
        return pool.submit(fn, *args), pool

    def restart(self, broken: ProcessPoolExecutor) -> None:
        """Kill `broken`'s workers and start a fresh pool, unless another caller already replaced it."""
        if self.pool is not broken:
            return
        for process in list((getattr(broken, "_processes", None) or {}).values()):
            process.kill()
        broken.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool()

    def map(self, fn: Callable, items: Iterable, window: int | None = None) -> Iterator:
        """fn(item) for every item, in order, with at most `window` (default 4 per worker) in flight."""
        window = window or 4 * self.workers
        pending: deque[Future] = deque()
        for item in items:
            pending.append(self.submit(fn, item)[0])
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

    def shutdown(self, wait: bool = True) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=True)
