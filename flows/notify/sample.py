"""`presswatch alerts test`: a sample message on every channel of a rule, recorded nowhere."""

from __future__ import annotations

from datetime import UTC, datetime

from crawlers.alert_rules import AlertRule
from flows.change_report.paths import report_base
from flows.notify.deliver import ChannelError, open_channel, redacted, send
from flows.notify.match import matching
from flows.notify.render import render
from flows.settings import Settings
from warehouse.changes import Change, recent_changes
from warehouse.errors import DatabaseMissing


def sample_change() -> Change:
    """A made-up silent edit, for a warehouse with nothing the rule matches yet."""
    return Change(
        article_id="sample",
        version=2,
        from_version=1,
        source="sample",
        canonical_url="https://example.org/sample",
        url="https://example.org/sample",
        title="Sample article (presswatch alerts test)",
        previous_title="Sample article (presswatch alerts test)",
        change_kind="edited",
        silent=True,
        detected_at=datetime.now(UTC).replace(tzinfo=None),
        words_added=2,
        words_removed=2,
        previous_sentence="The old sentence said one thing.",
        changed_sentence="The new sentence says another.",
        http_status=200,
        language="en",
        old_text="The old sentence said one thing.",
        new_text="The new sentence says another.",
    )


def send_test(settings: Settings, rule: AlertRule) -> list[tuple[str, str | None]]:
    """(redacted channel, error or None) for each channel of `rule`."""
    try:
        found = matching(rule, recent_changes(settings.db, datetime(1970, 1, 1)))
    except DatabaseMissing:
        found = []
    change = found[-1] if found else sample_change()
    message = render(rule, [change], report_base(settings.data))
    message = type(message)(title="[test] " + message.title, text=message.text, html=message.html, json=message.json)
    results: list[tuple[str, str | None]] = []
    for template in rule.channels:
        try:
            channel = open_channel(template)
        except ChannelError as exc:
            results.append((redacted(template), str(exc)))
            continue
        results.append((channel.redacted, send(channel, message)))
    return results
