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


@contextmanager
def postgres_server():
    """A private PostgreSQL server on 127.0.0.1: yields a libpq conninfo of its `presswatch` database."""
    if not (PG_BIN / "initdb").exists():
        raise ServerUnavailable("PostgreSQL 15's server is not installed (Debian's postgresql-15)")
    folder = Path(tempfile.mkdtemp(prefix="pw-pg-"))
    os.chmod(folder, 0o777)
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"),
        check=True,
        capture_output=True,
    )
    subprocess.run(
        _as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "log"),
            "-w",
            "start",
            "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
        ),
        check=True,
        capture_output=True,
    )
    try:
        conninfo = f"host=127.0.0.1 port={port} user=postgres"
        subprocess.run(
            _as_postgres(
                str(PG_BIN.parent / "bin" / "psql") if (PG_BIN / "psql").exists() else "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-c",
                "CREATE DATABASE presswatch",
            ),
            check=True,
            capture_output=True,
        )
        yield f"{conninfo} dbname=presswatch"
    finally:
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"), capture_output=True
        )
        shutil.rmtree(folder, ignore_errors=True)


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
