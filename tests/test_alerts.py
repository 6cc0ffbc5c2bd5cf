"""Alerts: rules in the registry, delivery after each ingest run exactly once, the `alerts` commands.

Real everything: the demo site and the crawls through the Prefect flow (test harness), a loopback
SMTP server (aiosmtpd) for mailto://, a loopback HTTP receiver for json:// webhooks.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from demo_site import DemoSite, demo_registry
from tests.alert_receivers import body_text, free_port, smtp_server, webhook_receiver
from tests.conftest import plain_duckdb, run_cli

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


from flows.ingest import ingest  # noqa: E402

EDITED_URL = "/globaltimes/page/202102/1216377.shtml"
OLD_SENTENCE = (
    "Analysts said the accusations against Xinjiang were nothing but lies fabricated by anti-China forces in the West."
)
NEW_SENTENCE = "Analysts said many of the accusations against Xinjiang were not supported by the facts on the ground."
SECRET = "hunter2-not-in-logs"


@pytest.fixture(scope="session")
def harness(prefect_api):
    """The Prefect server every flow run of this module records on (one per pytest worker)."""
    return prefect_api


def mail(port: int) -> str:
    return (
        f"mailto://analyst:${{PW_TEST_SMTP_PASS}}@127.0.0.1:{port}?to=analyst@example.org&from=presswatch@example.org"
    )


def rules_toml(smtp_port: int, hook_port: int, down_port: int) -> str:
    return f"""
[[alerts]]
name = "silent-edits"
kinds = ["edited"]
silent_only = true
channels = ["{mail(smtp_port)}", "json://127.0.0.1:{hook_port}/silent"]

[[alerts]]
name = "deletions"
kinds = ["deleted"]
channels = ["json://127.0.0.1:{hook_port}/deleted"]

[[alerts]]
name = "never"
terms = ["a phrase no outlet ever wrote", "从未出现的短语"]
channels = ["json://127.0.0.1:{hook_port}/never"]

[[alerts]]
name = "flaky"
kinds = ["edited", "deleted"]
channels = ["json://127.0.0.1:{down_port}/flaky"]

[[alerts]]
name = "weekly"
kinds = ["edited"]
schedule = "0 8 * * 1"
channels = ["json://127.0.0.1:{hook_port}/weekly"]
"""


def run(paths, sources=None):
    state = ingest(
        sources=sources,
        db=str(paths["db"]),
        registry=str(paths["registry"]),
        data=str(paths["data"]),
        crawl_retries=0,
        retry_delay=0.0,
        load_wait=10.0,
        return_state=True,
    )
    assert state.is_completed(), state.message
    return state.result()


def by_path(hooks) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for path, payload in hooks:
        found.setdefault(path, []).append(json.loads(payload["message"]))
    return found


@pytest.fixture(scope="module")
def edited(harness, tmp_path_factory):
    """The demo's outlets crawled with every rule, then again after one silent edit and one
    deletion; the receivers stay up (and the flaky channel down) for the module's tests. Yields
    the paths, the receivers, and what had arrived and what the second run said at that point."""
    tmp = tmp_path_factory.mktemp("alerts")
    paths = {"db": tmp / "pw", "registry": tmp / "sources.toml", "data": tmp / "data"}
    down_port = free_port()
    with (
        pytest.MonkeyPatch.context() as env,
        DemoSite(port=0) as site,
        smtp_server() as (smtp_port, inbox),
        webhook_receiver() as (hook_port, hooks),
    ):
        env.setenv("PW_TEST_SMTP_PASS", SECRET)
        # The outlets of the edit (globaltimes) and the deletion (chinadaily), and one in Chinese for the terms.
        outlets = demo_registry(site.base_url, ("chinadaily", "globaltimes", "xjgov"))
        paths["registry"].write_text(outlets + rules_toml(smtp_port, hook_port, down_port))
        run(paths)  # first crawl: only new articles, which no rule asks for
        after_first = (list(inbox.messages), list(hooks))
        site.set_stage(2)  # one silent edit, one deletion
        summary = run(paths)
        yield SimpleNamespace(
            paths=paths,
            site=site,
            inbox=inbox,
            hooks=hooks,
            down_port=down_port,
            after_first=after_first,
            after_edit=(list(inbox.messages), list(hooks)),
            summary=summary,
        )


def test_alerts_go_out_once_per_rule_after_the_run_that_found_the_change(edited):
    assert edited.after_first == ([], [])  # the first crawl found only new articles, which no rule asks for
    [email], hooks = edited.after_edit
    text = body_text(email)
    assert "China rejects politicizing human rights" in email["Subject"]
    assert OLD_SENTENCE in text and NEW_SENTENCE in text
    # the inline word diff, a space between the words taken out and those put in (not "fabricatednot")
    assert "[-nothing but lies fabricated-] {+not supported+}" in text
    assert "globaltimes" in text and "edited (silent)" in text and edited.site.base_url + EDITED_URL in text
    report_page = re.search(r"every version: file://(\S+?)#v2", text).group(1)
    assert Path(report_page).is_file()  # the run that sent the mail wrote the report it links to
    got = by_path(hooks)
    assert set(got) == {"/silent", "/deleted"}  # nothing for "never", "flaky" is down, "weekly" is a digest
    [silent] = got["/silent"]
    assert silent["schema"] == "presswatch.alert/1" and silent["count"] == 1
    change = silent["changes"][0]
    assert (change["kind"], change["silent"], change["source"]) == ("edited", True, "globaltimes")
    assert (change["removed_sentence"], change["added_sentence"]) == (OLD_SENTENCE, NEW_SENTENCE)
    [deleted] = got["/deleted"]
    assert [c["title"] for c in deleted["changes"]] == ["Winter tourism heats up in Altay as ski resorts draw crowds"]
    failed = [a for a in edited.summary["alerts"] if a["error"]]
    assert [(a["rule"], a["changes"]) for a in failed] == [("flaky", 2)]


def test_a_down_channel_gets_its_message_once_when_back_and_secrets_stay_out_of_the_warehouse(edited):
    paths, inbox, hooks = edited.paths, edited.inbox, edited.hooks
    sent = (len(inbox.messages), len(hooks))
    # Alerts follow the warehouse's changes, whichever sources a run crawls: the next runs crawl one.
    run(paths, ["xjgov"])  # nothing new: nothing sent, the flaky channel still down
    assert (len(inbox.messages), len(hooks)) == sent == (1, 2)
    with webhook_receiver(port=edited.down_port) as (_, flaky_hooks):
        run(paths, ["xjgov"])  # the channel is back: its message, once, with both changes
        run(paths, ["xjgov"])
    assert (len(inbox.messages), len(hooks)) == sent
    [flaky] = by_path(flaky_hooks)["/flaky"]
    assert sorted(c["kind"] for c in flaky["changes"]) == ["deleted", "edited"]

    with plain_duckdb(paths["db"]) as con:
        states = dict(
            ((r, s), n)
            for r, s, n in con.execute(
                "select rule, status, count(*) from alert_delivery_state group by all"
            ).fetchall()
        )
        rows = con.execute("select * from alert_deliveries").fetchall()
    assert states == {("silent-edits", "sent"): 2, ("deletions", "sent"): 1, ("flaky", "sent"): 2}
    assert SECRET not in repr(rows)
    stored = [p for p in paths["db"].rglob("*") if p.is_file()]  # the catalog and every Parquet file
    assert stored and not any(SECRET.encode() in p.read_bytes() for p in stored)

    listed = run_cli(
        "--db",
        str(paths["db"]),
        "--sources",
        str(paths["registry"]),
        "alerts",
        "--format",
        "json",
        env={"PW_TEST_SMTP_PASS": SECRET},
    )
    assert listed.returncode == 0, listed.stderr
    assert SECRET not in listed.stdout
    status = {r["rule"]: r for r in json.loads(listed.stdout)}
    assert (status["silent-edits"]["sent"], status["flaky"]["sent"], status["never"]["sent"]) == (2, 2, 0)
    assert status["never"]["last sent (UTC)"] == "never" and status["weekly"]["schedule"] == "0 8 * * 1"
    assert "mailto://analyst:****@127.0.0.1" in status["silent-edits"]["channels"]


def test_a_failing_channel_is_listed_with_its_error(tmp_path):
    from crawlers.registry import load_registry
    from flows.notify.deliver import deliver
    from tests.conftest import make_pipeline

    pipeline = make_pipeline(tmp_path)
    port = free_port()
    pipeline.use_registry(
        _one_source() + f'\n[[alerts]]\nname = "down"\nkinds = ["new"]\nchannels = ["json://127.0.0.1:{port}/x"]\n'
    )
    _seed(pipeline)
    rules = load_registry(pipeline.settings.registry).alerts
    [result] = deliver(pipeline.db, pipeline.settings.data, rules)
    assert result.error and result.changes == 1
    listed = run_cli("--db", str(pipeline.db), "--sources", str(pipeline.settings.registry), "alerts")
    assert listed.returncode == 0, listed.stderr
    assert "down" in listed.stdout and "json://127.0.0.1" in listed.stdout
    row = json.loads(
        run_cli(
            "--db", str(pipeline.db), "--sources", str(pipeline.settings.registry), "alerts", "--format", "json"
        ).stdout
    )[0]
    assert (row["sent"], row["failing"]) == (0, 1) and row["last error"]
    [again] = deliver(pipeline.db, pipeline.settings.data, rules)  # retried next time, still one message
    assert again.changes == 1


def _one_source() -> str:
    return (
        '[[sources]]\nname = "seeded"\nlabel = "Seeded"\nlanguage = "zh"\nallowed_domains = ["127.0.0.1"]\n'
        'feeds = ["http://127.0.0.1:9/feed.xml"]\narticle_pattern = "/a/"\n'
    )


def _seed(pipeline) -> None:
    """One new article written straight through the warehouse's migration, as a load would leave it."""
    from warehouse.db import connect

    with connect(pipeline.db) as con:
        con.execute("""INSERT INTO article_versions (article_id, version, canonical_url, source, change_kind, title,
                       text, language, valid_from, url)
                       VALUES ('a1', 1, 'http://127.0.0.1:9/a/1', 'seeded', 'new', '新疆的幸福生活',
                               '各族群众过上了幸福生活。', 'zh', now()::TIMESTAMP, 'http://127.0.0.1:9/a/1')""")


def test_terms_match_chinese_phrases_in_the_new_text(tmp_path):
    from crawlers.registry import load_registry
    from flows.notify.deliver import deliver
    from tests.conftest import make_pipeline

    pipeline = make_pipeline(tmp_path)
    with webhook_receiver() as (port, hooks):
        pipeline.use_registry(
            _one_source()
            + f"""
[[alerts]]
name = "happy"
kinds = ["new"]
terms = ["幸福生活"]
channels = ["json://127.0.0.1:{port}/happy"]

[[alerts]]
name = "other"
kinds = ["new"]
terms = ["职业技能"]
channels = ["json://127.0.0.1:{port}/other"]
"""
        )
        _seed(pipeline)
        deliver(pipeline.db, pipeline.settings.data, load_registry(pipeline.settings.registry).alerts)
    assert [p for p, _ in hooks] == ["/happy"]


def test_alerts_test_sends_a_sample_on_every_channel(tmp_path):
    registry = tmp_path / "sources.toml"
    with smtp_server() as (smtp_port, inbox), webhook_receiver() as (hook_port, hooks):
        registry.write_text(
            _one_source() + f'\n[[alerts]]\nname = "try-me"\n'
            f'channels = ["{mail(smtp_port)}", "json://127.0.0.1:{hook_port}/t"]\n'
        )
        done = run_cli(
            "--db",
            str(tmp_path / "none.duckdb"),
            "--sources",
            str(registry),
            "alerts",
            "test",
            "try-me",
            env={"PW_TEST_SMTP_PASS": SECRET},
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("sample sent") == 2 and SECRET not in done.stdout + done.stderr
    [email] = inbox.messages
    assert email["Subject"].startswith("[test] presswatch alert try-me")
    assert "The new sentence says another." in body_text(email)
    assert json.loads(hooks[0][1]["message"])["rule"] == "try-me"

    missing = run_cli("--sources", str(registry), "alerts", "test", "nope")
    assert missing.returncode == 2 and "no alert rule named 'nope'" in missing.stderr and "try-me" in missing.stderr

    down = free_port()
    registry.write_text(
        _one_source() + f'\n[[alerts]]\nname = "down"\nchannels = ["json://127.0.0.1:{down}/t", "{mail(down)}"]\n'
    )
    failed = run_cli(
        "--db",
        str(tmp_path / "none.duckdb"),
        "--sources",
        str(registry),
        "alerts",
        "test",
        "down",
        env={"PW_TEST_SMTP_PASS": SECRET},
    )
    assert failed.returncode == 1
    assert failed.stderr.count("FAILED") == 2 and SECRET not in failed.stderr
    assert "Traceback" not in failed.stderr


@pytest.mark.parametrize(
    "rule, problem",
    [
        ('name = "r"\nchannels = ["json://127.0.0.1/x"]\ncolour = "red"', "unknown key(s) colour"),
        (
            'name = "r"\nchannels = ["nosuchscheme://x/y"]',
            "channel scheme 'nosuchscheme':// is not one Apprise can send to",
        ),
        (
            'name = "r"\nchannels = ["json://127.0.0.1/x"]\nschedule = "every monday"',
            "schedule 'every monday' is not a valid cron expression",
        ),
        (
            'name = "r"\nchannels = ["json://127.0.0.1/x"]\nkinds = ["edited", "reextracted"]',
            "unknown kind(s) reextracted",
        ),
        ('name = "r"\nchannels = ["json://127.0.0.1/x"]\nsources = ["nowhere"]', "unknown source(s) nowhere"),
        ('name = "r"\nchannels = []', "channels is empty"),
        ('name = "r"\nchannels = ["json://127.0.0.1/x"]\nmin_words_changed = -1', "min_words_changed must be"),
    ],
)
def test_a_broken_rule_is_refused_naming_the_rule_and_its_line(tmp_path, rule, problem):
    registry = tmp_path / "sources.toml"
    registry.write_text(_one_source() + "\n[[alerts]]\n" + rule + "\n")
    line = _one_source().count("\n") + 2
    done = run_cli("--sources", str(registry), "alerts")
    assert done.returncode == 2
    assert f"the source registry {registry} is broken:" in done.stderr
    assert f"alert 'r' (rule 1, line {line}): {problem}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_broken_rule_stops_a_crawl_before_it_starts(tmp_path):
    registry = tmp_path / "sources.toml"
    registry.write_text(_one_source() + '\n[[alerts]]\nname = "r"\nchannels = ["mailto:/oops"]\n')
    done = run_cli("--sources", str(registry), "--db", str(tmp_path / "w.duckdb"), "crawl")
    assert done.returncode == 2 and "alert 'r' (rule 1, line 9): channel 'mailto:/oops' is not a URL" in done.stderr


def test_a_digest_rule_waits_for_its_schedule_then_sends_what_matched_once(tmp_path):
    from flows.digest import alert_digest
    from flows.serve import build_deployments
    from flows.settings import Settings
    from tests.conftest import make_pipeline

    pipeline = make_pipeline(tmp_path)
    with webhook_receiver() as (port, hooks):
        pipeline.use_registry(
            _one_source() + f'\n[[alerts]]\nname = "daily"\nkinds = ["new"]\nschedule = "0 7 * * *"\n'
            f'channels = ["json://127.0.0.1:{port}/daily"]\n'
        )
        _seed(pipeline)
        settings = pipeline.settings
        deployments = {
            d.name: d
            for d in build_deployments(Settings(db=settings.db, data=settings.data, registry=settings.registry))
        }
        digest = deployments["digest-daily"]
        assert digest.flow_name == "alert-digest" and digest.schedules[0].schedule.cron == "0 7 * * *"
        assert digest.parameters["rule"] == "daily"
        assert deployments["seeded"].parameters["publish"] is True

        params = {
            "rule": "daily",
            "db": str(settings.db),
            "registry": str(settings.registry),
            "data": str(settings.data),
        }
        [sent] = alert_digest.fn(**params)
        assert sent["changes"] == 1 and sent["error"] is None
        assert alert_digest.fn(**params) == []  # nothing new since the last digest
    [(path, payload)] = hooks
    document = json.loads(payload["message"])
    assert path == "/daily" and document["digest"] is True and document["changes"][0]["title"] == "新疆的幸福生活"
    assert payload["title"].startswith("presswatch digest daily: 1 change(s)")


def test_reloading_a_batch_or_reextracting_sends_nothing_more(demo_story, tmp_path):
    import shutil

    from crawlers.registry import load_registry
    from flows.notify.deliver import deliver
    from warehouse.loader import load_pending

    pipeline = demo_story.copy("stage2", tmp_path)  # the demo site crawled, then its edit and deletion crawled
    with webhook_receiver() as (port, hooks):
        rule = f'\n[[alerts]]\nname = "all-changes"\nchannels = ["json://127.0.0.1:{port}/all"]\n'
        registry = pipeline.settings.registry.read_text()
        pipeline.use_registry(registry + rule)
        rules = load_registry(pipeline.settings.registry).alerts
        [first] = deliver(pipeline.db, pipeline.settings.data, rules)
        assert first.changes == 2 and len(hooks) == 1

        loaded = pipeline.settings.loaded
        for batch in loaded.iterdir():  # every batch staged again: the loader sees it was loaded
            shutil.copytree(batch, pipeline.settings.staging / batch.name)
        load_pending(pipeline.db, pipeline.settings.staging, loaded, wait=5)
        assert deliver(pipeline.db, pipeline.settings.data, rules) == []

        # Extraction settings that drop a sentence: re-extraction writes `reextracted` versions, never alerts.
        pipeline.use_registry(
            registry.replace(
                'name = "globaltimes"', 'name = "globaltimes"\nignore_patterns = ["Chinese experts said[^.]*\\\\."]'
            )
            + rule
        )
        done = run_cli(
            "--db",
            str(pipeline.db),
            "--sources",
            str(pipeline.settings.registry),
            "--data",
            str(pipeline.settings.data),
            "reextract",
            "--source",
            "globaltimes",
        )
        assert done.returncode == 0, done.stderr
        assert pipeline.scalar("select count(*) from article_versions where change_kind = 'reextracted'") > 0
        assert deliver(pipeline.db, pipeline.settings.data, rules) == []
    assert len(hooks) == 1
