"""Provenance through Telegram: a generated photo, re-encoded the way Telegram does it,
is recognised by /verify and by `fulmine verify`; the "Original file" button sends the
signed original, whose manifest c2pa-python reads back. Runs on memory and on Redis."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from prometheus_client import REGISTRY

from bot import texts
from orchestrator.cli import main
from orchestrator.provenance import manifest
from orchestrator.provenance.credentials import development_credentials
from tests.conftest import BOT_TOKEN, WEBHOOK_SECRET, Stack
from tests.orchestrator.provenance.image_set import decoded, telegram_photo

PROMPT = "a red fox at dawn"


def _ada(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    return user, stack.emulator.private_chat(user)


async def _generate(stack: Stack) -> tuple[dict[str, Any], dict[str, Any], bytes, int]:
    """Ada asks for an image; the photo's bytes as sent, and its message id."""
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text=f"/generate {PROMPT}"))
    (photo,) = stack.emulator.calls_to("sendPhoto")
    (data,) = photo.files.values()
    return user, chat, data, photo.result["message_id"]


async def _verify_reply(stack: Stack, image: bytes, *, as_document: bool = False) -> str:
    """Someone sends ``image`` in another chat and replies /verify to it; the bot's answer."""
    bob = stack.emulator.user(2002, "Bob", language_code="en")
    chat = stack.emulator.private_chat(bob)
    if as_document:
        posted = stack.emulator.user_message(chat, bob, document=(image, "a.png", "image/png"))
    else:
        posted = stack.emulator.user_message(chat, bob, photo=image)
    reply_to = posted["message"]["message_id"]
    await stack.send(
        stack.emulator.user_message(chat, bob, text="/verify", reply_to_message_id=reply_to)
    )
    answer = stack.emulator.calls_to("sendMessage")[-1]
    assert answer.params["chat_id"] == chat["id"]
    return str(answer.params["text"])


async def test_a_photo_reencoded_like_telegram_is_recognised_by_verify(stack: Stack) -> None:
    _, _, sent, _ = await _generate(stack)
    received = telegram_photo(decoded(sent), quality=82)  # what a forward would carry
    answer = await _verify_reply(stack, received)
    assert answer.startswith("🔎 Made with Fulmine: a generated image on ")
    assert "provider placeholder" in answer
    assert PROMPT not in answer  # never the prompt, to anyone
    assert "Content Credentials" not in answer  # a re-encoded photo has none left


async def test_an_unmarked_image_is_not_claimed(stack: Stack) -> None:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 140, 60)).save(out, "JPEG", quality=85)
    answer = await _verify_reply(stack, out.getvalue())
    assert answer == texts.text("verify_no_mark", "en")


async def test_verify_without_an_image_says_how_to_use_it(stack: Stack) -> None:
    user, chat = _ada(stack)
    await stack.send(stack.emulator.user_message(chat, user, text="/verify"))
    answer = stack.emulator.calls_to("sendMessage")[-1]
    assert answer.params["text"] == texts.text("verify_needs_image", "en")


async def test_the_original_file_button_sends_the_signed_original(stack: Stack) -> None:
    user, chat, _, message_id = await _generate(stack)
    (photo,) = stack.emulator.calls_to("sendPhoto")
    _, (_, original_button, _) = photo.params["reply_markup"]["inline_keyboard"]
    assert original_button["text"] == texts.text("button_original", "en")
    press = stack.emulator.button_press(chat, user, message_id, original_button["callback_data"])
    await stack.send(press)
    assert stack.emulator.callback_answered(press["callback_query"]["id"])
    (document,) = stack.emulator.calls_to("sendDocument")
    (original,) = document.files.values()
    found = manifest.read(original, "image/png")
    assert found is not None
    assert found.valid
    assert found.actions == ("c2pa.created",)
    assert found.provider == "placeholder"
    assert found.digital_source_type == manifest.TRAINED_ALGORITHMIC_MEDIA
    # /verify on the document itself names both the mark and the manifest.
    answer = await _verify_reply(stack, original, as_document=True)
    assert "Made with Fulmine" in answer
    assert "Content Credentials: valid" in answer
    # One changed byte in the picture and the manifest no longer holds.
    tampered = bytearray(original)
    tampered[original.rfind(b"IDAT") + 64] ^= 0x01
    broken = manifest.read(bytes(tampered), "image/png")
    assert broken is not None
    assert not broken.valid


async def test_an_edit_names_its_input_as_an_ingredient(stack: Stack) -> None:
    user, chat, _, message_id = await _generate(stack)
    await stack.send(
        stack.emulator.user_message(
            chat, user, text="/edit make it night", reply_to_message_id=message_id
        )
    )
    edited = stack.emulator.calls_to("sendPhoto")[-1]
    (data,) = edited.files.values()
    found = manifest.read(data, "image/png")
    assert found is not None
    assert found.valid
    assert found.actions == ("c2pa.opened", "c2pa.edited")
    assert found.ingredients == 1


class TestASigningFailure:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        """An operator pair whose key does not belong to its certificate."""
        one, other = development_credentials(), development_credentials()
        return {
            "provenance_cert": one.chain_pem.decode(),
            "provenance_key": other.key_pem.decode(),
        }

    async def test_still_delivers_the_image_unsigned_and_counts_it(self, stack: Stack) -> None:
        before = _failures("sign")
        _, _, sent, _ = await _generate(stack)
        assert _failures("sign") == before + 1
        assert manifest.read(sent, "image/png") is None
        assert "Made with Fulmine" in await _verify_reply(stack, sent)  # still watermarked


def _failures(step: str) -> float:
    value = REGISTRY.get_sample_value("fulmine_provenance_failures_total", {"step": step})
    return value or 0.0


@pytest.mark.parametrize("state_backend", ["redis"], indirect=True)
async def test_fulmine_verify_names_the_job_from_another_process(
    stack: Stack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, _, sent, _ = await _generate(stack)
    photo = tmp_path / "forwarded.jpg"
    photo.write_bytes(telegram_photo(decoded(sent), quality=85))
    plain = tmp_path / "plain.png"
    Image.new("RGB", (300, 200), "navy").save(plain)
    settings = stack.runtime.settings
    assert settings.redis_url is not None
    for name, value in {
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "REDIS_URL": settings.redis_url.get_secret_value(),
        "REDIS_KEY_PREFIX": settings.redis_key_prefix,
    }.items():
        monkeypatch.setenv(name, value)
    # The command as an operator runs it, in a thread: it runs its own event loop.
    assert await asyncio.to_thread(main, ["verify", str(photo), str(plain)]) == 0
    out = capsys.readouterr().out
    first, second = out.split(str(plain))
    assert "Watermark: Fulmine mark" in first
    assert "generate job" in first
    assert "provider placeholder" in first
    assert "C2PA: no manifest" in first
    assert "no Fulmine mark found" in second
