"""Crawls on a Prefect work pool: a local Prefect server, `presswatch deploy --pool`, and two process
workers with separate data folders (two "machines") writing into one shared warehouse (a real
PostgreSQL catalog and an S3 data path on moto's server, all on loopback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from demo_site import DemoSite, demo_registry
from demo_site.content import EXPECTED
from tests.conftest import ROOT, run_cli, shared_prefect_api
from tests.shared_servers import postgres_server, s3_server

SOURCES = ("unnews", "xjgov")


def _only(text: str, names) -> str:
    blocks = text.split("[[sources]]")
    keep = [b for b in blocks[1:] if any(f'name = "{n}"' in b for n in names)]
    return blocks[0] + "".join("[[sources]]" + b for b in keep)


def test_deployments_on_a_pool_run_on_two_workers_into_the_shared_warehouse(tmp_path):
    with postgres_server() as conninfo, s3_server() as aws, DemoSite(port=0) as site:
        api_url = shared_prefect_api()  # the session's server, as a team's long-running one
        workers = []
        try:
            registry = tmp_path / "sources.toml"
            registry.write_text(_only(demo_registry(site.base_url), SOURCES), encoding="utf-8")
            shared = {
                **aws,
                "PRESSWATCH_DB": f"ducklake:postgres:{conninfo}",
                "PRESSWATCH_LAKE_DATA": "s3://presswatch/lake/",
                "PRESSWATCH_ARCHIVE": "s3://presswatch/archive",
                "PRESSWATCH_SOURCES": str(registry),
                "PREFECT_API_URL": api_url,
                "PRESSWATCH_CRAWL_RETRIES": "0",
                "PRESSWATCH_RETRY_DELAY": "0",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "DO_NOT_TRACK": "1",
                "PREFECT_WORKER_QUERY_SECONDS": "1",  # a worker asks for runs every second, not every 10 s
            }
            deployed = run_cli("--data", str(tmp_path / "deployer"), "deploy", "--pool", "crawlers", env=shared)
            assert deployed.returncode == 0, deployed.stdout + deployed.stderr
            assert "ingest/unnews" in deployed.stdout and "ingest/xjgov" in deployed.stdout
            for machine in ("one", "two"):
                env = {
                    **os.environ,
                    **shared,
                    "PRESSWATCH_DATA": str(tmp_path / machine),
                    "PREFECT_HOME": str(tmp_path / machine / "prefect"),
                }
                log = open(tmp_path / f"worker-{machine}.log", "w")
                workers.append(
                    subprocess.Popen(
                        [
                            str(Path(sys.executable).parent / "prefect"),
                            "worker",
                            "start",
                            "--pool",
                            "crawlers",
                            "--type",
                            "process",
                            "--limit",
                            "1",
                            "--name",
                            f"machine-{machine}",
                        ],
                        cwd=ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            runs = _run_deployments(api_url, [f"ingest/{name}" for name in SOURCES])
            assert all(state == "COMPLETED" for state in runs.values()), f"{runs}\n{_logs(tmp_path)}"
            listed = run_cli("--data", str(tmp_path / "one"), "runs", "--format", "json", env=shared)
            assert listed.returncode == 0, listed.stderr
            landed = {row["sources"]: row["status"] for row in json.loads(listed.stdout)}
            assert landed == {name: "ok" for name in SOURCES}, landed
            counts = json.loads(
                run_cli(
                    "sql",
                    "select source, count(*) as n from articles group by 1 order by 1",
                    "--format",
                    "json",
                    env=shared,
                ).stdout
            )
            assert {c["source"]: c["n"] for c in counts} == {name: EXPECTED[name] for name in SOURCES}
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    worker.kill()


def _run_deployments(api_url: str, names: list[str], timeout: float = 600) -> dict[str, str]:
    """Start a run of each deployment and wait until every run is final; their state names."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        started = {name: run_deployment(name, timeout=0) for name in names}
        deadline = time.monotonic() + timeout
        states = {}
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                states = {name: client.read_flow_run(run.id).state for name, run in started.items()}
                if all(state is not None and state.is_final() for state in states.values()):
                    break
                time.sleep(0.5)
        return {name: (state.type.value if state else "NONE") for name, state in states.items()}


def _logs(folder: Path) -> str:
    """The workers' warnings and errors (a failed source's reason is logged long before the run ends)."""
    said = []
    for log in sorted(folder.glob("worker-*.log")):
        lines = log.read_text(errors="replace").splitlines()
        said.append(f"--- {log.name}")
        said.extend(line for line in lines if "WARNING" in line or "ERROR" in line or "failed" in line)
        said.extend(lines[-15:])
    return "\n".join(said)
