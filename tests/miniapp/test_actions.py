"""The gallery's Variations, Edit and Upscale over the Mini App's JSON API: the chat's
requests, delivered in the chat and recorded in the gallery (memory and Redis)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from state.models import JobKind
from tests.miniapp.conftest import AppStack

ADA = 1001
BOB = 1002
PRICE = 10


async def _made_in_chat(stack: AppStack, prompt: str) -> dict[str, Any]:
    await stack.chat(ADA, f"/generate {prompt}")
    items = (await stack.http.get("/app/api/gallery", headers=stack.auth(ADA))).json()["items"]
    return dict(items[0])


async def _act(
    stack: AppStack, entry_id: str, action: str, user_id: int = ADA, **fields: Any
) -> Any:
    body = {"request_id": uuid.uuid4().hex, **fields}
    return await stack.http.post(
        f"/app/api/gallery/{entry_id}/{action}", json=body, headers=stack.auth(user_id)
    )


async def _delivered(stack: AppStack, job_id: str) -> None:
    for _ in range(200):
        job = (await stack.http.get(f"/app/api/jobs/{job_id}", headers=stack.auth(ADA))).json()
        if job["status"] in ("delivered", "failed"):
            assert job["status"] == "delivered", job
            await stack.runtime.wait_idle()
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the job never finished")


def _sent(stack: AppStack) -> int:
    return sum(len(stack.emulator.calls_to(m)) for m in ("sendPhoto", "sendDocument"))


async def test_variations_vary_the_chat_image_with_its_prompt(app_stack: AppStack) -> None:
    item = await _made_in_chat(app_stack, "a red fox --ar 16:9")
    (first,) = app_stack.photos_to(ADA)
    response = await _act(app_stack, item["id"], "variations")
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    await _delivered(app_stack, job_id)
    job = await app_stack.runtime.get_job(job_id)
    assert job is not None
    assert job.kind is JobKind.GENERATE
    assert job.input_image is not None  # image-to-image from the image the chat got
    assert job.input_image.file_id == first.result["photo"][-1]["file_id"]
    assert (job.prompt, job.aspect_ratio, job.variation_strength) == ("a red fox", "16:9", 0.6)
    assert len(app_stack.photos_to(ADA)) == 2
    items = (await app_stack.http.get("/app/api/gallery", headers=app_stack.auth(ADA))).json()
    assert [i["prompt"] for i in items["items"]] == ["a red fox", "a red fox"]
    assert items["items"][0]["id"] == job_id


async def test_upscale_comes_as_a_file_in_the_chat_and_in_the_gallery(
    app_stack: AppStack,
) -> None:
    item = await _made_in_chat(app_stack, "a lighthouse")
    response = await _act(app_stack, item["id"], "upscale")
    assert response.status_code == 202
    await _delivered(app_stack, response.json()["job_id"])
    (document,) = [
        c for c in app_stack.emulator.calls_to("sendDocument") if c.params["chat_id"] == ADA
    ]
    items = (await app_stack.http.get("/app/api/gallery", headers=app_stack.auth(ADA))).json()
    assert [i["kind"] for i in items["items"]] == ["upscale", "generate"]
    assert document.params["chat_id"] == ADA


async def test_edit_applies_the_instruction_to_the_image(app_stack: AppStack) -> None:
    item = await _made_in_chat(app_stack, "a lighthouse")
    response = await _act(app_stack, item["id"], "edit", instruction="  make it night ")
    assert response.status_code == 202
    await _delivered(app_stack, response.json()["job_id"])
    assert len(app_stack.photos_to(ADA)) == 2
    items = (await app_stack.http.get("/app/api/gallery", headers=app_stack.auth(ADA))).json()
    newest = items["items"][0]
    assert (newest["kind"], newest["prompt"]) == ("edit", "make it night")


async def test_bad_or_foreign_requests_are_refused_and_change_nothing(
    app_stack: AppStack,
) -> None:
    item = await _made_in_chat(app_stack, "a red fox")
    entry = item["id"]
    sent = _sent(app_stack)
    for action in ("variations", "upscale", "edit"):
        path = f"/app/api/gallery/{entry}/{action}"
        body = {"request_id": uuid.uuid4().hex, "instruction": "x"}
        for headers in ({}, {"Authorization": "tma a=b"}):
            assert (await app_stack.http.post(path, json=body, headers=headers)).status_code == 401
        words: dict[str, Any] = {"instruction": "x"} if action == "edit" else {}
        foreign = await _act(app_stack, entry, action, user_id=BOB, **words)
        assert foreign.status_code == 404  # not Bob's image
    assert (await _act(app_stack, "nope", "upscale")).status_code == 404
    assert (await _act(app_stack, entry, "upscale", index=1)).status_code == 410  # one image
    bad: list[dict[str, Any]] = [
        {"index": 10},
        {"instruction": "x"},  # only an edit takes one
        {"request_id": "no"},
    ]
    for fields in bad:
        assert (await _act(app_stack, entry, "variations", **fields)).status_code == 422, fields
    for instruction in ["x" * 501, "   ", ""]:
        refused = await _act(app_stack, entry, "edit", instruction=instruction)
        assert refused.status_code == 422, instruction
    assert (await _act(app_stack, entry, "edit")).status_code == 422  # no instruction
    once = {"request_id": uuid.uuid4().hex}
    path = f"/app/api/gallery/{entry}/upscale"
    first = await app_stack.http.post(path, json=once, headers=app_stack.auth(ADA))
    again = await app_stack.http.post(path, json=once, headers=app_stack.auth(ADA))
    assert (first.status_code, again.status_code) == (202, 409)
    await app_stack.runtime.wait_idle()
    assert _sent(app_stack) == sent + 1  # the one upscale


async def test_a_forgotten_job_is_answered_expired(app_stack: AppStack) -> None:
    item = await _made_in_chat(app_stack, "a red fox")
    job = await app_stack.runtime.get_job(item["id"])
    assert job is not None
    job.result_file_ids = []  # as a job the chat never got a file of
    await app_stack.runtime.store.save_job(job)
    refused = await _act(app_stack, item["id"], "variations")
    assert (refused.status_code, refused.json()["error"]) == (410, "expired")


@pytest.mark.parametrize(
    "app_overrides", [{"payments_backend": "fake", "price_generate_sats": PRICE}]
)
async def test_an_action_needs_payment_like_any_request(app_stack: AppStack) -> None:
    payments = app_stack.runtime.payments
    assert payments is not None
    await payments.ledger.credit(ADA, "gift", PRICE)
    item = await _made_in_chat(app_stack, "a red fox")  # the credit pays for it
    assert (await payments.balance(ADA)).available_sats == 0
    sent = _sent(app_stack)
    refused = await _act(app_stack, item["id"], "variations")
    assert refused.status_code == 402
    assert refused.json()["bolt11"].startswith("ln")
    await app_stack.runtime.wait_idle()
    assert _sent(app_stack) == sent
