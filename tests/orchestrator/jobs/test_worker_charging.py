"""What a delivered job is charged (the worker of ``test_worker.py``, with payments on):
only the images actually sent, whatever the user asked for. Images moderation drops and
images a provider never made are given back, sats and free-allowance units alike, and the
revenue counted is what was captured."""

from __future__ import annotations

from orchestrator.stats.counters import REVENUE_SATS
from state.models import Balance, JobStatus
from tests.orchestrator.jobs.test_worker import rigged
from tests.orchestrator.moderation.conftest import flat

BLUE = flat((30, 60, 220), size=64)  # the image model scores it about 0.01
BROWN = flat((141, 85, 36), size=64)  # about 0.29: blocked by the tuned threshold
TUNED = {"moderation_image_threshold": 0.15}
USER = 7  # the rig's user


async def test_images_moderation_drops_are_not_charged() -> None:
    async with rigged(payments=True, **TUNED) as rig:
        ledger = rig.backend.ledger
        assert await ledger.credit(USER, "topup-1", 400)
        rig.provider.outputs = [BLUE, BROWN, BROWN, BROWN]
        job = await rig.run(num_images=4)
        assert (job.status, job.reserved_sats) == (JobStatus.DELIVERED, 400)
        [(_, sent)] = rig.frontend.delivered
        assert [image.data for image in sent] == [BLUE]
        assert await ledger.balance(USER) == Balance(300, 0)  # one image of four charged
        assert await rig.counter(REVENUE_SATS) == 100
        assert not await ledger.release(job.id)  # settled once, for good


async def test_a_provider_that_makes_fewer_images_is_charged_for_those() -> None:
    async with rigged(payments=True) as rig:
        ledger = rig.backend.ledger
        assert await ledger.credit(USER, "topup-1", 400)
        rig.provider.outputs = [BLUE, BLUE]
        job = await rig.run(num_images=4)
        assert job.status is JobStatus.DELIVERED
        assert await ledger.balance(USER) == Balance(200, 0)
        assert await rig.counter(REVENUE_SATS) == 200


async def test_free_units_of_images_not_sent_are_given_back() -> None:
    async with rigged(payments=True, free_generations_per_day=4, **TUNED) as rig:
        ledger = rig.backend.ledger
        rig.provider.outputs = [BROWN, BLUE, BROWN, BROWN]
        first = await rig.run(num_images=4)  # all four free; one sent
        assert (first.status, first.reserved_sats) == (JobStatus.DELIVERED, 0)
        rig.provider.outputs = None
        second = await rig.run(num_images=3)  # three free units came back for it
        assert (second.status, second.reserved_sats) == (JobStatus.DELIVERED, 0)
        assert await ledger.balance(USER) == Balance(0, 0)
        assert await rig.counter(REVENUE_SATS) == 0
