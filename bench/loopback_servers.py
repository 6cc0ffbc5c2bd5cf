"""Real servers for the shared warehouse, on loopback: PostgreSQL 15 (its catalog) and moto's S3
server (its data path). Started and stopped by the tests and the shared-load bench."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class ServerUnavailable(RuntimeError):
    """The server's program is not installed here."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres(*command: str) -> list[str]:
    """PostgreSQL refuses to run as root; CI runs as root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class PostgresCluster:
    """A private PostgreSQL cluster on 127.0.0.1 (trust auth, no fsync) that a test may stop and start
    again on the same port with its data intact, as an operator's restart would."""

    def __init__(self):
        if not (PG_BIN / "initdb").exists():
            raise ServerUnavailable("PostgreSQL 15's server is not installed (Debian's postgresql-15)")
        self.folder = Path(tempfile.mkdtemp(prefix="pw-pg-"))
        os.chmod(self.folder, 0o777)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self.data = self.folder / "data"
        self.port = free_port()
        subprocess.run(
            _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"),
            check=True,
            capture_output=True,
        )

    def conninfo(self, database: str = "presswatch") -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={database}"

    def start(self) -> None:
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.folder / "log"),
                "-w",
                "start",
                "-o",
                f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            ),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        """Stop at once, as a crash would (`-m immediate`): open transactions are lost, committed ones kept.

        Returns when no server runs on the folder any more (a stop that met a server still starting,
        or still running its crash recovery, is asked again)."""
        for _ in range(60):
            subprocess.run(
                _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"),
                capture_output=True,
            )
            if not self.running():
                return
            time.sleep(0.5)

    def running(self) -> bool:
        status = subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status"), capture_output=True
        )
        return status.returncode == 0

    def create_database(self, name: str) -> str:
        """A new, empty database; its conninfo."""
        psql = str(PG_BIN / "psql") if (PG_BIN / "psql").exists() else "psql"
        subprocess.run(
            _as_postgres(
                psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-c", f"CREATE DATABASE {name}"
            ),
            check=True,
            capture_output=True,
        )
        return self.conninfo(name)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def postgres_cluster():
    """A started PostgresCluster, removed on exit."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@contextmanager
def postgres_server():
    """A private PostgreSQL server on 127.0.0.1: yields a libpq conninfo of its (empty) `presswatch` database."""
    with postgres_cluster() as cluster:
        yield cluster.create_database("presswatch")


@contextmanager
def s3_server(bucket: str = "presswatch"):
    """moto's S3 server on 127.0.0.1 with one bucket: yields the AWS_* variables that reach it."""
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    if server is None:
        raise ServerUnavailable("moto_server is not installed (pip install 'moto[server]')")
    port = free_port()
    process = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.2)
        import urllib.request

        urllib.request.urlopen(
            urllib.request.Request(f"http://127.0.0.1:{port}/{bucket}", method="PUT"), timeout=10
        ).read()
        yield env
    finally:
        process.terminate()
        process.wait(timeout=10)
