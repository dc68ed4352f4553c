"""A queued request's 202 says where it stands: its position (jobs ahead) and, once the
provider's service time was measured, the fair queue's estimate of the wait (eta_s); never
a number nobody measured. One worker, a Replicate fake that holds predictions."""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
from typing import Any

import pytest

from state.models import JobKind
from tests.api.conftest import ApiStack
from tests.api.test_end_to_end import order, until_done
from tests.fakes.fixtures import hosted_settings
from tests.fakes.replicate import FakeReplicate


@pytest.fixture
def state_backend() -> dict[str, Any]:
    return {}


@pytest.fixture
def api_overrides(fake_replicate: FakeReplicate) -> dict[str, Any]:
    return hosted_settings(fake_replicate) | {
        "generate_provider": "replicate",
        "worker_concurrency": 1,
    }


async def paid(api: ApiStack) -> str:
    invoice_id = str((await order(api))["invoice_id"])
    assert (await api.http.post(f"/api/v1/dev/pay/{invoice_id}")).status_code == 200
    return invoice_id


async def answer_when(api: ApiStack, invoice_id: str, status: str) -> dict[str, Any]:
    for _ in range(200):
        response = await api.http.get(f"/api/v1/image/{invoice_id}")
        body: dict[str, Any] = response.json()
        if body["status"] == status:
            assert response.status_code == 202
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"{invoice_id} never became {status}")


async def test_position_without_a_made_up_wait_before_anything_was_measured(
    api: ApiStack, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.hang = True
    first = await paid(api)
    running = await answer_when(api, first, "running")
    assert "position" not in running
    assert "eta_s" not in running
    second = await paid(api)
    queued = await answer_when(api, second, "queued")
    assert queued["position"] == 0
    assert "eta_s" not in queued

    fake_replicate.hang = False
    assert (await until_done(api, first))[1]["status"] == "completed"
    assert (await until_done(api, second))[1]["status"] == "completed"


async def test_the_wait_comes_from_measured_service_times(
    api: ApiStack, fake_replicate: FakeReplicate
) -> None:
    measured = await paid(api)
    assert (await until_done(api, measured))[1]["status"] == "completed"
    provider = api.runtime.providers[JobKind.GENERATE].name
    today = dt.datetime.now(dt.UTC).date()
    samples = await api.runtime.stats.latencies(provider, [today - dt.timedelta(days=1), today])
    assert samples  # the worker measured the call

    fake_replicate.hang = True
    first = await paid(api)
    await answer_when(api, first, "running")
    second, third = await paid(api), await paid(api)
    one_ahead = await answer_when(api, third, "queued")
    none_ahead = await answer_when(api, second, "queued")
    service_s = statistics.median(samples)
    assert (none_ahead["position"], one_ahead["position"]) == (0, 1)
    assert none_ahead["eta_s"] == round(service_s, 1)  # one worker: (0 + 1) * s / 1
    assert one_ahead["eta_s"] == round(2 * service_s, 1)

    fake_replicate.hang = False
    for invoice_id in (first, second, third):
        assert (await until_done(api, invoice_id))[1]["status"] == "completed"
