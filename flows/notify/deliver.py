"""Sending each rule's message once per run (or digest), exactly once per rule, channel and change.

For every rule: the matching changes come from the warehouse (warehouse.alerts.recent_changes);
per channel, the ledger claims those not yet sent, one message carries them all, and its outcome
is recorded. A channel that fails keeps its changes unsent, so the next run retries them (with
whatever is new) in one message. A message that went out while its outcome could not be recorded
(the warehouse locked or out of reach) is kept in the data folder's outbox (flows/notify/outbox.py)
and recorded by the next delivery, never sent again; the other rules and channels go on. Channel URLs may read secrets from the environment
(`mailto://user:${SMTP_PASS}@host`); only a hash of the URL as written and a redacted form
(Apprise's privacy URL, without its query) reach the ledger, the logs and the errors.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from crawlers.alert_rules import AlertRule
from crawlers.durations import parse_duration
from flows.change_report.paths import report_base
from flows.notify import outbox
from flows.notify.match import matching
from flows.notify.render import Message, render
from warehouse import alerts as ledger
from warehouse.errors import WarehouseError

log = logging.getLogger("presswatch.alerts")

MAX_CHANGES = 50  # per message; the rest go in the next one
DEFAULT_WINDOW = "7d"  # changes older than this are never alerted (a new rule does not replay all history)
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_HTML_SCHEMES = {"mailto", "mailtos"}
_JSON_SCHEMES = {"json", "jsons", "form", "forms", "xml", "xmls"}


class ChannelError(Exception):
    """A channel URL cannot be used as written (a missing environment variable, a URL Apprise refuses)."""


@dataclass(frozen=True)
class Channel:
    """A channel URL with its secrets expanded, and what may be shown or stored of it."""

    template: str  # as written in the registry
    url: str  # expanded: never logged or stored
    secrets: tuple[str, ...]
    hash: str
    redacted: str

    @property
    def scheme(self) -> str:
        return self.template.split("://", 1)[0].lower()

    def scrub(self, text: str) -> str:
        """`text` with the expanded URL and every secret in it replaced by ***."""
        for secret in sorted(set(self.secrets), key=len, reverse=True):
            if secret and len(secret) >= 3:
                text = text.replace(secret, "***")
                text = text.replace(quote(secret, safe=""), "***")
        return text


@dataclass(frozen=True)
class Delivery:
    """What one rule's message did on one channel."""

    rule: str
    channel: str  # redacted
    changes: int
    error: str | None  # not sent (the next run retries)
    note: str | None = None  # sent, with something to know (its record waits in the outbox)


def channel_hash(template: str) -> str:
    return hashlib.sha256(template.encode("utf-8")).hexdigest()


def open_channel(template: str) -> Channel:
    """Expand ${VAR}s (URL-quoted inside a URL; raw when the variable is the whole URL); raise ChannelError."""
    names = _ENV.findall(template)
    missing = [n for n in names if n not in os.environ]
    if missing:
        raise ChannelError(f"environment variable(s) {', '.join(missing)} not set")
    whole = _ENV.fullmatch(template)
    url = os.environ[whole.group(1)] if whole else _ENV.sub(lambda m: quote(os.environ[m.group(1)], safe=""), template)
    secrets = tuple(os.environ[n] for n in names) + _inline_password(url)
    digest = channel_hash(template)
    plugin = _instantiate(url)
    if plugin is None:
        scheme = template.split("://", 1)[0]
        raise ChannelError(f"Apprise cannot use this {scheme}:// URL (check its host, user and parameters)")
    redacted = plugin.url(privacy=True).split("?", 1)[0]
    channel = Channel(template, url, secrets, digest, "")
    return Channel(template, url, secrets, digest, channel.scrub(redacted))


def _inline_password(url: str) -> tuple[str, ...]:
    """A password written into the URL itself (user:password@host) is a secret too."""
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return ()
    return (password, unquote(password)) if password else ()


def redacted(template: str) -> str:
    """What may be shown of a channel: its privacy URL, or its scheme and hash when it cannot be opened."""
    try:
        return open_channel(template).redacted
    except ChannelError:
        return f"{template.split('://', 1)[0]}://… (#{channel_hash(template)[:8]})"


def _instantiate(url: str):
    import apprise

    with apprise.LogCapture(level=logging.ERROR):
        _quiet_apprise()
        return apprise.Apprise.instantiate(url)


def _quiet_apprise() -> None:
    """Apprise's own log lines may carry URLs: they are captured and scrubbed, never passed to the root logger."""
    logging.getLogger("apprise").propagate = False


def send(channel: Channel, message: Message) -> str | None:
    """Send `message` on `channel` in the channel's form; None when sent, else why not (secrets removed)."""
    import apprise
    from apprise import NotifyFormat

    if channel.scheme in _HTML_SCHEMES:
        body, body_format = message.html, NotifyFormat.HTML
    elif channel.scheme in _JSON_SCHEMES:
        body, body_format = message.json, NotifyFormat.TEXT
    else:
        body, body_format = message.text, NotifyFormat.TEXT
    notifier = apprise.Apprise()
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        _quiet_apprise()
        if not notifier.add(channel.url):
            return "Apprise refused the URL"
        try:
            ok = bool(notifier.notify(body=body, title=message.title, body_format=body_format))
        except Exception as exc:  # a plugin bug must not lose the ledger's record
            ok, reason = False, f"{type(exc).__name__}: {exc}"
        else:
            reason = captured.getvalue().strip()
    if ok:
        return None
    lines = [line for line in reason.splitlines() if line.strip()]
    return channel.scrub("; ".join(lines[-3:]) or "the notification was not accepted")


def window_start(now: datetime) -> datetime:
    """The oldest change any alert may carry: PRESSWATCH_ALERT_WINDOW (a duration, default 7d) back."""
    seconds = parse_duration(os.environ.get("PRESSWATCH_ALERT_WINDOW") or DEFAULT_WINDOW)
    return now - timedelta(seconds=seconds)


def deliver(
    db,
    data: Path,
    rules: list[AlertRule],
    run_id: str | None = None,
    digest: bool = False,
    wait: float = 30.0,
    now: datetime | None = None,
) -> list[Delivery]:
    """Send each rule's pending matches, one message per rule and channel; returns what happened.

    Raises only what reading the changes raises (CatalogUnreachable, ...): a channel's failure, and a
    ledger that cannot be written for one channel, are that channel's Delivery; the others go on.
    """
    now = now or datetime.now(UTC)
    if not rules:
        return []
    changes = ledger.recent_changes(db, window_start(now), wait=wait)
    unrecorded = outbox.flush(db, data, wait)  # sent earlier, their record still to be written
    base = report_base(data)
    results: list[Delivery] = []
    for rule in rules:
        wanted = matching(rule, changes)
        for template in rule.channels:
            digest_hash = channel_hash(template)
            unsent = [c for c in wanted if (rule.name, digest_hash, *c.key) not in unrecorded]
            results.extend(_deliver_channel(db, data, rule, template, unsent, base, run_id, digest, wait))
        if digest:
            try:
                ledger.record_digest(db, rule.name, len(wanted), wait=wait)
            except WarehouseError as exc:
                log.warning("alert digest %s: its run could not be recorded: %s", rule.name, exc)
    return results


def _deliver_channel(db, data, rule, template, wanted, base, run_id, digest, wait) -> list[Delivery]:
    error: str | None = None
    try:
        channel = open_channel(template)
    except ChannelError as exc:
        channel = None
        error, shown = str(exc), redacted(template)
    shown = channel.redacted if channel else shown
    message_id = uuid.uuid4().hex
    try:
        claimed = ledger.claim(
            db, rule.name, channel_hash(template), shown, wanted, message_id, run_id, limit=MAX_CHANGES, wait=wait
        )
    except WarehouseError as exc:  # nothing claimed, nothing sent: the next run tries again
        return [Delivery(rule.name, shown, 0, f"not sent: the alert ledger cannot be written: {exc}")] if wanted else []
    if not claimed:
        return []
    if channel is not None:
        error = send(channel, render(rule, claimed, base, digest=digest))
    try:
        ledger.record(db, rule.name, channel_hash(template), shown, claimed, error, message_id, run_id, wait=wait)
    except WarehouseError as exc:
        if error is not None:  # not sent: its claim expires and a later run retries it
            return [Delivery(rule.name, shown, len(claimed), f"{error} (and the ledger could not record it: {exc})")]
        kept = outbox.keep(
            data, ledger.delivery_rows(rule.name, channel_hash(template), shown, claimed, message_id, run_id)
        )
        note = f"sent, but the ledger could not record it ({exc}): kept in {kept} for the next run to record"
        log.warning("alert %s: %s", rule.name, note)
        return [Delivery(rule.name, shown, len(claimed), None, note)]
    if error:
        log.info("alert %s: %s failed (%d change(s) kept for the next run): %s", rule.name, shown, len(claimed), error)
    else:
        log.info("alert %s: sent %d change(s) to %s", rule.name, len(claimed), shown)
    return [Delivery(rule.name, shown, len(claimed), error)]
