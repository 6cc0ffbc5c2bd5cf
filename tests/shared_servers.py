"""The loopback PostgreSQL and S3 servers of the shared-warehouse tests (bench/loopback_servers.py),
skipping the test with the reason where a server's program is not installed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from bench import loopback_servers
from bench.loopback_servers import ServerUnavailable


@contextmanager
def _or_skip(server: AbstractContextManager) -> Iterator[Any]:
    try:
        value = server.__enter__()
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield value
    finally:
        server.__exit__(None, None, None)


def postgres_server():
    """A PostgreSQL server on loopback: the conninfo of its empty `presswatch` database."""
    return _or_skip(loopback_servers.postgres_server())


def postgres_cluster():
    """A PostgreSQL cluster on loopback that the test may stop and start (bench.loopback_servers.PostgresCluster)."""
    return _or_skip(loopback_servers.postgres_cluster())


def s3_server(bucket: str = "presswatch"):
    """moto's S3 server on loopback with one empty bucket: the AWS_* variables that reach it."""
    return _or_skip(loopback_servers.s3_server(bucket))


class SharedSetup:
    """One PostgreSQL cluster and one S3 server (a bucket) that many shared warehouses live in: each
    `environment()` is a new one, as an operator sets it up (an empty database, an empty prefix)."""

    def __init__(self, cluster, aws: dict):
        self.cluster = cluster
        self.aws = aws
        self.made = 0

    def environment(self, name: str | None = None, endpoint: str | None = None) -> dict:
        """The variables every machine of a new shared warehouse shares (docs/operations.md, step 3)."""
        self.made += 1
        name = name or f"lake{self.made}"
        conninfo = self.cluster.create_database(name)
        return {
            **self.aws,
            **({"AWS_ENDPOINT_URL": endpoint} if endpoint else {}),
            "PRESSWATCH_DB": f"ducklake:postgres:{conninfo}",
            "PRESSWATCH_LAKE_DATA": f"s3://presswatch/{name}/lake/",
            "PRESSWATCH_ARCHIVE": f"s3://presswatch/{name}/archive",
            "PRESSWATCH_CRAWL_RETRIES": "0",
            "PRESSWATCH_RETRY_DELAY": "0",
            "PRESSWATCH_LOAD_WAIT": "60",
        }


@contextmanager
def shared_setup() -> Iterator[SharedSetup]:
    with postgres_cluster() as cluster, s3_server() as aws:
        yield SharedSetup(cluster, aws)
