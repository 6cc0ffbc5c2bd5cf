"""The loopback PostgreSQL and S3 servers of the shared-warehouse tests (bench/loopback_servers.py),
skipping the test with the reason where a server's program is not installed."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from bench import loopback_servers
from bench.loopback_servers import ServerUnavailable


@contextmanager
def postgres_server():
    try:
        server = loopback_servers.postgres_server()
        conninfo = server.__enter__()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield conninfo
    finally:
        server.__exit__(None, None, None)


@contextmanager
def s3_server(bucket: str = "presswatch"):
    try:
        server = loopback_servers.s3_server(bucket)
        env = server.__enter__()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield env
    finally:
        server.__exit__(None, None, None)
