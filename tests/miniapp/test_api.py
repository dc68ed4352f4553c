"""The Mini App's JSON API over HTTP, with the chat beside it (memory and Redis)."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from tests.conftest import WEBHOOK_SECRET
from tests.miniapp.conftest import ADMIN_ID, AppStack

ADA = 1001
BOB = 1002


async def _wait_delivered(stack: AppStack, user_id: int, job_id: str) -> None:
    for _ in range(200):
        job = (await stack.http.get(f"/app/api/jobs/{job_id}", headers=stack.auth(user_id))).json()
        if job["status"] in ("delivered", "failed"):
            assert job["status"] == "delivered"
            await stack.runtime.wait_idle()
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the job never finished")


async def test_the_gallery_lists_what_the_user_made_in_the_chat(app_stack: AppStack) -> None:
    await app_stack.chat(ADA, "/generate a red fox")
    await app_stack.chat(BOB, "/generate a blue whale", name="Bob")
    page = (await app_stack.http.get("/app/api/gallery", headers=app_stack.auth(ADA))).json()
    (item,) = page["items"]
    assert item["prompt"] == "a red fox"
    (url,) = item["urls"]
    image = await app_stack.http.get(url)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content == app_stack.photos_to(ADA)[0].files["photo"]  # what the chat got


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "tma"}, {"Authorization": "Bearer x"}, {"Authorization": "tma a=b"}],
)
async def test_without_a_valid_init_data_nothing_is_read_or_changed(
    app_stack: AppStack, headers: dict[str, str]
) -> None:
    await app_stack.chat(ADA, "/generate a red fox")
    for method, path in [
        ("GET", "/app/api/me"),
        ("GET", "/app/api/gallery"),
        ("DELETE", "/app/api/gallery"),
        ("PUT", "/app/api/settings"),
        ("POST", "/app/api/generate"),
        ("GET", "/app/api/admin/stats"),
    ]:
        response = await app_stack.http.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path)
    forged = app_stack.auth(ADA, token="987654321:SOME-other-bot-token")
    assert (await app_stack.http.get("/app/api/gallery", headers=forged)).status_code == 401
    page = (await app_stack.http.get("/app/api/gallery", headers=app_stack.auth(ADA))).json()
    assert len(page["items"]) == 1


async def test_stale_init_data_is_refused(app_stack: AppStack) -> None:
    stale = app_stack.auth(ADA, auth_date=time.time() - 2 * 3600)
    assert (await app_stack.http.get("/app/api/me", headers=stale)).status_code == 401


async def test_delete_one_and_all(app_stack: AppStack) -> None:
    for prompt in ("one", "two", "three"):
        await app_stack.chat(ADA, f"/generate {prompt}")
    auth = app_stack.auth(ADA)
    items = (await app_stack.http.get("/app/api/gallery", headers=auth)).json()["items"]
    assert [item["prompt"] for item in items] == ["three", "two", "one"]
    bob = app_stack.auth(BOB)
    assert (
        await app_stack.http.delete(f"/app/api/gallery/{items[0]['id']}", headers=bob)
    ).json() == {"deleted": 0}
    assert (
        await app_stack.http.delete(f"/app/api/gallery/{items[0]['id']}", headers=auth)
    ).json() == {"deleted": 1}
    assert (await app_stack.http.delete("/app/api/gallery", headers=auth)).json() == {"deleted": 2}
    assert (await app_stack.http.get("/app/api/gallery", headers=auth)).json() == {"items": []}


async def test_a_new_image_from_the_app_reaches_the_chat_and_the_gallery(
    app_stack: AppStack,
) -> None:
    await app_stack.chat(ADA, "/start")
    body = {"prompt": "a lighthouse", "request_id": uuid.uuid4().hex}
    response = await app_stack.http.post(
        "/app/api/generate", json=body, headers=app_stack.auth(ADA)
    )
    assert response.status_code == 202
    await _wait_delivered(app_stack, ADA, response.json()["job_id"])
    (photo,) = app_stack.photos_to(ADA)
    assert photo.params["caption"] == "a lighthouse"
    items = (await app_stack.http.get("/app/api/gallery", headers=app_stack.auth(ADA))).json()
    assert [item["prompt"] for item in items["items"]] == ["a lighthouse"]
    again = await app_stack.http.post("/app/api/generate", json=body, headers=app_stack.auth(ADA))
    assert again.status_code == 409  # the same request twice makes one image
    other = await app_stack.http.get(
        f"/app/api/jobs/{response.json()['job_id']}", headers=app_stack.auth(BOB)
    )
    assert other.status_code == 404


async def test_bad_input_gets_a_short_answer_and_changes_nothing(app_stack: AppStack) -> None:
    auth = app_stack.auth(ADA)
    for body in [
        {"prompt": "x" * 501, "request_id": uuid.uuid4().hex},
        {"prompt": "ok", "aspect_ratio": "7:3", "request_id": uuid.uuid4().hex},
        {"prompt": "ok", "num_images": 9, "request_id": uuid.uuid4().hex},
        {"prompt": "ok", "request_id": "no"},
    ]:
        response = await app_stack.http.post("/app/api/generate", json=body, headers=auth)
        assert response.status_code == 422, body
    bad = await app_stack.http.put("/app/api/settings", json={"aspect_ratio": "7:3"}, headers=auth)
    assert bad.status_code == 422
    assert (await app_stack.http.get("/app/api/me", headers=auth)).json()["settings"][
        "aspect_ratio"
    ] is None
    await app_stack.runtime.wait_idle()
    assert app_stack.emulator.calls_to("sendPhoto") == []


async def test_settings_persist_and_shape_the_next_generate(app_stack: AppStack) -> None:
    auth = app_stack.auth(ADA)
    saved = await app_stack.http.put(
        "/app/api/settings", json={"aspect_ratio": "16:9", "num_images": 1}, headers=auth
    )
    assert saved.json() == {"saved": True}
    me = (await app_stack.http.get("/app/api/me", headers=auth)).json()
    assert me["settings"]["aspect_ratio"] == "16:9"
    await app_stack.chat(ADA, "/generate a wide valley")
    items = (await app_stack.http.get("/app/api/gallery", headers=auth)).json()["items"]
    assert items[0]["aspect_ratio"] == "16:9"


async def test_the_admin_view_is_refused_to_others(app_stack: AppStack) -> None:
    for path in ("/app/api/admin/stats?days=7", "/app/api/admin/moderation"):
        assert (await app_stack.http.get(path, headers=app_stack.auth(ADA))).status_code == 403
    refused = await app_stack.http.post("/app/api/admin/unban/5", headers=app_stack.auth(ADA))
    assert refused.status_code == 403
    admin = app_stack.auth(ADMIN_ID)
    await app_stack.runtime.moderation_records.ban(5)
    stats = (await app_stack.http.get("/app/api/admin/stats?days=7", headers=admin)).json()
    assert stats["window_days"] == 7
    assert len(stats["chart"]) == 7  # the chart follows the window
    assert (await app_stack.http.get("/app/api/admin/moderation", headers=admin)).json()[
        "banned"
    ] == [5]
    assert (await app_stack.http.post("/app/api/admin/unban/5", headers=admin)).json() == {
        "unbanned": True
    }
    assert not await app_stack.runtime.moderation_records.is_banned(5)


async def test_the_page_and_its_files_are_served(app_stack: AppStack) -> None:
    page = await app_stack.http.get("/app")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    assert '<script type="module" src="/app/static/app.js">' in page.text
    assert (
        (await app_stack.http.get("/app/static/app.js"))
        .headers["content-type"]
        .startswith("text/javascript")
    )
    assert (await app_stack.http.get("/app/static/..%2Fjobs.py")).status_code == 404
    assert app_stack.runtime.settings.telegram_bot_token.get_secret_value() not in page.text


@pytest.mark.parametrize("app_overrides", [{"payments_backend": "fake", "price_generate_sats": 10}])
async def test_buying_credits_shows_a_lightning_invoice(app_stack: AppStack) -> None:
    auth = app_stack.auth(ADA)
    balance = (await app_stack.http.get("/app/api/balance", headers=auth)).json()
    assert balance["available_sats"] == 0
    invoice = (await app_stack.http.post("/app/api/buy", json={"sats": 500}, headers=auth)).json()
    assert invoice["sats"] == 500
    assert invoice["bolt11"].startswith("ln")
    assert invoice["qr_svg"].lstrip().startswith(("<?xml", "<svg"))
    too_much = await app_stack.http.post("/app/api/buy", json={"sats": 10**7}, headers=auth)
    assert too_much.status_code == 422
    _ = httpx  # the client type of the stack


async def test_group_images_appear_for_the_person_who_asked(app_stack: AppStack) -> None:
    ada = app_stack.emulator.user(ADA, "Ada")
    group = app_stack.emulator.group_chat()
    update = app_stack.emulator.user_message(group, ada, text="/generate a team photo")
    await app_stack.http.post(
        "/telegram/webhook",
        json=update,
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )
    await app_stack.runtime.wait_idle()
    mine = (await app_stack.http.get("/app/api/gallery", headers=app_stack.auth(ADA))).json()
    assert [item["prompt"] for item in mine["items"]] == ["a team photo"]
    others = (await app_stack.http.get("/app/api/gallery", headers=app_stack.auth(BOB))).json()
    assert others["items"] == []


@pytest.mark.parametrize("app_overrides", [{"image_store_path": "/dev/null/images"}])
async def test_a_gallery_that_cannot_keep_an_image_never_fails_the_delivery(
    app_stack: AppStack,
) -> None:
    await app_stack.chat(ADA, "/generate a red fox")
    assert len(app_stack.photos_to(ADA)) == 1
    job_page = (await app_stack.http.get("/app/api/gallery", headers=app_stack.auth(ADA))).json()
    assert job_page["items"] == []
