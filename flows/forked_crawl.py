"""Crawl processes forked from the crawl fork server (crawlers/fork_server.py) rather than started afresh.

`start_crawl(args, env, log)` gives what `subprocess.Popen` gives for `python -m crawlers.run ARGS`
with stdin a pipe and its output in `log`: the process in a session of its own, `pid`, `stdin`,
`poll()`, `wait(timeout)` and `returncode`. A process starts one server per interpreter setting
(sys.executable and the PYTHON* variables) on its first crawl; the server goes when the process
does, or at `stop_servers()`. Each crawl still gets exactly `env`. PRESSWATCH_CRAWL_FORK=0 starts every crawl afresh.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from typing import IO

from crawlers.fork_server import send_request

logger = logging.getLogger(__name__)
_servers: dict[tuple, _Server] = {}
_servers_lock = threading.Lock()
os.register_at_fork(after_in_child=_servers.clear)  # a forked process starts servers of its own


class ForkedCrawl:
    """A crawl forked by the server, as much of `subprocess.Popen` as the flows use."""

    def __init__(self, args: list[str], reply: socket.socket, stdin: int):
        self.args = ["crawlers.run", *args]
        self.stdin: IO[bytes] = os.fdopen(stdin, "wb")
        self.returncode: int | None = None
        self._pid: int | None = None
        self._forked = threading.Event()
        self._ended = threading.Event()
        threading.Thread(target=self._follow, args=(reply,), name="forked-crawl", daemon=True).start()

    def _follow(self, reply: socket.socket) -> None:
        with reply, reply.makefile("r", encoding="ascii") as lines:
            for line in lines:
                word, _, value = line.strip().partition(" ")
                if word == "pid":
                    self._pid = int(value)
                    self._forked.set()
                elif word == "exit":
                    self.returncode = int(value)
        if self.returncode is None:  # the server went away: the crawl's end cannot be known
            logger.warning("the crawl fork server ended before the crawl did: %s", " ".join(self.args))
            self.returncode = 1
        self._forked.set()
        self._ended.set()

    @property
    def pid(self) -> int:
        self._forked.wait()
        if self._pid is None:
            raise ProcessLookupError("the crawl fork server ended before it forked the crawl")
        return self._pid

    def poll(self) -> int | None:
        return self.returncode if self._ended.is_set() else None

    def wait(self, timeout: float | None = None) -> int:
        if not self._ended.wait(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        assert self.returncode is not None
        return self.returncode


class _Server:
    def __init__(self, env: dict[str, str]):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crawlers.fork_server", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,  # a crawl that cannot import says so in its own log
                start_new_session=True,
            )
        self.control = ours
        self.lock = threading.Lock()

    def start(self, args: list[str], env: dict[str, str], log: IO[bytes]) -> ForkedCrawl:
        reply, theirs = socket.socketpair()
        stdin, ours = os.pipe()
        try:
            with self.lock:
                send_request(
                    self.control, {"args": args, "env": env, "cwd": os.getcwd()}, [theirs.fileno(), stdin, log.fileno()]
                )
        except OSError:
            reply.close()
            os.close(ours)
            raise
        finally:
            theirs.close()
            os.close(stdin)
        return ForkedCrawl(args, reply, ours)


@atexit.register
def stop_servers() -> None:
    """Close each server's socket (a server exits when it reads the end) and wait for it to go; the
    next crawl starts a server again."""
    with _servers_lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.control.close()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()


def _server(env: dict[str, str]) -> _Server | None:
    key = (sys.executable, *sorted((k, v) for k, v in env.items() if k.startswith("PYTHON")))
    with _servers_lock:
        server = _servers.get(key)
        if server is None or server.process.poll() is not None:
            try:
                server = _servers[key] = _Server(env)
            except OSError as exc:
                logger.warning("crawls start afresh: the crawl fork server did not start (%s)", exc)
                return None
        return server


def start_crawl(args: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen | ForkedCrawl:
    """`python -m crawlers.run ARGS` in a session of its own, stdin a pipe, stdout and stderr to `log`."""
    if env.get("PRESSWATCH_CRAWL_FORK", "1") != "0":
        server = _server(env)
        if server is not None:
            try:
                return server.start(args, env, log)
            except OSError as exc:  # the server is gone: this crawl starts afresh, the next one starts a server
                logger.warning("the crawl fork server is gone (%s); this crawl starts afresh", exc)
    return subprocess.Popen(
        [sys.executable, "-m", "crawlers.run", *args],
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
