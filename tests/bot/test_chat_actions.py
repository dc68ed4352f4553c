from __future__ import annotations

import time

import pytest

from bot.sending.chat_actions import ChatActionBudget


def test_budget_allows_a_burst_then_refills_at_its_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    budget = ChatActionBudget(per_second=10)
    assert [budget.take() for _ in range(12)] == [True] * 10 + [False] * 2
    now[0] += 0.25  # 2.5 tokens come back
    assert [budget.take() for _ in range(3)] == [True, True, False]


def test_zero_rate_means_no_budget() -> None:
    budget = ChatActionBudget(per_second=0)
    assert all(budget.take() for _ in range(1000))
