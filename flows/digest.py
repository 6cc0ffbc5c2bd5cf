"""The `alert-digest` flow: a rule with a `schedule` sends what it matched since its last digest, on its cron.

`presswatch serve` deploys one per digest rule. Exactly-once is the ledger's (warehouse/alerts.py):
a digest carries every matching change its channel has not yet received, then the feeds and the
change report are rewritten.
"""

from __future__ import annotations

from dataclasses import asdict

from prefect import flow, get_run_logger

from crawlers.alert_rules import get_rule
from crawlers.registry import load_registry
from flows.settings import resolve


@flow(name="alert-digest")
def alert_digest(rule: str, db: str | None = None, registry: str | None = None, data: str | None = None) -> list[dict]:
    """Send the digest of alert rule `rule`; channel failures are recorded and retried by the next digest."""
    from flows.notify.deliver import deliver

    settings = resolve(db=db, sources=registry, data=data)
    chosen = get_rule(load_registry(settings.registry).alerts, rule, settings.registry)
    deliveries = deliver(settings.db, settings.data, [chosen], digest=True, wait=settings.load_wait)
    for failed in (d for d in deliveries if d.error):
        get_run_logger().warning(
            "digest %s: %s failed, retried next time: %s", failed.rule, failed.channel, failed.error
        )
    return [asdict(d) for d in deliveries]
