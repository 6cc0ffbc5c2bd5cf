"""A source whose host does not resolve, or refuses every connection, fails at once and says so.

`.invalid` never resolves (RFC 6761) and presswatch's resolver knows it without a DNS query, so
these tests send nothing beyond 127.0.0.1. The refused port is a loopback port nobody listens on.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from tests.conftest import ROOT, run_cli


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again on leaving: connections are refused


def _registry(path, port: int) -> None:
    path.write_text(
        f"""
[defaults]
language = "en"
article_pattern = "/a/"
download_delay = 0.0

[[sources]]
name = "gone"
label = "Gone"
allowed_domains = ["news.example.invalid"]
feeds = ["http://news.example.invalid/feed.xml"]

[[sources]]
name = "closed"
label = "Closed"
allowed_domains = ["127.0.0.1"]
feeds = ["http://127.0.0.1:{port}/feed.xml"]
""",
        encoding="utf-8",
    )


def test_unreachable_hosts_fail_once_with_the_reason(tmp_path, closed_port):
    registry, db = tmp_path / "sources.toml", tmp_path / "w.duckdb"
    _registry(registry, closed_port)
    # Retries on, as by default: an unreachable host must not use them.
    result = run_cli(
        "crawl",
        "--db",
        str(db),
        "--sources",
        str(registry),
        env={"PRESSWATCH_CRAWL_RETRIES": "2", "PRESSWATCH_RETRY_DELAY": "1"},
    )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    [run] = json.loads(run_cli("runs", "--db", str(db), "--format", "json").stdout)
    assert run["status"] == "failed"
    assert (
        "gone: every request failed: http://news.example.invalid/feed.xml: host news.example.invalid does not "
        "resolve" in run["failures"]
    )
    assert (
        f"closed: every request failed: http://127.0.0.1:{closed_port}/feed.xml: host 127.0.0.1 refused the "
        f"connection on port {closed_port}" in run["failures"]
    )
    crawls = run_cli(
        "sql",
        "select source, count(*) as crawls from crawl_runs group by 1 order by 1",
        "--db",
        str(db),
        "--format",
        "json",
    )
    assert json.loads(crawls.stdout) == [{"source": "closed", "crawls": 1}, {"source": "gone", "crawls": 1}]


def test_scrapy_does_not_retry_an_unreachable_host(tmp_path, closed_port):
    registry = tmp_path / "sources.toml"
    _registry(registry, closed_port)
    for source in ("gone", "closed"):
        crawl = subprocess.run(
            [
                sys.executable,
                "-m",
                "crawlers.run",
                "--source",
                source,
                "--registry",
                str(registry),
                "--staging",
                str(tmp_path / "staging"),
                "--archive",
                str(tmp_path / "archive"),
                "--log-level",
                "DEBUG",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
        assert crawl.returncode == 0, crawl.stderr[-2000:]
        assert "Retrying" not in crawl.stderr, source
        assert ("does not resolve" if source == "gone" else "refused the connection") in crawl.stderr
