"""A local Prefect server that `presswatch serve` starts and stops itself, its SQLite under the data folder.

Prefect's temporary in-process server (what a process gets without PREFECT_API_URL) does not
fire deployment schedules; a real `prefect server start` on 127.0.0.1 does. This module never
imports Prefect, so the serving process can point PREFECT_API_URL at the server before it does.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from flows.errors import PrefectServerError
from flows.prefect_database import save_template, start_from_template
from flows.prefect_env import QUIET
from flows.sigterm import stopped_by_sigterm

HOST = "127.0.0.1"
# Health checks go straight to loopback, whatever proxy the environment names.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


STATE = "server.json"  # in PREFECT_HOME while a server started here runs: how `presswatch crawl` finds it


def running_server(home: Path) -> str | None:
    """The API URL of the local server `presswatch serve` runs for this PREFECT_HOME, if it answers."""
    try:
        state = json.loads((Path(home).expanduser() / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = state.get("api_url") if isinstance(state, dict) else None
    return url if url and healthy(url, timeout=1.0) else None


def free_port(host: str = HOST) -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    """Whether the Prefect API at `api_url` (ending in /api) answers its health check.

    A server that asks for credentials (PREFECT_SERVER_API_AUTH_STRING) is up, too.
    """
    try:
        with _OPENER.open(api_url.rstrip("/") + "/health", timeout=timeout) as answer:
            return answer.status == 200
    except urllib.error.HTTPError as exc:
        return exc.code in (401, 403)
    except (urllib.error.URLError, OSError, ValueError):
        return False


class PrefectServer:
    """`prefect server start --host 127.0.0.1 --port N` as a child process; use as a context manager.

    Its database is `home/DATABASE` (serve's `server.db` is kept apart from the servers a single
    `presswatch crawl` starts, on `prefect.db`), its output goes to `home/DATABASE-STEM.log`. An
    advertised server writes `home/server.json` while it runs, so that crawls find it.
    """

    def __init__(
        self,
        home: Path,
        port: int = 0,
        ui: bool = False,
        host: str = HOST,
        database: str = "server.db",
        services: bool = True,
        advertise: bool = True,
    ):
        self.home = Path(home).resolve()
        self.host = host
        self.port = port or free_port(host)
        self.ui = ui
        self.database = database
        self.services = services
        self.advertise = advertise
        self.process: subprocess.Popen | None = None
        self.migrates = False  # a new database that no template started: saved as one once it answers

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def log_path(self) -> Path:
        return self.home / f"{Path(self.database).stem}.log"

    def environment(self) -> dict[str, str]:
        """The server's environment: telemetry off, no promotions, state under `home`."""
        env = {key: value for key, value in os.environ.items() if key != "PREFECT_API_URL"}
        env.update(QUIET)
        env.update(
            {
                "PREFECT_HOME": str(self.home),
                "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{self.home / self.database}",
                "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false",
                "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
            }
        )
        return env

    @classmethod
    def for_one_command(cls, home: Path) -> PrefectServer:
        """The server a command without PREFECT_API_URL runs for itself: no services, on `prefect.db`,
        never advertised (nobody else may attach to a server that goes when the command does)."""
        return cls(home, database="prefect.db", services=False, advertise=False)

    def start(self, timeout: float = 120.0) -> PrefectServer:
        """Start the server and wait until /api/health answers; raise PrefectServerError otherwise."""
        return self.launch().wait(timeout)

    def launch(self) -> PrefectServer:
        """Start the server's process and return at once; `wait` blocks until it answers."""
        self.home.mkdir(parents=True, exist_ok=True)
        database = self.home / self.database
        self.migrates = not database.exists() and not start_from_template(database)
        if healthy(self.api_url, timeout=0.5):
            raise PrefectServerError(
                f"port {self.port} on {self.host} is taken by another Prefect server: "
                "choose another --port, or set PREFECT_API_URL to use that one"
            )
        command = [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--ui" if self.ui else "--no-ui",
            "--analytics-off",
        ]
        if not self.services:
            command.append("--no-services")
        with open(self.log_path, "ab") as log:
            # A session of its own: Ctrl-C reaches presswatch, which stops its runs first and the server last.
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.environment(),
                start_new_session=True,
            )
        return self

    def wait(self, timeout: float = 120.0) -> PrefectServer:
        """Block until the launched server answers /api/health; raise PrefectServerError if it exits or never does."""
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while not healthy(self.api_url):
            if self.process.poll() is not None:
                raise PrefectServerError(
                    f"the Prefect server exited with status {self.process.returncode}: "
                    f"{_tail(self.log_path)} (log: {self.log_path})"
                )
            if time.monotonic() >= deadline:
                self.stop()
                raise PrefectServerError(
                    f"the Prefect server did not answer within {timeout:.0f}s (log: {self.log_path})"
                )
            time.sleep(0.1)
        if self.migrates:
            save_template(self.home / self.database)
            self.migrates = False
        if self.advertise:
            state = json.dumps({"api_url": self.api_url, "pid": self.process.pid})
            (self.home / STATE).write_text(state, encoding="utf-8")
        return self

    def stop(self, timeout: float = 20.0) -> int | None:
        """Ask the server to shut down (SIGTERM), kill it after `timeout` s; returns its exit status."""
        process, self.process = self.process, None
        if process is None:
            return None
        if self.advertise:
            (self.home / STATE).unlink(missing_ok=True)
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        return process.returncode

    def __enter__(self) -> PrefectServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextmanager
def api_for_one_command(home: Path) -> Iterator[Callable[[], object]]:
    """Set PREFECT_API_URL for one command's flow runs; yields `ready`, to call before the first run.

    The API is the one PREFECT_API_URL already names, else the server `presswatch serve` runs for
    this PREFECT_HOME, else a server of the command's own, without services, on `prefect.db`: what
    Prefect's temporary server is, launched before Prefect is imported, so that it starts while the
    command imports Prefect and its flows (measured in docs/benchmarks.md).
    """
    home = Path(home).expanduser()
    if os.environ.get("PREFECT_API_URL"):
        yield lambda: None
        return
    url = running_server(home)
    server = None if url else PrefectServer.for_one_command(home).launch()
    os.environ["PREFECT_API_URL"] = url or server.api_url  # type: ignore[union-attr]
    try:
        with stopped_by_sigterm() if server else nullcontext():
            yield server.wait if server else (lambda: None)
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        if server:
            server.stop()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return " | ".join(line.strip() for line in text[-lines:] if line.strip())[:800] or "no output"
