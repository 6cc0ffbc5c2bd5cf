"""Crash safety: SIGKILL the crawl and the load at seeded points, then run normally; nothing is lost or doubled.

Four warehouses live through three rounds each (tests/reliability/crash_rounds.py: every fourth
round of one seeded plan of twelve; one test class per part, TestPart0 to TestPart3). Each round
crawls the site in a real crawl process
(`python -m crawlers.run`, as the flows start it, in its own session) and kills its whole
process group at a seeded point, then loads what is staged in a real load process and kills that
too at a seeded point, then checks the warehouse's invariants (warehouse/check.py). A last round
crawls and loads normally and `presswatch check` must pass.

Kill points in the crawl: while the server answers the Nth request (fetching), right after the
Nth capture was archived (before extraction), just after the Nth page went to the extraction
pool (extracting), before the Nth staged record is written (staging), when the batch is being
closed (records written, no manifest yet), when the manifest is written but the writer's marker
not yet removed, and at the Nth point of any kind. In the load: after the records are staged into a
temporary table, after the fetches insert, the versions write, the state update and the run
row (all inside the batch's transaction), after COMMIT before the batch folder moves, after the
move, and at the Nth point of any kind. The points come from `SEED` and are reached by a wrapper
that announces them on stdout and pauses there until the kill lands: no kill waits on a timer.
"""

from __future__ import annotations

import json

import pytest

from tests.reliability import crash_rounds
from tests.reliability.conftest import presswatch, shared_result, synthetic_capture, synthetic_warehouse
from warehouse.db import connect
from warehouse.loader import load_pending
from warehouse.staging import BatchWriter


def test_the_plan_aims_at_every_phase():
    phases = {k.phase for k in crash_rounds.planned_kills()}
    assert {"fetching", "archive", "extraction", "staging", "load transaction", "load (after commit)"} <= phases, phases
    assert len(crash_rounds.planned_kills()) == 2 * crash_rounds.ROUNDS == 24


class CrashPart:
    """The checks of one part of the plan. One class per part: `--dist loadscope` hands each class
    to a worker of its own, so the parts' kill rounds run at once."""

    PART = 0

    @pytest.fixture(scope="class")
    @classmethod
    def rounds(cls, tmp_path_factory):
        """This part's rounds (computed once per session, whichever worker asks first)."""
        part = cls.PART
        return shared_result(tmp_path_factory, f"crash-{part}", lambda tmp: crash_rounds.crash_rounds(tmp, part))

    def test_kills_land_where_they_were_aimed(self, rounds):
        crash_rounds.assert_kills_landed(rounds)

    def test_invariants_hold_after_every_kill(self, rounds):
        crash_rounds.assert_invariants_held_after_every_kill(rounds)

    def test_every_article_once_and_whole(self, rounds):
        crash_rounds.assert_every_article_once_and_whole(rounds)

    def test_no_batch_lost_or_loaded_twice(self, rounds):
        crash_rounds.assert_no_batch_lost_or_loaded_twice(rounds)

    def test_presswatch_check_passes_after_the_normal_run(self, rounds):
        crash_rounds.assert_check_passes_after_the_normal_run(rounds)


class TestPart0(CrashPart):
    PART = 0


class TestPart1(CrashPart):
    PART = 1


class TestPart2(CrashPart):
    PART = 2


class TestPart3(CrashPart):
    PART = 3


# ---------------------------------------------------------------------------------------------
# `presswatch check` finds each kind of violation


def test_check_names_each_kind_of_violation(tmp_path):
    db, data = synthetic_warehouse(tmp_path)
    clean = presswatch("--db", str(db), "--data", str(data), "check")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    with connect(db) as con:
        con.execute("UPDATE article_versions SET valid_to = NULL WHERE article_id = 'a0000'")  # two current versions
        con.execute("UPDATE article_versions SET version = 3 WHERE article_id = 'a0002' AND version = 2")  # a gap
        con.execute(
            "UPDATE article_versions SET valid_to = valid_to - INTERVAL 1 HOUR WHERE article_id = 'a0004' AND version = 1"
        )
        con.execute("UPDATE article_versions SET text = NULL WHERE article_id = 'a0001'")  # a half-written version
        con.execute("UPDATE article_versions SET warc_offset = 10_000 WHERE article_id = 'a0003'")  # outside its file
        con.execute("UPDATE article_versions SET warc_file = 'synthetic/gone.warc.gz' WHERE article_id = 'a0005'")
        con.execute("DELETE FROM loaded_batches WHERE batch_id LIKE '20240102%'")  # versions of an unrecorded batch
        con.execute("DELETE FROM article_state WHERE article_id = 'a0007'")
        con.execute(
            "DELETE FROM fetches WHERE batch_id LIKE '20240101%' AND article_id = 'a0006'"
        )  # a batch loaded in part
        con.execute(
            "INSERT INTO sources SELECT * FROM sources"
        )  # a key twice: DuckLake cannot refuse it, check must tell
    stuck = data / "staging" / "20240103T000000-synthetic-000009"
    stuck.mkdir(parents=True)
    (stuck / "records.jsonl").write_text(
        json.dumps(synthetic_capture(9, stuck.name, "x", "2024-01-03T00:00:00")) + "\n"
    )
    result = presswatch("--db", str(db), "--data", str(data), "check", "--examples", "1")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    failed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("     ")}
    expected = {
        "unique_keys:",
        "current_version:",
        "version_numbers:",
        "validity:",
        "whole_versions:",
        "versions_loaded:",
        "batches_whole:",
        "article_state:",
        "batches:",
        "archive:",
    }
    assert expected <= failed, result.stdout
    assert "... and" in result.stdout  # --examples 1 shows one per kind and counts the rest
    assert result.stderr.strip().startswith("presswatch check: ") and len(result.stderr.strip().splitlines()) == 1
    as_json = json.loads(presswatch("--db", str(db), "--data", str(data), "check", "--format", "json").stdout)
    assert not as_json["ok"] and {c["name"] for c in as_json["checks"] if not c["ok"]} >= {
        e.rstrip(":") for e in expected
    }


def test_check_notes_a_batch_loaded_but_not_yet_moved(tmp_path):
    """A load killed between COMMIT and moving the folder: legitimate; the next load skips and moves it."""
    db, data = synthetic_warehouse(tmp_path)
    moved = next((data / "loaded").iterdir())
    moved.rename(data / "staging" / moved.name)
    result = presswatch("--db", str(db), "--data", str(data), "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "already loaded but still under" in result.stdout
    results = load_pending(db, data / "staging", data / "loaded")
    assert [r.skipped for r in results] == [True]
    assert not any((data / "staging").iterdir())


def test_an_unreadable_batch_does_not_block_the_others(tmp_path):
    """A damaged records file (a disk error, a hand edit) stays staged and is reported; the batches after it load."""
    db, data = synthetic_warehouse(tmp_path)
    for name, stamp in (
        ("20240105T000000-synthetic-bad", "2024-01-05T00:00:00"),
        ("20240106T000000-synthetic-good", "2024-01-06T00:00:00"),
    ):
        writer = BatchWriter(data / "staging" / name, name, "synthetic", {})
        writer.write({**synthetic_capture(20, name, "synthetic/one.warc.gz", stamp), "warc_offset": 0})
        writer.close()
    with open(data / "staging" / "20240105T000000-synthetic-bad" / "records.jsonl", "a", encoding="utf-8") as records:
        records.write('{"type": "capture", "url": "http://127.0.0.1:9/x", {broken\n')
    results = load_pending(db, data / "staging", data / "loaded")
    by_id = {r.batch_id: r for r in results}
    assert not by_id["20240106T000000-synthetic-good"].skipped
    bad = by_id["20240105T000000-synthetic-bad"]
    assert bad.status == "failed" and "records.jsonl" in bad.error
    assert (data / "staging" / "20240105T000000-synthetic-bad" / "manifest.json").exists()  # kept, not lost
    result = presswatch("--db", str(db), "--data", str(data), "check")
    assert result.returncode == 0 and "1 batch(es) pending" in result.stdout
