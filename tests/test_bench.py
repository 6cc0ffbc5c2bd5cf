"""The benchmark command runs end to end on a tiny corpus, so it cannot rot. No timings are asserted."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

from bench.corpus import Corpus
from bench.harness import ROOT, ServerProcess, env
from bench.synthetic import SMALL_LOAD


def test_corpus_is_deterministic_and_edits_are_a_fixed_choice():
    a, b = Corpus(50, seed=3), Corpus(50, seed=3)
    assert [a.render(i).body() for i in range(50)] == [b.render(i).body() for i in range(50)]
    assert a.apply_edits(0.2) == b.apply_edits(0.2)
    assert (
        any(a.spec(i).zh for i in range(50))
        and "gbk" in a.render(next(i for i in range(50) if a.spec(i).zh)).prefix.decode("gbk").lower()
    )


def test_server_answers_conditional_gets_and_edits():
    with ServerProcess(12) as server:
        corpus = Corpus(12)
        url = server.base + corpus.spec(0).path
        with urllib.request.urlopen(url) as response:
            etag = response.headers["ETag"]
        request = urllib.request.Request(url, headers={"If-None-Match": etag})
        try:
            urllib.request.urlopen(request)
            status = 200
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == 304
        assert server.edit(1.0)["edited"] == 12
        with urllib.request.urlopen(urllib.request.Request(url, headers={"If-None-Match": etag})) as response:
            assert response.status == 200 and response.headers["ETag"] != etag
        with urllib.request.urlopen(server.base + "/sitemap_index.xml") as response:
            assert b"/sitemaps/sitemap-0.xml" in response.read()


def bench(*args: str) -> subprocess.CompletedProcess:
    """`python -m bench ARGS` in a subprocess, as the docs run it."""
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], cwd=ROOT, env=env(), capture_output=True, text=True, timeout=240
    )


def test_bench_run_smoke_crawls(tmp_path):
    """`bench run`'s crawl half: a first and an unchanged crawl of the synthetic site, and its targets."""
    out = tmp_path / "results.json"
    done = bench(
        "run", "--pages", "20", "--skip-peers", "--quick", "--crawl-via", "direct", "--skip-synthetic",
        "--out", str(out), "--workdir", str(tmp_path / "work"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert set(results) >= {"meta", "corpus", "peers", "crawls", "targets"}
    crawls = results["crawls"]
    assert crawls["first"]["versions_added"]["median"] == 20
    assert crawls["unchanged"]["versions_added"]["median"] == 0
    first, unchanged = crawls["runs"][0]["first"], crawls["runs"][0]["unchanged"]
    assert first["server"]["articles_200"] == 20 and unchanged["server"]["articles_304"] == 20
    assert first["memory"]["peak_rss_mb"] > 0 and "crawl" in first["memory"]["peak_rss_by_kind_mb"]
    assert any(t["target"].startswith("unchanged recrawl") for t in results["targets"])
    assert "targets" in done.stdout


def test_bench_run_smoke_synthetic(tmp_path):
    """`bench run`'s synthetic warehouse: the load lock and the queries, on the lake and on a native file."""
    out = tmp_path / "results.json"
    done = bench(
        "run", "--pages", "20", "--skip-peers", "--quick", "--skip-crawls", "--upkeep-loads", "0",
        "--out", str(out), "--workdir", str(tmp_path / "work"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["load_lock"] and results["queries"] and not results["upkeep"]
    assert results["load_lock"]["new_into_empty"]["counts"]["new"] == 100
    small = results["load_lock"]["small_into_big"]  # a scheduled run's batch into the big warehouse
    assert small["counts"]["new"] == small["articles"] == SMALL_LOAD
    assert f"write lock, {SMALL_LOAD:,} captures (small_into_big)" in done.stdout
    assert "count_articles" in results["queries"]["latency"]
    assert "count_articles" in results["queries"]["native_latency"]  # the same warehouse as one DuckDB file
    assert any(t["target"].startswith("write lock") for t in results["targets"]), results["targets"]


def test_bench_run_smoke_upkeep(tmp_path):
    """`bench run`'s upkeep: files and snapshots after many small loads, before and after `maintain`."""
    out = tmp_path / "results.json"
    done = bench(
        "run", "--pages", "20", "--skip-peers", "--quick", "--skip-crawls", "--skip-synthetic",
        "--out", str(out), "--workdir", str(tmp_path / "work"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert not results["load_lock"] and not results["queries"]
    upkeep = results["upkeep"]
    assert upkeep["loads"] == 5 and upkeep["before"]["snapshots"] > upkeep["after"]["snapshots"] == 1
    assert "count_articles" in upkeep["queries_before"] and "count_articles" in upkeep["queries_after"]


def test_loadmem_reports_each_loader_step_of_one_batch(tmp_path):
    done = bench("loadmem", "--articles", "40", "--workdir", str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    table, report = done.stdout.split("\n{", 1)
    steps = [line.split()[0] for line in table.splitlines()[1:]]
    assert {"_stage", "_decide", "_write_versions", "refresh_clusters"} <= set(steps)
    result = json.loads("{" + report)
    assert result["articles"] == 40 and result["counts"]["new"] == 40
    assert not (tmp_path / "loadmem").exists()  # its warehouse is removed afterwards


def test_bench_queries_smoke(tmp_path):
    """`python -m bench queries` on a tiny warehouse: every index answer is compared with the scan's."""
    out = tmp_path / "search.json"
    done = bench(
        "queries", "--quick", "--versions", "2000", "--skip-native", "--repeat", "0", "--scan-repeat", "0",
        "--workdir", str(tmp_path / "work"), "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(out.read_text(encoding="utf-8"))["versions"]["2000"]
    compared = [entry["identical_to_scan"] for entry in results["lake"].values() if "identical_to_scan" in entry]
    assert len(compared) == 4 and all(compared)
    searches = [entry for name, entry in results["lake"].items() if name.startswith("search ")]
    assert searches and all(entry["index_matches_count"]["rows"] == 1 for entry in searches)  # search_matches timed
    assert "search_matches()" in done.stdout
    assert results["sizes"]["index_mb"] > 0 and results["warehouse"]["index_s"] >= 0


def test_fixedcost_reports_both_sides_of_an_unchanged_crawl(tmp_path):
    out = tmp_path / "fixedcost.json"
    done = bench("fixedcost", "--repeat", "1", "--out", str(out), "--workdir", str(tmp_path / "work"))
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text(encoding="utf-8"))
    (run,) = result["runs"]
    assert set(run["article_outcomes"]) == {"not_modified"}  # every article answered 304
    assert 0 < run["start_to_first_request_s"] < run["wall_s"] and 0 < run["last_response_to_exit_s"] < run["wall_s"]
    assert run["peak_pss_mb"] > 0 and "crawl" in run["peak_rss_by_kind_mb"]
    assert "start -> first request" in done.stdout and "last response -> exit" in done.stdout
