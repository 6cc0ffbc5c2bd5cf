"""Crawl processes forked from the crawl fork server: each its own process and session, with its own
environment, log and exit status, as `python -m crawlers.run` started afresh would be."""

from __future__ import annotations

import os
import signal
import socket
import subprocess

from crawlers.known import KNOWN_END
from flows import forked_crawl
from flows.crawl_step import crawl_environment
from flows.forked_crawl import ForkedCrawl, start_crawl
from tests.servers import registry_entry


def _run(args: list[str], log_path, env: dict | None = None, known: bytes = b""):
    with open(log_path, "wb") as log:
        crawl = start_crawl(args, env or crawl_environment(), log)
    crawl.stdin.write(known)
    crawl.stdin.close()
    return crawl


def test_crawls_are_forks_of_one_server_with_their_own_exit_status_and_log(tmp_path):
    env = crawl_environment()
    helped = _run(["--help"], tmp_path / "help.log")
    assert isinstance(helped, ForkedCrawl)
    assert helped.wait(timeout=60) == 0
    assert "--source SOURCE" in (tmp_path / "help.log").read_text()
    server = forked_crawl._server(env)
    refused = _run(["--workers", "many"], tmp_path / "bad.log")
    assert refused.wait(timeout=60) == 2  # argparse's exit status, as the command line would give it
    assert "invalid int value: 'many'" in (tmp_path / "bad.log").read_text()
    assert forked_crawl._server(env) is server  # the same server for the next crawl
    assert helped.pid != refused.pid != server.process.pid


def test_a_crawl_runs_in_a_session_of_its_own_and_dies_by_signal_like_a_process(tmp_path):
    with socket.socket() as listener:  # a site that takes connections and never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        (tmp_path / "sources.toml").write_text(
            registry_entry("hang", base, feeds=[base + "/feed.xml"], article_pattern="/a/", download_timeout=60.0)
        )
        args = ["--source", "hang", "--registry", str(tmp_path / "sources.toml"), "--known", "-"]
        args += ["--staging", str(tmp_path / "staging"), "--archive", str(tmp_path / "archive")]
        crawl = _run(args, tmp_path / "crawl.log", known=f"{KNOWN_END}\n".encode())
        listener.settimeout(60)
        listener.accept()[0].close()  # the crawl's first request arrived: it is running
        assert os.getsid(crawl.pid) == crawl.pid != os.getsid(0)
        assert crawl.poll() is None
        os.killpg(crawl.pid, signal.SIGKILL)
        assert crawl.wait(timeout=60) == -signal.SIGKILL


def test_a_dead_server_is_replaced_and_the_switch_starts_crawls_afresh(tmp_path):
    env = crawl_environment()
    first = forked_crawl._server(env)
    assert first is not None
    os.killpg(first.process.pid, signal.SIGKILL)
    first.process.wait()
    again = _run(["--help"], tmp_path / "again.log")
    assert isinstance(again, ForkedCrawl) and again.wait(timeout=60) == 0
    assert forked_crawl._server(env) is not first

    afresh = _run(["--help"], tmp_path / "afresh.log", env={**env, "PRESSWATCH_CRAWL_FORK": "0"})
    assert isinstance(afresh, subprocess.Popen) and afresh.wait(timeout=60) == 0
    assert "--source SOURCE" in (tmp_path / "afresh.log").read_text()
