"""Webhooks about our invoices are checked with the backend at a bounded rate per process
(``PAYMENT_WEBHOOK_CHECKS_PER_S``); one over the budget is refused (the route answers 503)
and nothing is applied, while webhooks about invoices we never issued and reconciliation
are not held back. The fake backend, the memory state."""

from __future__ import annotations

import pytest

from state.errors import RateLimited
from tests.orchestrator.payments.test_service import CHAT, USER, build


async def test_webhooks_over_the_budget_are_refused_until_it_refills() -> None:
    rig = await build(payment_webhook_checks_per_s=0.01)  # one check, then one per 100 s
    try:
        first = (await rig.service.create_topup(USER, CHAT, 500, "en")).invoice
        second = (await rig.service.create_topup(USER, CHAT, 300, "en")).invoice
        paid = rig.fake.mark_paid(first.id)
        await rig.service.handle_webhook(paid.headers, paid.body)
        assert await rig.balance() == (500, 0)

        later = rig.fake.mark_paid(second.id)
        with pytest.raises(RateLimited) as refused:
            await rig.service.handle_webhook(later.headers, later.body)
        assert refused.value.scope == "payment_webhooks"
        assert await rig.balance() == (500, 0)  # nothing applied

        stranger = await rig.fake.create_invoice(100, "not ours", reference="elsewhere")
        theirs = rig.fake.mark_paid(stranger.id)
        await rig.service.handle_webhook(theirs.headers, theirs.body)  # ignored, not refused

        await rig.service.reconcile_once()  # our own checks are not held back
        assert await rig.balance() == (800, 0)
    finally:
        await rig.state.stop()
