"""The user side of the emulator: the Updates people's actions make, as Telegram sends them."""

from __future__ import annotations

import copy
from typing import Literal

import httpx

from devtools.emulator import inline, members, stars
from devtools.emulator.models import JSON
from devtools.emulator.store import Store
from devtools.emulator.users import (
    build_button_press,
    build_user_message,
    make_channel_chat,
    make_group_chat,
    make_private_chat,
    make_user,
    service_account,
)


class UserSide:
    """Builds Updates and stores their messages (so the bot can reply to them and download
    their files); delivers nothing by itself but :meth:`post_update`. Mixed into
    :class:`~devtools.emulator.server.BotApiEmulator`, whose store it writes to."""

    store: Store

    def user(
        self,
        id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = "en",
        *,
        last_name: str | None = None,
    ) -> JSON:
        """A User object for a person."""
        return make_user(
            id, first_name, username=username, last_name=last_name, language_code=language_code
        )

    def private_chat(self, user: JSON) -> JSON:
        """The user's private chat with the bot (registered, so the bot can write to it)."""
        return copy.deepcopy(self.store.add_chat(make_private_chat(user)))

    def group_chat(
        self,
        id: int | None = None,
        title: str = "Fulmine test group",
        kind: Literal["group", "supergroup"] | None = None,
    ) -> JSON:
        """A group the bot is in (registered); a fresh -100... supergroup id by default.

        ``kind`` defaults to what the id says: ids starting with -100 are supergroups.
        """
        chat_id = id if id is not None else self.store.new_group_id(kind != "group")
        return copy.deepcopy(self.store.add_chat(make_group_chat(chat_id, title, kind)))

    def channel(self, title: str, *, id: int | None = None) -> JSON:
        """A channel (registered), to speak for in a group as ``sender_chat``."""
        chat_id = id if id is not None else self.store.new_group_id(True)
        return copy.deepcopy(self.store.add_chat(make_channel_chat(chat_id, title)))

    def make_admin(
        self, chat: JSON, user: JSON, status: members.AdminStatus = "administrator"
    ) -> None:
        """Make ``user`` the owner ("creator") or an administrator of the group ``chat``,
        as getChatMember and getChatAdministrators then report."""
        members.set_admin(self.store, chat, user, status)

    def service_account(
        self, kind: Literal["anonymous_admin", "channel", "linked_channel"]
    ) -> JSON:
        """The user Telegram sends for a message on behalf of a chat (``sender_chat``)."""
        return service_account(kind)

    def user_message(
        self,
        chat: JSON,
        from_user: JSON,
        *,
        text: str | None = None,
        caption: str | None = None,
        photo: bytes | None = None,
        document: tuple[bytes, str, str] | None = None,
        reply_to_message_id: int | None = None,
        media_group_id: str | None = None,
        sender_chat: JSON | None = None,
    ) -> JSON:
        """The Update for a message ``from_user`` sends in ``chat`` (stored, not delivered).
        ``sender_chat``: on behalf of that chat (``from_user`` is then a service account).

        ``document`` is ``(data, file_name, mime_type)``. A leading ``/command`` (or
        ``/command@bot``) gets its ``bot_command`` entity; a photo gets a smaller size too.
        Photos sent with the same ``media_group_id`` form an album.
        """
        message = build_user_message(
            self.store,
            chat,
            from_user,
            text=text,
            caption=caption,
            photo=photo,
            document=document,
            reply_to_message_id=reply_to_message_id,
            media_group_id=media_group_id,
            sender_chat=sender_chat,
        )
        return {"update_id": self.store.new_update_id(), "message": message}

    def button_press(self, chat: JSON, from_user: JSON, message_id: int, data: str) -> JSON:
        """The ``callback_query`` Update for ``from_user`` pressing the inline button with
        ``data`` under message ``message_id`` (ValueError if there is no such button).
        The bot answers it with answerCallbackQuery, once."""
        query = build_button_press(self.store, chat, from_user, message_id, data)
        return {"update_id": self.store.new_update_id(), "callback_query": query}

    def callback_answered(self, query_id: str) -> bool:
        return self.store.callback_queries.get(query_id, False)

    def update_of_kind(self, kind: str, payload: JSON) -> JSON:
        """An Update of another kind (``callback_query``, ...) with a fresh update_id."""
        return {"update_id": self.store.new_update_id(), kind: copy.deepcopy(payload)}

    async def post_update(self, update: JSON) -> int:
        """POST ``update`` to the webhook the bot set, with its secret header; the status."""
        hook = self.store.webhook
        if hook is None:
            raise RuntimeError("the bot has not set a webhook")
        headers = (
            {"X-Telegram-Bot-Api-Secret-Token": hook.secret_token} if hook.secret_token else {}
        )
        async with httpx.AsyncClient(timeout=30.0) as client:
            response = await client.post(hook.url, json=update, headers=headers)
        return response.status_code

    # Telegram Stars (``devtools.emulator.stars``) ---------------------------------------

    def pre_checkout(self, chat: JSON, from_user: JSON, invoice_message_id: int) -> JSON:
        """The ``pre_checkout_query`` Update of ``from_user`` paying the invoice message;
        the bot must answer it (answerPreCheckoutQuery) before the payment can go on."""
        return stars.pre_checkout_update(self.store, chat, from_user, invoice_message_id)

    def pre_checkout_answer(self, query_id: str) -> bool | None:
        """The bot's answer to a pre-checkout query: True (go on), False, None (none yet)."""
        return self.store.stars.answers.get(query_id)

    def successful_payment(self, query_id: str) -> JSON:
        """The ``successful_payment`` message Update after a confirmed pre-checkout query,
        with a fresh ``telegram_payment_charge_id``."""
        return stars.payment_update(self.store, query_id)

    def star_refunded(self, charge_id: str) -> bool:
        return charge_id in self.store.stars.refunded

    # Inline mode (``devtools.emulator.inline``) ----------------------------------------

    def inline_query(self, from_user: JSON, query: str, chat_type: str = "sender") -> JSON:
        """The ``inline_query`` Update of ``from_user`` typing ``@bot query`` in a chat of
        ``chat_type`` ("sender", "private", "group", "supergroup" or "channel")."""
        return inline.inline_query_update(self.store, from_user, query, chat_type)

    def inline_answer(self, query_id: str) -> list[JSON] | None:
        """The results the bot offered for an inline query (None: not answered)."""
        return inline.inline_answer(self.store, query_id)

    def choose_inline_result(self, query_id: str, result_id: str) -> JSON:
        """The ``chosen_inline_result`` Update of picking one of the offered results; with
        an inline keyboard it carries the ``inline_message_id`` the bot edits it by."""
        return inline.chosen_result_update(self.store, query_id, result_id)

    def inline_message(self, inline_message_id: str) -> JSON | None:
        """What an inline message shows now."""
        return inline.inline_message(self.store, inline_message_id)
