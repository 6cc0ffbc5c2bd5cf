"""The crawl fork server: imports the crawl once, then forks a crawl process per request.

A crawl process spends about 0.4 s of CPU importing Scrapy, Twisted and the crawl's own modules
before its first request. A process that runs many crawls (a multi-source `presswatch crawl`,
`serve`, a worker) starts this server once (flows/forked_crawl.py) and each crawl is a fork of it:
the same `crawlers.run` in a process of its own session, with its own environment, folder,
stdin and log, that can be killed as a group, but without the imports. The server runs no
reactor and starts no thread, so a fork of it is what a fresh interpreter would be after those
imports.

Requests come over a SOCK_SEQPACKET socket (file descriptor argv[1]): JSON {args, env, cwd} with
three descriptors, the reply socket, the crawl's stdin and its log. The server answers "pid N"
when it forked and "exit CODE" when the crawl ended (CODE as subprocess reports it: -N for a
signal). It exits when the process that started it closes its end.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable

# What every crawl imports before its first request (the rest is Scrapy's, imported by these).
PRELOAD = (
    "crawlers.run",
    "crawlers.spiders.press",
    "crawlers.pipelines.archive",
    "crawlers.pipelines.extract",
    "crawlers.pipelines.stage",
    "scrapy.core.engine",
    "scrapy.core.downloader.handlers.http11",
)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    control = socket.socket(fileno=int(argv[0]))
    for module in PRELOAD:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001  (each crawl imports it again and its log says why it failed)
            pass
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake select (set_wakeup_fd) when a crawl ends
    replies: dict[int, socket.socket] = {}
    while True:
        readable, _, _ = select.select([control.fileno(), wake_read], [], [])
        if wake_read in readable:
            os.read(wake_read, 512)
        _reap(replies)
        if control.fileno() in readable:
            try:
                message, fds, _, _ = socket.recv_fds(control, 1 << 20, 3)
            except InterruptedError:
                continue
            if not message:  # the starting process is gone: running crawls go on, as orphans
                return 0
            request = json.loads(message)
            reply, stdin, log = (socket.socket(fileno=fds[0]), fds[1], fds[2])
            pid = os.fork()
            if pid == 0:
                control.close()
                for fd in (wake_read, wake_write):
                    os.close(fd)
                for other in replies.values():
                    other.close()
                reply.close()
                _crawl(request, stdin, log)
            os.close(stdin)
            os.close(log)
            _send(reply, f"pid {pid}\n")
            replies[pid] = reply


def _reap(replies: dict[int, socket.socket]) -> None:
    while replies:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return
        reply = replies.pop(pid, None)
        if reply is not None:
            _send(reply, f"exit {os.waitstatus_to_exitcode(status)}\n")
            reply.close()


def _send(reply: socket.socket, line: str) -> None:
    try:
        reply.sendall(line.encode())
    except OSError:  # the requester is gone: the crawl goes on all the same
        pass


def _crawl(request: dict, stdin: int, log: int) -> None:
    """In the forked child: become the crawl process `python -m crawlers.run ARGS` would be, run it, exit."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    for fd, target in ((stdin, 0), (log, 1), (log, 2)):
        os.dup2(fd, target)
    os.close(stdin)
    os.close(log)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    code = 0
    try:
        from crawlers import run, settings

        importlib.reload(settings)  # module-level settings read the environment, now the crawl's own
        sys.argv = [run.__file__, *request["args"]]
        code = run.main(request["args"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    exit_like_an_interpreter(code)


def exit_like_an_interpreter(code: int, last: Callable[[], object] | None = None) -> None:
    """End a forked child as an interpreter ends: non-daemon threads joined, atexit run, garbage
    collected (Twisted logs a Deferred's unhandled error when it is collected), output flushed;
    then `last()`, then exit with `code`."""
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    gc.collect()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    if last is not None:
        last()
    os._exit(code)


def send_request(control: socket.socket, request: dict, fds: list[int]) -> None:
    """One request to the server (the client's side of the protocol above)."""
    socket.send_fds(control, [json.dumps(request).encode()], fds)


if __name__ == "__main__":
    sys.exit(main())
