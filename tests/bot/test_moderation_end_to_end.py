"""Moderation on the whole path: webhook → handlers → admission → worker, with
the hosted providers' fakes standing in for the image services, so a test can prove that
a blocked request never reached a provider. Runs on memory and on Redis.

With no payment backend configured every request is free, so "nothing charged" holds
trivially here; a blocked prompt is refused before admission's later steps (rate limits,
payment) run, and a blocked image fails the job through the normal failure path.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from bot import texts
from bot.admin.moderation_admin import refusal_text
from orchestrator.moderation.errors import PromptBlocked, UserBanned
from orchestrator.stats.counters import blocks
from tests.bot.hosted import extra_settings, settings_overrides  # noqa: F401 (fixtures)
from tests.conftest import BOT_USERNAME, Stack, png_bytes
from tests.fakes.fal import FakeFal
from tests.fakes.images import png
from tests.fakes.replicate import FakeReplicate

ADMIN_ID = 42  # tests/conftest.py make_settings
BLOCKED_PROMPT = "explicit porn of a naked woman"  # the engine scores it sexual, 1.0
# open_nsfw's P(nsfw) for flat images (measured): a skin tone scores far above blue.
SKIN = (200, 150, 120)  # about 0.32
BLUE = "blue"  # about 0.01
BETWEEN = 0.1


def _pixels(data: bytes) -> bytes:
    """The picture, whatever the file carries beside it (a C2PA manifest)."""
    return Image.open(io.BytesIO(data)).convert("RGB").tobytes()


def _user(stack: Stack, user_id: int = 1001) -> dict[str, Any]:
    return stack.emulator.user(user_id, "Ada", language_code="en")


def _texts_to(stack: Stack, chat_id: int) -> list[str]:
    """What the chat was told, in order: messages sent and status messages edited."""
    return [
        str(call.params["text"])
        for call in stack.emulator.calls
        if call.method in {"sendMessage", "editMessageText"} and call.params["chat_id"] == chat_id
    ]


async def _say(stack: Stack, user: dict[str, Any], text: str, chat: Any = None) -> None:
    chat = chat or stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text=text))


def _provider_requests(fake_replicate: FakeReplicate, fake_fal: FakeFal) -> int:
    return len(fake_replicate.log.requests) + len(fake_fal.log.requests)


async def test_blocked_prompt_is_refused_before_any_provider_call(
    stack: Stack, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    user = _user(stack)
    await _say(stack, user, f"/generate {BLOCKED_PROMPT}")

    assert _texts_to(stack, 1001) == [texts.text("moderation_blocked_sexual")]
    assert stack.emulator.calls_to("sendPhoto") == []
    assert _provider_requests(fake_replicate, fake_fal) == 0
    (block,) = await stack.runtime.moderation_records.recent_blocks(10)
    assert (block.user_id, block.chat_id, block.stage) == (1001, 1001, "prompt")
    assert (block.category, block.score, block.prompt) == ("sexual", 1.0, BLOCKED_PROMPT)
    assert len(block.prompt_hash) == 64
    assert await stack.runtime.stats.counter(blocks("sexual")) == 1  # what /stats reads

    await _say(stack, user, "/generate a red fox")  # a safe prompt goes through
    assert len(stack.emulator.calls_to("sendPhoto")) == 1
    assert len(fake_replicate.log.to("POST")) >= 1


@pytest.mark.parametrize("extra_settings", [{"rate_limit_per_minute": 2}])
async def test_a_blocked_prompt_uses_no_rate_limit_slot(stack: Stack) -> None:
    user = _user(stack)
    await _say(stack, user, f"/generate {BLOCKED_PROMPT}")
    await _say(stack, user, "/generate a red fox")
    await _say(stack, user, "/generate a tree")
    assert len(stack.emulator.calls_to("sendPhoto")) == 2
    await _say(stack, user, "/generate a boat")  # the limit is real: the third is refused
    assert len(stack.emulator.calls_to("sendPhoto")) == 2
    assert _texts_to(stack, 1001)[-1].startswith(texts.text("rate_limited_user", seconds=0)[:20])


async def test_a_blocked_edit_instruction_is_refused(
    stack: Stack, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    photo = stack.emulator.user_message(chat, user, photo=png_bytes((64, 48), "blue"))
    await stack.send(photo)
    await stack.send(
        stack.emulator.user_message(
            chat,
            user,
            text="/edit make her naked",
            reply_to_message_id=photo["message"]["message_id"],
        )
    )
    # The photo alone was asked about; the /edit replying to it is refused.
    assert _texts_to(stack, 1001) == [
        texts.text("ask_edit"),
        texts.text("moderation_blocked_sexual"),
    ]
    assert stack.emulator.calls_to("getFile") == []
    assert _provider_requests(fake_replicate, fake_fal) == 0


@pytest.mark.parametrize("extra_settings", [{"moderation_image_threshold": BETWEEN}])
async def test_a_blocked_edit_input_never_reaches_the_provider(
    stack: Stack, fake_replicate: FakeReplicate, fake_fal: FakeFal
) -> None:
    user = _user(stack)
    chat = stack.emulator.private_chat(user)
    photo = stack.emulator.user_message(chat, user, photo=png((64, 48), SKIN))
    await stack.send(photo)
    await stack.send(
        stack.emulator.user_message(
            chat,
            user,
            text="/edit make it night",
            reply_to_message_id=photo["message"]["message_id"],
        )
    )
    assert stack.emulator.calls_to("getFile")  # fetched and checked...
    assert fake_fal.log.requests == []  # ...and never sent on
    assert stack.emulator.calls_to("sendPhoto") == []
    assert _texts_to(stack, 1001)[-1] == texts.text("failed_moderation_input")
    (block,) = await stack.runtime.moderation_records.recent_blocks(10)
    assert (block.stage, block.category, block.prompt) == ("input_image", "sexual", "make it night")


@pytest.mark.parametrize("extra_settings", [{"moderation_image_threshold": BETWEEN}])
async def test_blocked_outputs_are_never_sent_and_the_allowed_ones_are(
    stack: Stack, fake_replicate: FakeReplicate
) -> None:
    fake_replicate.outputs = lambda prediction, index: png(
        (80, 60), SKIN if int(index) == 0 else BLUE
    )
    user = _user(stack)
    await _say(stack, user, "/generate two tiles --n 2")

    # One of two blocked: the other is sent, alone (a photo, not an album).
    assert stack.emulator.calls_to("sendMediaGroup") == []
    (sent,) = stack.emulator.calls_to("sendPhoto")
    # The same picture; the file also carries its signed manifest (images under 64 px a
    # side are too small for the watermark, so the pixels are untouched).
    assert [_pixels(data) for data in sent.files.values()] == [_pixels(png((80, 60), BLUE))]
    (block,) = await stack.runtime.moderation_records.recent_blocks(10)
    assert (block.stage, block.category) == ("output_image", "sexual")

    fake_replicate.outputs = lambda prediction, index: png((80, 60), SKIN)
    await _say(stack, user, "/generate two more --n 2")
    assert len(stack.emulator.calls_to("sendPhoto")) == 1  # nothing more was sent
    assert stack.emulator.calls_to("sendMediaGroup") == []
    assert _texts_to(stack, 1001)[-1] == texts.text("failed_moderation_output")
    assert len(await stack.runtime.moderation_records.recent_blocks(10)) == 3


# Groups are strict: the placeholder's own drawing (P(nsfw) a few hundredths, varying with
# the seed) is blocked when the strict image threshold is set below any score the model
# gives, while private chats keep standard.
@pytest.mark.parametrize("settings_overrides", [{"moderation_image_threshold_strict": 1e-9}])
async def test_group_policy_blocks_the_placeholders_output(stack: Stack) -> None:
    user = _user(stack)
    group = stack.emulator.group_chat(-100900, "Painters")
    await _say(stack, user, f"/generate@{BOT_USERNAME} a red fox", chat=group)
    assert stack.emulator.calls_to("sendPhoto") == []
    assert _texts_to(stack, -100900)[-1] == texts.text("failed_moderation_output")

    await _say(stack, user, "/generate a red fox")  # a private chat: standard, sent
    assert len(stack.emulator.calls_to("sendPhoto")) == 1


async def test_moderation_shows_blocks_to_admins_only(stack: Stack) -> None:
    user = _user(stack)
    await _say(stack, user, f"/generate {BLOCKED_PROMPT}")
    await _say(stack, user, "/moderation")
    assert _texts_to(stack, 1001)[-1] == texts.text("moderation_admins_only")

    admin = _user(stack, ADMIN_ID)
    await _say(stack, admin, "/moderation")
    shown = _texts_to(stack, ADMIN_ID)[-1]
    assert shown.startswith(texts.text("moderation_recent_header", count=1))
    assert "user 1001" in shown
    assert "sexual 1.00" in shown
    assert BLOCKED_PROMPT in shown


async def test_admin_commands_answer_only_in_private_chats(stack: Stack) -> None:
    """Blocked prompts and banned users are not for a group's eyes, even an admin's group."""
    user, admin = _user(stack), _user(stack, ADMIN_ID)
    await _say(stack, user, f"/generate {BLOCKED_PROMPT}")
    group = stack.emulator.group_chat(-100900, "Painters")
    for command, argument in (("moderation", ""), ("ban", " 1001"), ("unban", " 1001")):
        await _say(stack, admin, f"/{command}@{BOT_USERNAME}{argument}", chat=group)
        await _say(stack, admin, f"/{command}{argument}", chat=group)

    told = _texts_to(stack, -100900)
    assert not any(BLOCKED_PROMPT in text or "1001" in text for text in told)
    assert not await stack.runtime.moderation_records.is_banned(1001)  # /ban did nothing
    assert told == [
        texts.text("moderation_private_only", command=f"/{command}")
        for command in ("moderation", "moderation", "ban", "ban", "unban", "unban")
    ]
    assert stack.emulator.calls_to("sendPhoto") == []

    await _say(stack, admin, "/moderation")  # privately it still works
    assert BLOCKED_PROMPT in _texts_to(stack, ADMIN_ID)[-1]


async def test_ban_then_unban(stack: Stack) -> None:
    user, admin = _user(stack), _user(stack, ADMIN_ID)
    await _say(stack, user, "/ban 1001")  # not an admin: nothing changes
    assert _texts_to(stack, 1001) == [texts.text("moderation_admins_only")]
    assert not await stack.runtime.moderation_records.is_banned(1001)

    await _say(stack, admin, "/ban")
    await _say(stack, admin, "/ban 1001")
    await _say(stack, admin, "/ban 1001")
    assert _texts_to(stack, ADMIN_ID) == [
        texts.text("moderation_ban_usage"),
        texts.text("moderation_banned_now", user_id=1001),
        texts.text("moderation_already_banned", user_id=1001),
    ]
    await _say(stack, user, "/generate a red fox")
    assert _texts_to(stack, 1001)[-1] == refusal_text(UserBanned(1001), "en")
    assert stack.emulator.calls_to("sendPhoto") == []

    await _say(stack, admin, "/unban 1001")
    assert _texts_to(stack, ADMIN_ID)[-1] == texts.text("moderation_unbanned_now", user_id=1001)
    await _say(stack, user, "/generate a red fox")
    assert len(stack.emulator.calls_to("sendPhoto")) == 1


@pytest.mark.parametrize("extra_settings", [{"moderation_repeat_blocks": 2}])
async def test_repeat_offenders_are_throttled(stack: Stack, fake_replicate: FakeReplicate) -> None:
    user = _user(stack)
    await _say(stack, user, f"/generate {BLOCKED_PROMPT}")
    await _say(stack, user, "/generate a decapitated body in a pool of blood")
    await _say(stack, user, "/generate a red fox")  # safe, but the user is throttled
    said = _texts_to(stack, 1001)
    hour = texts.duration(3600)
    assert hour == "1 hour"
    assert said[:2] == [
        refusal_text(PromptBlocked("sexual", 1.0), "en")
        + "\n\n"
        + texts.text("moderation_pause_warning", wait=hour),  # the block before the pause
        texts.text("moderation_blocked_violence")
        + "\n\n"
        + texts.text("moderation_paused_now", wait=hour),
    ]
    assert said[2] == texts.text("moderation_throttled", wait=hour)
    assert stack.emulator.calls_to("sendPhoto") == []
    assert fake_replicate.log.requests == []
    # Someone else is not affected.
    await _say(stack, _user(stack, 1002), "/generate a red fox")
    assert len(stack.emulator.calls_to("sendPhoto")) == 1


@pytest.mark.parametrize("extra_settings", [{"moderation_repeat_blocks": 2}])
async def test_a_pause_is_never_posted_in_a_group(stack: Stack) -> None:
    user = _user(stack)
    private = stack.emulator.private_chat(user)  # started: the bot may write to it
    group = stack.emulator.group_chat(-100900, "Painters")
    await _say(stack, user, f"/generate@{BOT_USERNAME} {BLOCKED_PROMPT}", chat=group)
    await _say(stack, user, f"/generate@{BOT_USERNAME} {BLOCKED_PROMPT}", chat=group)
    await _say(stack, user, f"/generate@{BOT_USERNAME} a red fox", chat=group)
    hour = texts.duration(3600)
    blocked = refusal_text(PromptBlocked("sexual", 1.0), "en")
    assert _texts_to(stack, -100900) == [  # the blocks, and one neutral line
        blocked,
        blocked,
        texts.text("sent_privately", name="Ada"),
    ]
    assert _texts_to(stack, private["id"]) == [
        texts.text("moderation_pause_warning", wait=hour),
        texts.text("moderation_paused_now", wait=hour),
        texts.text("moderation_throttled", wait=hour),
    ]
    # Under the private chat's own (standard) policy these prompts pause too: the minors
    # rule and explicit terms block everywhere.
    await _say(stack, user, "/generate a red fox", chat=private)
    assert _texts_to(stack, private["id"])[-1] == texts.text("moderation_throttled", wait=hour)


@pytest.mark.parametrize("settings_overrides", [{"moderation_api_key": "k" * 24}])
async def test_the_check_endpoint_is_served_by_the_running_app(stack: Stack) -> None:
    url = f"{stack.url}/api/v1/moderation/check"
    refused = await stack.http.post(url, json={"prompt": "a red fox"})
    assert refused.status_code == 401
    response = await stack.http.post(
        url, json={"prompt": BLOCKED_PROMPT}, headers={"Authorization": "Bearer " + "k" * 24}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["allowed"], body["category"], body["policy"]) == (False, "sexual", "standard")
    ready = (await stack.http.get(f"{stack.url}/ready")).json()
    assert ready["checks"]["moderation"] is True
