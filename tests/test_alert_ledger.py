"""The alert ledger when the warehouse cannot be written at the wrong moment: a message that went out
but could not be recorded is never sent again, and the run's other rules still go out.

A real crawl and load of a loopback site; the alerts go to a loopback webhook receiver which, as the
first rule's message arrives, lets another writer take the warehouse's write lock (as a long
`presswatch maintain` would), so recording that delivery fails after the wait.
"""

from __future__ import annotations

import fcntl
import threading
import time

from crawlers.registry import load_registry
from flows.notify import outbox
from flows.notify.deliver import deliver
from tests.alert_receivers import webhook_receiver
from tests.conftest import make_pipeline
from tests.servers import Route, StaticSite, article_html, registry_entry, rss_feed
from warehouse.locks import LOCK_FILE

PARAGRAPHS = [
    "The regional government announced new measures for vocational training and employment on Monday.",
    "Officials said the programme would reach every county of the region before the end of the year.",
    "Observers noted that the announcement followed months of criticism from several foreign governments.",
]


def _rules(port: int) -> str:
    return "".join(
        f'\n[[alerts]]\nname = "{name}"\nkinds = ["new"]\nchannels = ["json://127.0.0.1:{port}/{name}"]\n'
        for name in ("first", "second")
    )


def test_a_sent_message_whose_record_failed_is_not_sent_again_and_the_other_rules_go_out(tmp_path):
    pipeline = make_pipeline(tmp_path)
    with StaticSite({"/a/1.html": Route(article_html("Measures announced", PARAGRAPHS))}) as site:
        site.routes["/feed.xml"] = rss_feed(site.url, ["/a/1.html"])
        entry = registry_entry("s", site.url, feeds=[site.url + "/feed.xml"], article_pattern=r"/a/\d+\.html$")
        pipeline.use_registry(entry)
        pipeline.crawl()
    other_writer = open(pipeline.db / LOCK_FILE, "a+")

    def take_the_warehouse(path: str) -> None:
        if path == "/first":
            fcntl.flock(other_writer, fcntl.LOCK_EX)

    with webhook_receiver(on_receive=take_the_warehouse) as (port, hooks):
        pipeline.use_registry(entry + _rules(port))
        rules = load_registry(pipeline.settings.registry).alerts
        outcome: dict = {}

        def run() -> None:
            try:
                outcome["deliveries"] = deliver(pipeline.db, pipeline.settings.data, rules, wait=2)
            except Exception as exc:  # noqa: BLE001 - the test reports it
                outcome["error"] = exc

        delivering = threading.Thread(target=run)
        delivering.start()
        deadline = time.monotonic() + 60
        # The other writer lets go once the first delivery was set aside (or the delivery gave up).
        while not outbox.path(pipeline.settings.data).exists() and delivering.is_alive():
            assert time.monotonic() < deadline, "the delivery neither set its record aside nor ended"
            time.sleep(0.05)
        fcntl.flock(other_writer, fcntl.LOCK_UN)
        delivering.join(60)
        assert "error" not in outcome, outcome
        first, second = outcome["deliveries"]
        assert first.error is None and "the ledger could not record it" in first.note
        assert second.error is None and second.note is None and second.changes == 1
        assert deliver(pipeline.db, pipeline.settings.data, rules) == []  # the next run: nothing again
    other_writer.close()
    assert sorted(path for path, _ in hooks) == ["/first", "/second"]  # each message exactly once
    recorded = pipeline.query("SELECT rule, status FROM alert_delivery_state ORDER BY rule")
    assert recorded == [("first", "sent"), ("second", "sent")]  # the kept record reached the ledger
    assert outbox.path(pipeline.settings.data).read_text() == ""
