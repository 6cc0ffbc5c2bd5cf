"""A process pool for extraction, recycled by hand: the crawl's and `presswatch reextract`'s.

trafilatura grows in memory over long runs (trafilatura#216), so workers are replaced after a
fixed number of pages. Not with ProcessPoolExecutor(max_tasks_per_child=...): that deadlocks on
Python 3.11-3.14 once a worker retires with work queued (cpython gh-115634). Instead, after
`workers * tasks_per_worker` submissions the pool is swapped for a fresh one; the old pool
finishes what it holds and its workers exit. A retired pool gets `deadline` seconds for that: a
worker still busy then (hung on a page) is killed, by `restart` when its page timed out, else by
the next submission or `shutdown` after the deadline, so a hung worker never keeps the process alive.

Workers are forks of a fork server that has imported `preload` once, so a recycled worker is
cheap and none inherits the parent's threads or sockets.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

# Pages a worker extracts before it is replaced. A fresh worker is a fork of the warmed fork server
# (crawlers/worker_preload.py), so replacing it is cheap; at 200 the tree's peak PSS on 2,000 real
# pages was 640 MB against 697 MB at 500 (docs/benchmarks.md, issue 23).
DEFAULT_TASKS_PER_WORKER = 200
DEFAULT_DEADLINE = (
    120.0  # seconds one page's extraction may take (PRESSWATCH_EXTRACT_TIMEOUT); a retired pool gets as long
)


def tasks_per_worker_default() -> int:
    """PRESSWATCH_EXTRACT_TASKS_PER_WORKER, or DEFAULT_TASKS_PER_WORKER."""
    try:
        return max(1, int(os.environ.get("PRESSWATCH_EXTRACT_TASKS_PER_WORKER", DEFAULT_TASKS_PER_WORKER)))
    except ValueError:
        return DEFAULT_TASKS_PER_WORKER


# Building every locale's date patterns in the fork server (crawlers/date_locales_preload.py) costs
# about what one worker spends building those its pages need (a second): it pays for a big run
# that may start this many workers (a run's max_articles is only a bound: a scheduled run of 300
# extracts a few new pages).
DATE_LOCALES_FROM_WORKER_STARTS = 3
DATE_LOCALES_FROM_PAGES = 1000


def date_locales_pay_off(pages: int, workers: int, tasks_per_worker: int | None = None) -> bool:
    """Whether a pool that may extract `pages` should have its fork server build every locale's date patterns."""
    generations = -(-pages // (workers * (tasks_per_worker or tasks_per_worker_default())))
    return pages >= DATE_LOCALES_FROM_PAGES and workers * generations >= DATE_LOCALES_FROM_WORKER_STARTS


class WorkerPool:
    """`submit` like an executor; `map` in order with a bounded window; `restart` after a crash or a hang."""

    def __init__(
        self,
        workers: int,
        tasks_per_worker: int | None = None,
        preload: Iterable[str] = (),
        deadline: float = DEFAULT_DEADLINE,
    ):
        self.workers = max(1, workers)
        self.tasks_per_worker = max(1, tasks_per_worker or tasks_per_worker_default())
        self.preload = list(preload)
        self.deadline = deadline
        self.pools_started = 0
        self.submitted = 0
        # Started on the first page, not before: a recrawl where every page answers 304 never pays for it.
        self.pool: ProcessPoolExecutor | None = None
        # Pools rotated out: (pool, its worker processes, when those get killed). The processes are
        # noted before shutdown(), which forgets them.
        self.retired: list[tuple[ProcessPoolExecutor, list, float]] = []

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        if self.preload:
            context.set_forkserver_preload(self.preload)
        self.submitted = 0
        self.pools_started += 1
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=context)

    def submit(self, fn: Callable, *args) -> tuple[Future, ProcessPoolExecutor]:
        """The future and the pool it went to (pass that pool to `restart` if the future breaks or hangs)."""
        self._reap()
        if self.pool is None:
            self.pool = self._new_pool()
        elif self.submitted >= self.tasks_per_worker * self.workers:
            old, self.pool = self.pool, self._new_pool()
            self.retired.append((old, _processes(old), time.monotonic() + self.deadline))
            old.shutdown(wait=False)
        self.submitted += 1
        pool = self.pool
        return pool.submit(fn, *args), pool

    def restart(self, broken: ProcessPoolExecutor) -> None:
        """Kill `broken`'s workers (it crashed, or one hangs); start a fresh pool if it was the current one."""
        if self.pool is broken:
            _kill(broken, _processes(broken))
            self.pool = self._new_pool()
            return
        for pool, processes, _ in self.retired:  # a hang in a pool already rotated out
            if pool is broken:
                _kill(pool, processes)
        self.retired = [entry for entry in self.retired if entry[0] is not broken]

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
        """Stop the current pool (waiting for its workers with `wait`); retired pools still busy are
        waited for until their deadline, then killed."""
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=True)
        for pool, processes, due in self.retired:
            for process in processes:
                process.join(max(0.0, due - time.monotonic()) if wait else 0)
            _kill(pool, processes)
        self.retired = []

    def _reap(self) -> None:
        """Kill the workers of retired pools past their deadline."""
        now = time.monotonic()
        for pool, processes, due in self.retired:
            if due <= now:
                _kill(pool, processes)
        self.retired = [entry for entry in self.retired if entry[2] > now]


def _processes(pool: ProcessPoolExecutor) -> list:
    return list((getattr(pool, "_processes", None) or {}).values())


def _kill(pool: ProcessPoolExecutor, processes: list) -> None:
    """Kill the pool's worker processes (those still alive) and let its manager thread wind down."""
    for process in processes:
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
