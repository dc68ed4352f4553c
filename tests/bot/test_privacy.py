"""``/privacy`` says what is kept; ``/deletemydata`` deletes it after its owner's press."""

from __future__ import annotations

from bot import texts
from tests.conftest import Stack


async def test_privacy_says_what_is_kept_and_how_to_delete_it(stack: Stack) -> None:
    user = stack.emulator.user(1001, "Ada", language_code="en")
    chat = stack.emulator.private_chat(user)
    await stack.send(stack.emulator.user_message(chat, user, text="/privacy"))
    (answer,) = stack.emulator.calls_to("sendMessage")
    assert answer.params["text"] == texts.text(
        "privacy", job_days=7, gallery_days=7, original_hours=24, mark_days=90
    )
    assert "/deletemydata" in answer.params["text"]


async def test_delete_my_data_deletes_after_its_owners_press(stack: Stack) -> None:
    ada = stack.emulator.user(1001, "Ada", language_code="en")
    bob = stack.emulator.user(1002, "Bob", language_code="en")
    group = stack.emulator.group_chat(-100960, "Painters")
    await stack.send(
        stack.emulator.user_message(stack.emulator.private_chat(ada), ada, text="/start ref_77")
    )
    assert await stack.runtime.set_preference(1001, "aspect_ratio", "16:9")
    assert await stack.runtime.store.get_user_settings(1001) != {}
    await stack.send(
        stack.emulator.user_message(stack.emulator.private_chat(ada), ada, text="/generate a fox")
    )
    assert await stack.runtime.gallery.page(1001, None, 10)  # the delivered image is kept

    await stack.send(stack.emulator.user_message(group, ada, text="/deletemydata"))
    confirm = stack.emulator.calls_to("sendMessage")[-1]
    assert confirm.params["text"] == texts.text("delete_data_confirm")
    ((button,),) = confirm.params["reply_markup"]["inline_keyboard"]
    message_id = confirm.result["message_id"]

    await stack.send(stack.emulator.button_press(group, bob, message_id, button["callback_data"]))
    assert await stack.runtime.store.get_user_settings(1001) != {}  # not Bob's to delete
    assert stack.emulator.calls_to("answerCallbackQuery")[-1].params["text"] == texts.text(
        "button_foreign"
    )

    await stack.send(stack.emulator.button_press(group, ada, message_id, button["callback_data"]))
    assert await stack.runtime.store.get_user_settings(1001) == {}
    assert await stack.runtime.gallery.page(1001, None, 10) == []
    done = stack.emulator.calls_to("editMessageText")[-1]
    assert done.params["text"] == texts.text("delete_data_done", gallery_days=7)
