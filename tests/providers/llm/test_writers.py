"""The prompt writers against local fakes of their wire protocols: an OpenAI-compatible
chat endpoint (the ``openai`` client) and Replicate (the ``replicate`` client)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from providers.errors import ProviderTimeout, ProviderUnavailable
from providers.llm.openai_chat import ChatConfig, OpenAIChatWriter
from providers.llm.replicate_chat import ReplicateChatConfig, ReplicateChatWriter
from tests.fakes.fixtures import REPLICATE_TOKEN
from tests.fakes.llm import LLM_KEY, LLM_MODEL, FakeChatLLM, detailed
from tests.fakes.moderation_hosted import openai_error, serving
from tests.fakes.replicate import FakeReplicate, Fault


@pytest.fixture
async def chat() -> AsyncIterator[tuple[FakeChatLLM, OpenAIChatWriter]]:
    fake = FakeChatLLM()
    async with serving(fake) as url:
        writer = OpenAIChatWriter(
            ChatConfig(base_url=f"{url}/v1", model=LLM_MODEL, api_key=LLM_KEY, timeout_s=0.5)
        )
        await writer.start()
        try:
            yield fake, writer
        finally:
            await writer.stop()


async def test_the_chat_writer_sends_system_and_prompt_and_reads_the_answer(
    chat: tuple[FakeChatLLM, OpenAIChatWriter],
) -> None:
    fake, writer = chat
    assert await writer.write("be vivid", "a fox") == detailed("a fox")
    (call,) = fake.calls()
    body = call.json()
    assert body["model"] == LLM_MODEL
    assert body["messages"] == [
        {"role": "system", "content": "be vivid"},
        {"role": "user", "content": "a fox"},
    ]
    assert call.headers["authorization"] == f"Bearer {LLM_KEY}"


@pytest.mark.parametrize(
    "fault",
    [openai_error(500, "boom"), openai_error(429, "slow down"), openai_error(401, "bad key")],
)
async def test_the_chat_writer_maps_errors_and_does_not_retry(
    chat: tuple[FakeChatLLM, OpenAIChatWriter], fault: Fault
) -> None:
    fake, writer = chat
    fake.faults.append(fault)
    with pytest.raises(ProviderUnavailable) as caught:
        await writer.write("be vivid", "a fox")
    assert caught.value.status_code == fault.status
    assert len(fake.calls()) == 1


async def test_the_chat_writer_times_out_and_refuses_garbage(
    chat: tuple[FakeChatLLM, OpenAIChatWriter],
) -> None:
    fake, writer = chat
    fake.delay_s = 5
    with pytest.raises(ProviderTimeout):
        await writer.write("be vivid", "a fox")
    fake.delay_s = 0
    fake.rewrite = lambda prompt: "   "
    with pytest.raises(ProviderUnavailable, match="empty"):
        await writer.write("be vivid", "a fox")
    fake.garbage = b"<html>"
    with pytest.raises(ProviderUnavailable):
        await writer.write("be vivid", "a fox")


@pytest.fixture
async def replicate_writer(
    fake_replicate: FakeReplicate,
) -> AsyncIterator[ReplicateChatWriter]:
    fake_replicate.text_output = lambda prediction: ["A ", "fox, ", "golden ", "hour"]
    writer = ReplicateChatWriter(
        ReplicateChatConfig(
            api_token=REPLICATE_TOKEN, base_url=fake_replicate.base_url, poll_interval_s=0.01
        )
    )
    await writer.start()
    try:
        yield writer
    finally:
        await writer.stop()


async def test_the_replicate_writer_joins_the_streamed_tokens(
    fake_replicate: FakeReplicate, replicate_writer: ReplicateChatWriter
) -> None:
    assert await replicate_writer.write("be vivid", "a fox") == "A fox, golden hour"
    (create,) = fake_replicate.creates()
    assert create["input"]["prompt"] == "a fox"
    assert create["input"]["system_prompt"] == "be vivid"
    (post,) = fake_replicate.log.to("POST")
    assert post.path == "/v1/models/meta/meta-llama-3-8b-instruct/predictions"


async def test_the_replicate_writer_maps_failures(
    fake_replicate: FakeReplicate, replicate_writer: ReplicateChatWriter
) -> None:
    fake_replicate.create_faults.append(Fault(500))
    with pytest.raises(ProviderUnavailable):
        await replicate_writer.write("be vivid", "a fox")
    fake_replicate.final_error = "CUDA out of memory"
    with pytest.raises(ProviderUnavailable, match="failed"):
        await replicate_writer.write("be vivid", "a fox")
