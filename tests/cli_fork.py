"""The real `presswatch` command for the tests, each call in a process of its own, without its start-up.

The suite runs the CLI over 300 times; a fresh interpreter importing click, pydantic and every
command module cost about 0.3 s of CPU each time. A fork server per test process imports the CLI
once (no DuckDB, Prefect or Scrapy: what it imports starts no thread and reads no environment
variable); each call forks it, and the child sets the call's environment, folder, stdin, stdout and
stderr, runs `flows.cli.main` as the console script does, shuts down as an interpreter does
(non-daemon threads joined, atexit handlers run) and reports its exit status. A call whose
environment changes a PYTHON* variable (a different module path, say) still starts a new interpreter.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

_SERVER = r"""
import atexit, faulthandler, json, os, signal, socket, sys, threading, traceback
from crawlers.fork_server import exit_like_an_interpreter
import flows.cli.check  # registers `check` on the group (as the console script's import order does)
from flows.cli import main

listener = socket.socket(socket.AF_UNIX)
listener.bind(sys.argv[1])
listener.listen(64)
listener.settimeout(1.0)
print("ready", flush=True)


def run(conn, request):
    listener.close()
    os.setpgid(0, 0)  # a group of its own, as the test kills the command and what it started on timeout
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    stdin = os.open(os.devnull, os.O_RDONLY)
    out = os.open(request["stdout"], os.O_WRONLY | os.O_TRUNC)
    err = os.open(request["stderr"], os.O_WRONLY | os.O_TRUNC)
    for fd, target in ((stdin, 0), (out, 1), (err, 2)):
        os.dup2(fd, target)
        os.close(fd)
    if os.environ.get("PYTHONFAULTHANDLER"):
        faulthandler.enable()
    sys.argv = ["presswatch", *request["args"]]
    code = 0
    try:
        main()
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        traceback.print_exc()
        code = 130
    except BaseException:
        traceback.print_exc()
        code = 1
    exit_like_an_interpreter(code, last=lambda: conn.sendall(f"exit {code}\n".encode()))


while True:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
    try:
        conn, _ = listener.accept()
    except socket.timeout:
        continue
    conn.settimeout(None)
    request = json.loads(conn.makefile("r").readline())
    pid = os.fork()
    if pid == 0:
        run(conn, request)
    conn.sendall(f"pid {pid}\n".encode())
    conn.close()
"""

_ROOT = Path(__file__).resolve().parent.parent
_lock = threading.Lock()
_server: dict = {}


def _start() -> str:
    """The socket path of this process's fork server, started on first use."""
    with _lock:
        process = _server.get("process")
        if process is not None and process.poll() is None:
            return _server["socket"]
        folder = tempfile.mkdtemp(prefix="pw-cli-fork-")
        path = os.path.join(folder, "socket")
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, path],
            cwd=_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        ready = process.stdout.readline().strip()
        assert ready == "ready", f"the CLI fork server did not start: {ready!r}"
        _server.update(process=process, socket=path, env=env)
        atexit.register(_stop, process, folder)
        return path


def _stop(process: subprocess.Popen, folder: str) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    shutil.rmtree(folder, ignore_errors=True)  # its socket


def _same_interpreter(env: dict) -> bool:
    started = _server.get("env") or os.environ
    keys = {k for k in (*env, *started) if k.startswith("PYTHON") and k != "PYTHONFAULTHANDLER"}
    return all(env.get(k) == started.get(k) for k in keys)


def run_presswatch(
    args: tuple[str, ...], env: dict, cwd: Path, timeout: float, text: bool, exec_command: list[str]
) -> subprocess.CompletedProcess:
    """`presswatch ARGS` in a child of the fork server (or `exec_command` when the interpreter must differ)."""
    if os.environ.get("PW_TEST_CLI_EXEC") or not _same_interpreter(env):
        return subprocess.run([*exec_command, *args], capture_output=True, text=text, cwd=cwd, env=env, timeout=timeout)
    path = _start()
    with tempfile.TemporaryDirectory(prefix="pw-cli-call-") as folder:
        out, err = Path(folder) / "stdout", Path(folder) / "stderr"
        out.touch()
        err.touch()
        request = {"args": list(args), "env": env, "cwd": str(cwd), "stdout": str(out), "stderr": str(err)}
        pid, code = None, None
        with socket.socket(socket.AF_UNIX) as conn:
            conn.connect(path)
            conn.sendall((json.dumps(request) + "\n").encode())
            conn.settimeout(timeout)
            reader = conn.makefile("r")
            try:
                for line in reader:
                    word, _, value = line.strip().partition(" ")
                    if word == "pid":
                        pid = int(value)
                    elif word == "exit":
                        code = int(value)
            except TimeoutError:
                if pid is not None:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                raise subprocess.TimeoutExpired(["presswatch", *args], timeout) from None
        stdout, stderr = out.read_bytes(), err.read_bytes()
    if code is None:  # the child died without reporting (a signal): as subprocess reports it
        code = -1
    if text:  # as subprocess decodes: UTF-8 here, universal newlines
        stdout, stderr = (b.decode().replace("\r\n", "\n").replace("\r", "\n") for b in (stdout, stderr))
    return subprocess.CompletedProcess(["presswatch", *args], code, stdout, stderr)
