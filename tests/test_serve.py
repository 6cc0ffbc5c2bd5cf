"""`presswatch serve`: deployments per source on their cron, a served run end to end against the
local Prefect server that serve starts itself, and a clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from demo_site import demo_registry
from flows.prefect_server import healthy
from flows.settings import Settings
from tests.conftest import ROOT

CLI = [sys.executable, "-c", "from flows.cli import main; main()"]


def presswatch(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command in a subprocess (through flows.cli.main, where every command module registered)."""
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ, **(env or {})}
    )


def demo_sources(base_url: str, schedules: dict[str, str]) -> str:
    """The demo registry cut down to the sources in `schedules`, each on its own cron."""
    blocks = []
    for block in demo_registry(base_url).split("\n\n"):
        name = re.search(r'name = "([^"]+)"', block).group(1)
        if name in schedules:
            blocks.append(block.replace('schedule = "*/30 * * * *"', f'schedule = "{schedules[name]}"'))
    return "\n\n".join(blocks) + "\n"


def without_api_url() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update({"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"})
    return env


def test_serve_builds_one_deployment_per_source_on_its_cron(tmp_path, site):
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy

    from flows.serve import build_deployments

    registry = tmp_path / "sources.toml"
    registry.write_text(demo_sources(site.base_url, {"unnews": "* * * * *", "xjgov": "15 */6 * * 1-5"}))
    settings = Settings(db=tmp_path / "pw", data=tmp_path / "data", registry=registry)

    deployments = {d.name: d for d in build_deployments(settings)}
    assert set(deployments) == {"unnews", "xjgov", "warehouse"}
    upkeep = deployments["warehouse"]
    assert upkeep.flow_name == "maintain" and upkeep.entrypoint == "flows.upkeep.maintain_warehouse"
    assert upkeep.schedules[0].schedule.cron == "30 3 * * *"
    assert upkeep.parameters == {"db": str(settings.db.resolve()), "data": str(settings.data.resolve())}
    for name, cron in (("unnews", "* * * * *"), ("xjgov", "15 */6 * * 1-5")):
        deployment = deployments[name]
        [schedule] = deployment.schedules
        assert schedule.schedule.cron == cron and schedule.schedule.timezone == "UTC"
        assert deployment.flow_name == "ingest"
        assert deployment.entrypoint == "flows.ingest.ingest"
        assert deployment.parameters == {
            "sources": [name],
            "db": str(settings.db.resolve()),
            "registry": str(registry.resolve()),
            "data": str(settings.data.resolve()),
            "publish": True,
        }
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.CANCEL_NEW


def test_serve_runs_a_deployment_on_its_own_prefect_server_and_stops_on_sigterm(tmp_path, site):
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    registry = tmp_path / "sources.toml"
    # A cron that will not fire during the test: the run is asked for through the API instead.
    registry.write_text(demo_sources(site.base_url, {"unnews": "0 0 1 1 *"}))
    db = tmp_path / "pw"
    env = {**without_api_url(), "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    serve = subprocess.Popen(
        [*CLI, "--db", str(db), "--sources", str(registry), "serve", "--limit", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
    )
    lines = []
    try:
        for line in serve.stdout:
            lines.append(line.rstrip())
            if line.startswith("serving "):
                break
        assert lines and lines[-1].startswith(
            "serving 1 source(s) and the warehouse's upkeep against http://127.0.0.1:"
        ), lines
        api_url = re.search(r"against (\S+),", lines[-1]).group(1)
        assert healthy(api_url)
        assert "ingest/unnews  0 0 1 1 *  next" in next(serve.stdout)

        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            flow_run = run_deployment("ingest/unnews", timeout=0)
            with get_client(sync_client=True) as client:
                deadline = time.monotonic() + 180
                while not (state := client.read_flow_run(flow_run.id).state).is_final():
                    assert time.monotonic() < deadline, f"the served run did not finish: {state}"
                    time.sleep(0.5)
        assert state.is_completed(), state.message

        serve.send_signal(signal.SIGTERM)
        rest, _ = serve.communicate(timeout=120)
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
    output = "\n".join(lines) + "\n" + rest
    assert serve.returncode == 0, output
    assert "unnews ok:" in output and "Finished in state Completed()" in output
    assert output.rstrip().endswith("presswatch serve stopped")
    assert "Traceback" not in output
    assert not healthy(api_url)  # the local Prefect server went with it
    assert (tmp_path / "prefect" / "server.db").exists()  # its state lives under the data folder

    listed = presswatch("--db", str(db), "runs", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    [served] = json.loads(listed.stdout)
    assert served["run_id"] == str(flow_run.id)
    assert served["status"] == "ok" and served["sources"] == "unnews" and served["new"] > 0


def test_serve_names_an_unreachable_prefect_api(tmp_path, site):
    registry = tmp_path / "sources.toml"
    registry.write_text(demo_sources(site.base_url, {"unnews": "* * * * *"}))
    dead = "http://127.0.0.1:9/api"
    result = presswatch(
        "--db", str(tmp_path / "pw"), "--sources", str(registry), "serve", env={"PREFECT_API_URL": dead}
    )
    assert result.returncode == 1
    assert f"no Prefect server answers at PREFECT_API_URL={dead}" in result.stderr
    assert "Traceback" not in result.stderr

    clash = presswatch(
        "--db",
        str(tmp_path / "pw"),
        "--sources",
        str(registry),
        "serve",
        "--port",
        "4200",
        env={"PREFECT_API_URL": dead},
    )
    assert clash.returncode == 2
    assert "--ui and --port only apply to the local Prefect server" in clash.stderr


def test_runs_on_a_missing_warehouse_says_what_to_do(tmp_path):
    result = presswatch("--db", str(tmp_path / "none.duckdb"), "runs")
    assert result.returncode == 1
    assert "does not exist: run `presswatch crawl`" in result.stderr


@pytest.mark.parametrize("command", ["serve", "runs"])
def test_help_has_an_example(command):
    result = presswatch(command, "--help")
    assert result.returncode == 0
    example = result.stdout.split("Example:", 1)[1].split("Options:", 1)[0]
    assert re.search(rf"^\s+presswatch .*\b{command}\b", example, re.M)


def test_crawl_records_its_run_on_the_server_serve_runs(tmp_path, site):
    """With serve's local server up, `presswatch crawl` uses it instead of starting Prefect's temporary one."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.prefect_server import PrefectServer

    registry = tmp_path / "sources.toml"
    registry.write_text(demo_sources(site.base_url, {"unnews": "0 0 1 1 *"}))
    db = tmp_path / "pw.duckdb"
    with PrefectServer(tmp_path / "prefect") as server:  # what `presswatch serve` starts, with its server.json
        crawled = presswatch("--db", str(db), "--sources", str(registry), "crawl", env=without_api_url())
        assert crawled.returncode == 0, crawled.stderr
        [run] = json.loads(presswatch("--db", str(db), "runs", "--format", "json").stdout)
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            with get_client(sync_client=True) as client:
                flow_run = client.read_flow_run(run["run_id"])
        assert flow_run.state.is_completed()
    assert not (tmp_path / "prefect" / "prefect.db").exists()  # no temporary server was started
    assert not (tmp_path / "prefect" / "server.json").exists()  # gone with the server


def _processes_with_home(home) -> list[int]:
    """Pids of live processes whose environment names `home` as PREFECT_HOME."""
    wanted = f"PREFECT_HOME={home}".encode()
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as environ:
                    if wanted in environ.read().split(b"\0"):
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def test_crawl_without_a_server_runs_without_prefect_and_records_its_run_in_the_warehouse(tmp_path, site):
    """No PREFECT_API_URL and no serve: the crawl starts no Prefect server and imports no Prefect;
    its run is in the warehouse (`presswatch runs`) with its batch."""
    registry = tmp_path / "sources.toml"
    registry.write_text(demo_sources(site.base_url, {"unnews": "0 0 1 1 *"}))
    db = tmp_path / "pw"
    home = tmp_path / "prefect"
    trace = tmp_path / "imported.txt"
    probe = (
        "import atexit, sys; from flows.cli import main; "
        f"atexit.register(lambda: open({str(trace)!r}, 'w').write(' '.join(sorted(sys.modules))))\n"
        "main()"
    )
    crawled = subprocess.run(
        [sys.executable, "-c", probe, "--db", str(db), "--sources", str(registry), "crawl"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=without_api_url(),
    )
    assert crawled.returncode == 0, crawled.stderr
    assert "Traceback" not in crawled.stderr
    assert "prefect" not in trace.read_text().split()  # the command never imported Prefect
    assert _processes_with_home(home) == []
    assert not (home / "prefect.db").exists() and not (home / "server.json").exists()
    [run] = json.loads(presswatch("--db", str(db), "runs", "--format", "json").stdout)
    assert run["sources"] == "unnews" and run["status"] == "ok", run
    assert run["new"] == 6


def test_demo_whose_own_server_cannot_start_says_why_in_one_line(tmp_path):
    """The demo's own Prefect server fails (its database path is a folder): one sentence naming its log, exit 1."""
    (tmp_path / "prefect" / "prefect.db").mkdir(parents=True)
    demo = presswatch("--db", str(tmp_path / "pw"), "demo", "--port", "0", env=without_api_url())
    assert demo.returncode == 1, demo.stderr
    assert "Traceback" not in demo.stderr
    [line] = [line for line in demo.stderr.splitlines() if line.strip()]
    assert line.startswith("Error: no Prefect server for this run: the Prefect server exited with status")
    assert str(tmp_path / "prefect" / "prefect.log") in line
    assert _processes_with_home(tmp_path / "prefect") == []
